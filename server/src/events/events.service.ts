// Events from agents (DESIGN §3): stored once each by (unit, seq), folded into the play log, and
// acknowledged with the highest sequence number below which everything is stored.
import type { FastifyBaseLogger } from 'fastify';
import { EventsMessage, decoder, topics, type UnitEvent } from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import type { Db } from '../db/database.js';

const eventsDecoder = decoder(EventsMessage);
/** Longest the events of a burst may hold the event loop in one go, ms. */
const SLICE_MS = 10;
/**
 * How long a missing number may stay missing, while the unit keeps sending, before the server
 * takes it as gone for good (a torn line of the agent's queue, a server restored from an older
 * backup) and acknowledges past it. Six of the agent's 10-second resend rounds.
 */
export const GAP_MS = 60_000;

export function eventsService(db: Db, log: FastifyBaseLogger) {
  const unit = db.prepare('SELECT events_acked FROM units WHERE id = ?');
  const insertEvent = db.prepare(
    `INSERT OR IGNORE INTO unit_events (unit_id, seq, at, type, item_id, bulletin_id, sha256, plan_version, scheduled_at, duration_ms, reason, received_at)
     VALUES (@unit, @seq, @at, @type, @itemId, @bulletinId, @sha256, @planVersion, @scheduledAt, @durationMs, @reason, @receivedAt)`,
  );
  const hasSeq = db.prepare('SELECT 1 FROM unit_events WHERE unit_id = ? AND seq = ?');
  const nextStored = db.prepare('SELECT MIN(seq) AS seq FROM unit_events WHERE unit_id = ? AND seq > ?');
  const setAcked = db.prepare('UPDATE units SET events_acked = ? WHERE id = ?');
  const started = db.prepare(
    `INSERT INTO play_log (unit_id, item_id, bulletin_id, sha256, plan_version, scheduled_at, started_at, outcome)
     VALUES (@unit, @itemId, @bulletinId, @sha256, @planVersion, @scheduledAt, @at, 'playing')
     ON CONFLICT (unit_id, item_id) DO UPDATE SET started_at = excluded.started_at, outcome = 'playing'`,
  );
  const ended = db.prepare(
    `INSERT INTO play_log (unit_id, item_id, bulletin_id, sha256, plan_version, scheduled_at, ended_at, duration_ms, outcome, reason)
     VALUES (@unit, @itemId, @bulletinId, @sha256, @planVersion, @scheduledAt, @at, @durationMs, @type, @reason)
     ON CONFLICT (unit_id, item_id) DO UPDATE SET ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
       outcome = excluded.outcome, reason = excluded.reason`,
  );
  const notPlayed = db.prepare(
    `INSERT OR IGNORE INTO play_log (unit_id, item_id, bulletin_id, sha256, plan_version, scheduled_at, outcome, reason)
     VALUES (@unit, @itemId, @bulletinId, @sha256, @planVersion, @scheduledAt, @type, @reason)`,
  );

  function foldIntoPlayLog(unitId: string, e: UnitEvent) {
    if (!e.itemId) return; // faults without an item live in unit_events only
    const row = {
      unit: unitId,
      itemId: e.itemId,
      bulletinId: e.bulletinId ?? null,
      sha256: e.sha256 ?? null,
      planVersion: e.planVersion ?? null,
      scheduledAt: e.scheduledAt ?? null,
      at: e.at,
      durationMs: e.durationMs ?? null,
      type: e.type,
      reason: e.reason ?? null,
    };
    if (e.type === 'started') started.run(row);
    else if (e.type === 'finished' || e.type === 'preempted' || e.type === 'failed') ended.run(row);
    else if (e.type === 'skipped' || e.type === 'refused') notPlayed.run(row);
  }

  /** Stores a batch atomically; returns the new acknowledgement, or undefined for an unknown unit. */
  let freshEvents: UnitEvent[] = [];
  const store = db.transaction((unitId: string, events: UnitEvent[]): number | undefined => {
    const u = unit.get(unitId) as { events_acked: number } | undefined;
    if (!u) return undefined;
    const now = Date.now();
    for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
      const fresh = insertEvent.run({
        unit: unitId,
        seq: e.seq,
        at: e.at,
        type: e.type,
        itemId: e.itemId ?? null,
        bulletinId: e.bulletinId ?? null,
        sha256: e.sha256 ?? null,
        planVersion: e.planVersion ?? null,
        scheduledAt: e.scheduledAt ?? null,
        durationMs: e.durationMs ?? null,
        reason: e.reason ?? null,
        receivedAt: now,
      }).changes;
      if (fresh) {
        foldIntoPlayLog(unitId, e); // a resent event is stored and folded once
        freshEvents.push(e);
      }
    }
    let acked = u.events_acked;
    while (hasSeq.get(unitId, acked + 1)) acked++;
    acked = pastGap(unitId, acked, now);
    setAcked.run(acked, unitId);
    return acked;
  });

  // Only what is stored without a hole is acknowledged: a unit forgets what it is acknowledged.
  // A batch's first number proves nothing about the numbers below it (issue #10, broker restart
  // drill): a unit sends its new events at once, and the ones before them may have been lost on
  // the way (sent while the server was not yet subscribed again); the unit sends those again on its
  // next resend round. A hole that outlasts GAP_MS of such rounds is gone from the unit for good,
  // and is skipped so the unit's queue does not grow for ever.
  const holes = new Map<string, { from: number; since: number }>();
  function pastGap(unitId: string, acked: number, now: number): number {
    const next = (nextStored.get(unitId, acked) as { seq: number | null }).seq;
    if (next === null) {
      holes.delete(unitId);
      return acked;
    }
    const hole = holes.get(unitId);
    if (hole?.from !== acked + 1) {
      holes.set(unitId, { from: acked + 1, since: now });
      return acked;
    }
    if (now - hole.since < GAP_MS) return acked;
    holes.delete(unitId);
    log.warn({ unit: unitId, from: acked + 1, to: next - 1 }, 'events: numbers never received, skipped');
    let past = next - 1;
    while (hasSeq.get(unitId, past + 1)) past++;
    return pastGap(unitId, past, now);
  }

  // Issue #10: every unit of a province starts the same item at the same instant, so their events
  // arrive in a burst of thousands. Handled one message at a time, each with its own commit, the
  // burst held the event loop for hundreds of ms; instead messages wait in a queue, drained in
  // slices of at most SLICE_MS, each slice one transaction for many units, acknowledged after its
  // commit. Order per unit is kept (one FIFO queue).
  const queue: Array<{ unit: string; events: UnitEvent[] }> = [];
  type Stored = { unit: string; upTo: number | undefined; fresh: UnitEvent[] };
  const storeSlice = db.transaction((deadline: number) => {
    const done: Stored[] = [];
    while (queue.length && (done.length === 0 || performance.now() < deadline)) {
      const { unit, events } = queue.shift()!;
      freshEvents = [];
      const upTo = store(unit, events);
      done.push({ unit, upTo, fresh: freshEvents });
    }
    return done;
  });

  return {
    attach(bus: Bus, onStored: (unitId: string, upTo: number, fresh: UnitEvent[]) => void) {
      let draining = false;
      const drain = () => {
        draining = false;
        let done: Stored[];
        try {
          done = storeSlice(performance.now() + SLICE_MS);
        } catch (err) {
          // Nothing acknowledged: the units send these events again (DESIGN §3), nothing is lost.
          log.error({ err: (err as Error).message }, 'events: could not store a slice');
          done = [];
        }
        for (const { unit, upTo, fresh } of done) {
          if (upTo === undefined) {
            log.warn({ unit }, 'events: from an unknown unit');
            continue;
          }
          void bus.publish(topics.eventsAck(unit), JSON.stringify({ upTo }), { qos: 1 }).catch(() => undefined);
          onStored(unit, upTo, fresh);
        }
        if (queue.length && !draining) {
          draining = true;
          setImmediate(drain);
        }
      };
      bus.on('unit:events', (t, payload) => {
        if (t.kind !== 'unit') return;
        const msg = eventsDecoder.decode(payload);
        if (!msg.ok) return log.warn({ unit: t.unit, reason: msg.error }, 'events: dropped batch');
        queue.push({ unit: t.unit, events: msg.value.events });
        if (!draining) {
          draining = true;
          setImmediate(drain);
        }
      });
    },
    playLog(unitId: string, from: number, to: number, limit: number) {
      return db
        .prepare(
          `SELECT item_id AS itemId, bulletin_id AS bulletinId, sha256, plan_version AS planVersion, scheduled_at AS scheduledAt,
                  started_at AS startedAt, ended_at AS endedAt, duration_ms AS durationMs, outcome, reason
           FROM play_log WHERE unit_id = ? AND COALESCE(scheduled_at, started_at, 0) BETWEEN ? AND ?
           ORDER BY COALESCE(scheduled_at, started_at), id LIMIT ?`,
        )
        .all(unitId, from, to, limit);
    },
  };
}
