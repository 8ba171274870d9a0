// Every unit the signed-in person may see, kept current by the live feed: a unit that goes offline
// is shown offline as soon as the broker says so (issue #5: within 2 s, without a reload).
import { api, type ApiError } from '../lib/api.js';
import { onLive, type LiveMessage } from '../lib/live.js';
import { createStore, useStore } from '../lib/store.js';
import type { TelemetryMessage, Unit } from '../lib/types.js';
import { applyChange, HeardLog, withChanges, type UnitChange } from './unit-changes.js';

interface UnitsState {
  byId: ReadonlyMap<string, Unit>;
  loaded: boolean;
  error?: ApiError;
}

export const unitsStore = createStore<UnitsState>({ byId: new Map(), loaded: false });

/** What the feed said lately: a list read now gets what it lacks of it (HeardLog says why 2 s). */
const heard = new HeardLog(2000);

let started = false;
/**
 * Whose list this is: a new person signing in makes a new generation. A read still in flight from
 * the last person's session is neither waited for nor kept: its answer (their units, or a refusal
 * once they signed out) would otherwise stand as the new person's list until the next change.
 */
let generation = 0;
let loading: { generation: number; done: Promise<void> } | undefined;
let pending: UnitChange[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

export function reloadUnits(): Promise<void> {
  if (loading?.generation === generation) return loading.done;
  const mine = generation;
  const current = () => mine === generation;
  const since = heard.startRead(Date.now());
  const done: Promise<void> = api
    .get<{ units: Unit[] }>('/api/units')
    .then(
      ({ units }) => {
        if (!current()) return;
        // The list replaces what is on screen, with the changes that arrived meanwhile and that
        // it does not hold yet; the batch waiting to be shown is among those.
        const byId = withChanges(units, heard.since(since));
        pending = [];
        unitsStore.set({ byId, loaded: true });
      },
      (error: ApiError) => {
        if (current()) unitsStore.update((s) => ({ ...s, error, loaded: true }));
      },
    )
    .finally(() => {
      if (loading?.done !== done) return;
      loading = undefined;
      heard.endRead();
    });
  loading = { generation: mine, done };
  return done;
}

/** Applies changes in batches: thousands of units reporting at once re-render the table once. */
function change(c: UnitChange) {
  heard.add(c, Date.now());
  if (!unitsStore.get().byId.has(c.unitId)) {
    // A unit created since the list was read (or by someone else): read the list again; the
    // change is applied to it if the list does not hold it yet.
    void reloadUnits();
    return;
  }
  pending.push(c);
  flushTimer ??= setTimeout(() => {
    flushTimer = undefined;
    const byId = new Map(unitsStore.get().byId);
    for (const p of pending) {
      const u = byId.get(p.unitId);
      if (u) byId.set(p.unitId, applyChange(u, p));
    }
    pending = [];
    unitsStore.update((s) => ({ ...s, byId }));
  }, 100);
}

const onStatus = (msg: LiveMessage) =>
  change({ kind: 'status', unitId: msg.unitId as string, online: msg.online as boolean, at: msg.at as number });
const onTelemetry = (msg: LiveMessage) =>
  change({
    kind: 'telemetry',
    unitId: msg.unitId as string,
    sample: msg.sample as TelemetryMessage,
    at: msg.at as number,
  });
const onPlan = (msg: LiveMessage) =>
  change({ kind: 'plan', unitId: msg.unitId as string, version: msg.version as number });

/** Starts keeping the units current (idempotent); called by the screens that show units. */
export function useUnits(): UnitsState {
  startUnits();
  return useStore(unitsStore);
}

/** Starts keeping the units current (idempotent): the part of useUnits that is not a hook. */
export function startUnits() {
  if (started) return;
  started = true;
  onLive('unit-status', onStatus);
  onLive('unit-telemetry', onTelemetry);
  onLive('plan-published', onPlan);
  onLive('resync', () => void reloadUnits());
  void reloadUnits();
}

/** Forgets everything (signing out): the next person must not see the last one's units. */
export function resetUnits() {
  generation++;
  pending = [];
  heard.clear();
  unitsStore.set({ byId: new Map(), loaded: false });
  if (started) void reloadUnits();
}
