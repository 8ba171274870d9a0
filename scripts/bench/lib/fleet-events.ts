// "No event lost or doubled" (issue #10), checked by sequence number: every unit numbers its events
// 1, 2, 3 … without gaps; after the soak each number must be stored exactly once by the server,
// nothing above the unit's last number may be stored, and the server must have acknowledged all.
import type { Database } from 'better-sqlite3';

export interface EventCheck {
  /** Events the units made (the sum of their last sequence numbers). */
  sent: number;
  stored: number;
  lost: number;
  doubled: number;
  /** Stored under a number the unit never used. */
  unknown: number;
  /** Units whose acknowledgement on the server is below their last event. */
  unitsNotAcknowledged: number;
}

export function checkEvents(db: Database, lastSeq: Readonly<Record<string, number>>): EventCheck {
  const held = new Map<string, Set<number>>();
  let stored = 0;
  let doubled = 0;
  let unknown = 0;
  for (const row of db.prepare('SELECT unit_id AS unit, seq FROM unit_events').iterate() as Iterable<{
    unit: string;
    seq: number;
  }>) {
    stored++;
    let seqs = held.get(row.unit);
    if (!seqs) held.set(row.unit, (seqs = new Set()));
    if (seqs.has(row.seq)) doubled++;
    else if (row.seq > (lastSeq[row.unit] ?? 0)) unknown++;
    seqs.add(row.seq);
  }
  let sent = 0;
  let lost = 0;
  for (const [unit, last] of Object.entries(lastSeq)) {
    sent += last;
    const seqs = held.get(unit);
    for (let s = 1; s <= last; s++) if (!seqs?.has(s)) lost++;
  }
  const acked = db.prepare('SELECT id, events_acked AS acked FROM units').all() as Array<{ id: string; acked: number }>;
  const unitsNotAcknowledged = acked.filter((u) => u.acked < (lastSeq[u.id] ?? 0)).length;
  return { sent, stored, lost, doubled, unknown, unitsNotAcknowledged };
}
