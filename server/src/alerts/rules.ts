// Alert rules (issue #9) beyond the clock and the disk (clock.ts): a unit offline too long (stricter
// just before and during a window), a failed playback, an amplifier fault, a relay source that
// failed, a hot board, under-voltage. Each clears on a later good sign (see clearRelay and
// clearAmplifier), or by hand (POST /api/alerts/:id/clear). Thresholds per commune; an optional
// webhook per commune (or ALERT_WEBHOOK_URL for all) forwards every raise and clear, e.g. to a
// province's chat group.
import type { FastifyBaseLogger } from 'fastify';
import { addDays, toZoned, windowInstants, type UnitEvent, type WindowSpec } from '@loa/shared';
import type { Db } from '../db/database.js';
import type { Hub } from '../hub.js';
import type { AlertsService } from './alerts.service.js';

export interface AlertSettings {
  /** Minutes offline before an alert, away from the windows. */
  offlineMinutes: number;
  /** Minutes offline before an alert from 15 minutes before a window until it ends. */
  offlineMinutesNearWindow: number;
  temperatureC: number;
  /** A unit clock further off the server's than this many seconds (clock.ts). */
  clockOffsetS: number;
  /** Free space under this share of the unit's disk, in percent (clock.ts). */
  diskFreePercent: number;
  webhookUrl: string | null;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  offlineMinutes: 15,
  offlineMinutesNearWindow: 2,
  temperatureC: 75,
  clockOffsetS: 2,
  diskFreePercent: 10,
  webhookUrl: null,
};
const NEAR_WINDOW_MS = 15 * 60_000;
/** A hot board clears only once it has cooled this much below the threshold (no flapping). */
const TEMPERATURE_HYSTERESIS_C = 5;

export function alertRules(
  db: Db,
  hub: Hub,
  alerts: AlertsService,
  /** A unit's commune (the units service's, remembered), undefined for no such unit. */
  communeOfUnit: (unitId: string) => string | undefined,
  log: FastifyBaseLogger,
  env = process.env,
) {
  const communeSettings = db.prepare('SELECT alert_settings FROM communes WHERE id = ?');
  const offlineUnits = db.prepare(
    `SELECT u.id, u.name, u.status_since, c.id AS commune_id, c.time_zone, c.windows, c.alert_settings
     FROM units u JOIN communes c ON c.id = u.commune_id
     WHERE u.online = 0 AND u.last_seen IS NOT NULL AND u.revoked_at IS NULL`,
  );
  const unitName = db.prepare('SELECT name, commune_id FROM units WHERE id = ?');
  const isRelay = db.prepare('SELECT 1 FROM bulletins WHERE id = ? AND relay_url IS NOT NULL');

  const settingsOf = (json: string | null): AlertSettings => ({
    ...DEFAULT_ALERT_SETTINGS,
    ...(json ? (JSON.parse(json) as Partial<AlertSettings>) : {}),
  });
  // Issue #10: every telemetry sample reads its commune's thresholds (hundreds a second for a
  // province). Settings change only through setSettings below, so they are remembered rather than
  // queried and parsed each time (and the unit's commune is remembered by the units service).
  const communeSettingsCache = new Map<string, AlertSettings>();
  const settingsOfCommune = (communeId: string): AlertSettings => {
    let s = communeSettingsCache.get(communeId);
    if (!s) {
      const row = communeSettings.get(communeId) as { alert_settings: string | null } | undefined;
      s = Object.freeze(settingsOf(row?.alert_settings ?? null)); // shared by every caller
      if (row) communeSettingsCache.set(communeId, s);
    }
    return s;
  };
  const settingsOfUnit = (unitId: string): AlertSettings => {
    const communeId = communeOfUnit(unitId);
    return communeId === undefined ? settingsOf(null) : settingsOfCommune(communeId);
  };

  /** True from 15 minutes before a window of the commune until it ends. */
  function nearWindow(windows: WindowSpec[], timeZone: string, now: number): boolean {
    const today = toZoned(now, timeZone).date;
    for (const date of [addDays(today, -1), today]) {
      for (const w of windowInstants(windows, date, timeZone))
        if (now >= w.startAt - NEAR_WINDOW_MS && now < w.endAt) return true;
    }
    return false;
  }

  /** Raises `offline` for units past their commune's threshold; run every 30 s. */
  function sweepOffline(now = Date.now()) {
    const rows = offlineUnits.all() as Array<{
      id: string;
      name: string;
      status_since: number | null;
      time_zone: string;
      windows: string;
      alert_settings: string | null;
    }>;
    for (const u of rows) {
      const s = settingsOf(u.alert_settings);
      const near = nearWindow(JSON.parse(u.windows) as WindowSpec[], u.time_zone, now);
      const limit = (near ? s.offlineMinutesNearWindow : s.offlineMinutes) * 60_000;
      const since = u.status_since ?? now;
      if (now - since < limit) continue;
      const minutes = Math.floor((now - since) / 60_000);
      alerts.raise(
        u.id,
        'offline',
        `${u.name} has been offline for ${minutes} min${near ? ', close to or during a broadcast window' : ''}. Check its power and link (4G/Wi-Fi); it plays its plan from its cache meanwhile.`,
        { offlineSince: since },
      );
    }
  }

  /**
   * relay-failed clears when a relay item's stream answers again: a relay item `started` after
   * the fault (the agent says `started` only once audio flows, so the failed item itself recovering
   * counts), or another relay item `finished`. The failed item's own `finished` does not: a stream
   * that died mid-programme still ends `finished` when anything was relayed.
   */
  function clearRelay(unitId: string, event: UnitEvent) {
    const open = alerts.open(unitId, 'relay-failed');
    if (!open || !event.bulletinId || !isRelay.get(event.bulletinId)) return;
    const faultAt = Number(open.detail?.faultAt ?? 0);
    if (event.at < faultAt) return;
    if (event.type === 'finished' && event.itemId !== undefined && event.itemId === open.detail?.itemId) return;
    alerts.clear(unitId, 'relay-failed');
  }

  /**
   * amplifier-fault clears once a telemetry sample taken after the fault shows the amplifier in the
   * state the failed switch wanted: the agent reports the relay's state only after a switch
   * worked, so that is the relay obeying again. An item finishing proves nothing (it plays into a
   * dead amplifier just the same). A fault whose wanted state is unknown waits for a person.
   */
  function clearAmplifier(unitId: string, on: boolean, at: number) {
    const open = alerts.open(unitId, 'amplifier-fault');
    if (!open || at <= Number(open.detail?.faultAt ?? Infinity)) return;
    if (open.detail?.wanted === (on ? 'on' : 'off')) alerts.clear(unitId, 'amplifier-fault');
  }

  const offs = [
    hub.on('unit-status', ({ unitId, online }) => {
      if (online) alerts.clear(unitId, 'offline');
    }),
    hub.on('unit-event', ({ unitId, event }) => {
      if (event.type === 'failed') {
        alerts.raise(
          unitId,
          'playback-failed',
          `Playback failed${event.reason ? `: ${event.reason}` : ''}. Check the amplifier and the sound card; the next items will still be tried.`,
          {
            itemId: event.itemId ?? null,
          },
        );
      } else if (event.type === 'finished') alerts.clear(unitId, 'playback-failed');
      else if (event.type === 'fault' && event.reason) {
        if (/^amplifier/.test(event.reason)) {
          const wanted = /could not be set (on|off)/.exec(event.reason)?.[1] ?? null;
          alerts.raise(
            unitId,
            'amplifier-fault',
            `${event.reason}. Check the relay wiring and the amplifier's power.`,
            {
              wanted,
              faultAt: event.at,
            },
          );
        } else if (/relay source|stream/i.test(event.reason))
          alerts.raise(unitId, 'relay-failed', `${event.reason}. The unit retries until the slot ends.`, {
            itemId: event.itemId ?? null,
            faultAt: event.at,
          });
      }
      if (event.type === 'started' || event.type === 'finished') clearRelay(unitId, event);
    }),
    hub.on('unit-telemetry', ({ unitId, sample }) => {
      if (sample.cpuTempC !== undefined) {
        const { temperatureC } = settingsOfUnit(unitId);
        if (sample.cpuTempC > temperatureC) {
          alerts.raise(
            unitId,
            'temperature',
            `The board is at ${Math.round(sample.cpuTempC)} °C (over ${temperatureC} °C). Shade or ventilate its box.`,
            {
              cpuTempC: Math.round(sample.cpuTempC),
            },
          );
        } else if (sample.cpuTempC < temperatureC - TEMPERATURE_HYSTERESIS_C) alerts.clear(unitId, 'temperature');
      }
      if (sample.amplifierOn !== undefined) clearAmplifier(unitId, sample.amplifierOn, sample.at);
      if (sample.underVoltage === true)
        alerts.raise(unitId, 'under-voltage', 'The board reports under-voltage now. Check its power supply and cable.');
      else if (sample.underVoltage === false) alerts.clear(unitId, 'under-voltage');
    }),
    hub.on('alert', (a) => {
      const unit = a.unitId ? (unitName.get(a.unitId) as { name: string; commune_id: string } | undefined) : undefined;
      const url = (a.unitId ? settingsOfUnit(a.unitId).webhookUrl : null) ?? env.ALERT_WEBHOOK_URL ?? null;
      if (!url) return;
      const body = {
        unitId: a.unitId,
        unitName: unit?.name ?? null,
        communeId: unit?.commune_id ?? null,
        kind: a.kind,
        state: a.state,
        message: String(a.message ?? ''),
        at: new Date(a.at).toISOString(),
      };
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      })
        .then((res) => {
          if (!res.ok) log.warn({ status: res.status, kind: a.kind }, 'alerts: webhook answered with an error');
        })
        .catch((err: Error) => log.warn({ err: err.message, kind: a.kind }, 'alerts: webhook unreachable'));
    }),
  ];
  const timer = setInterval(() => {
    try {
      sweepOffline();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'alerts: offline sweep failed');
    }
  }, 30_000);
  timer.unref();

  return {
    sweepOffline,
    settingsOfUnit,
    settings: settingsOfCommune,
    setSettings(communeId: string, settings: AlertSettings) {
      db.prepare('UPDATE communes SET alert_settings = ? WHERE id = ?').run(JSON.stringify(settings), communeId);
      communeSettingsCache.delete(communeId);
    },
    stop() {
      clearInterval(timer);
      for (const off of offs) off();
    },
  };
}
export type AlertRules = ReturnType<typeof alertRules>;
