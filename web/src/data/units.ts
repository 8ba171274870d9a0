// Every unit the signed-in person may see, kept current by the live feed: a unit that goes offline
// is shown offline as soon as the broker says so (issue #5: within 2 s, without a reload).
import { api, type ApiError } from '../lib/api.js';
import { onLive, type LiveMessage } from '../lib/live.js';
import { createStore, useStore } from '../lib/store.js';
import type { TelemetryMessage, Unit } from '../lib/types.js';

interface UnitsState {
  byId: ReadonlyMap<string, Unit>;
  loaded: boolean;
  error?: ApiError;
}

export const unitsStore = createStore<UnitsState>({ byId: new Map(), loaded: false });

let started = false;
let loading: Promise<void> | undefined;
let pending = new Map<string, Unit>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;

export function reloadUnits(): Promise<void> {
  loading ??= api
    .get<{ units: Unit[] }>('/api/units')
    .then(
      ({ units }) => {
        pending.clear();
        unitsStore.set({ byId: new Map(units.map((u) => [u.id, u])), loaded: true });
      },
      (error: ApiError) => unitsStore.update((s) => ({ ...s, error, loaded: true })),
    )
    .finally(() => (loading = undefined));
  return loading;
}

/** Applies changes in batches: thousands of units reporting at once re-render the table once. */
function change(id: string, fn: (u: Unit) => Unit) {
  const current = pending.get(id) ?? unitsStore.get().byId.get(id);
  if (!current) {
    // A unit created since the list was read (or by someone else): read the list again.
    void reloadUnits();
    return;
  }
  pending.set(id, fn(current));
  flushTimer ??= setTimeout(() => {
    flushTimer = undefined;
    const byId = new Map(unitsStore.get().byId);
    for (const [k, v] of pending) byId.set(k, v);
    pending = new Map();
    unitsStore.update((s) => ({ ...s, byId }));
  }, 100);
}

function onStatus(msg: LiveMessage) {
  const at = msg.at as number;
  change(msg.unitId as string, (u) => ({ ...u, online: msg.online as boolean, statusSince: at, lastSeen: at }));
}

function onTelemetry(msg: LiveMessage) {
  const sample = msg.sample as TelemetryMessage;
  change(msg.unitId as string, (u) => ({
    ...u,
    telemetry: sample,
    lastSeen: msg.at as number,
    reportedPlanVersion: sample.planVersion ?? u.reportedPlanVersion,
  }));
}

function onPlan(msg: LiveMessage) {
  change(msg.unitId as string, (u) => ({ ...u, publishedPlanVersion: msg.version as number }));
}

/** Starts keeping the units current (idempotent); called by the screens that show units. */
export function useUnits(): UnitsState {
  if (!started) {
    started = true;
    onLive('unit-status', onStatus);
    onLive('unit-telemetry', onTelemetry);
    onLive('plan-published', onPlan);
    onLive('resync', () => void reloadUnits());
    void reloadUnits();
  }
  return useStore(unitsStore);
}

/** Forgets everything (signing out): the next person must not see the last one's units. */
export function resetUnits() {
  pending.clear();
  unitsStore.set({ byId: new Map(), loaded: false });
  if (started) void reloadUnits();
}
