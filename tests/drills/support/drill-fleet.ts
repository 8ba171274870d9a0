// A fleet of simulated units for the failure drills (issue #10): started together, playing at a
// steady rate, and checked against what the server stored: every event each unit made stored once
// under its number, with the content the unit sent, nothing stored that it never made, and all of
// it acknowledged (the server's `events_acked` and the unit's own view agree).
import type { Database } from 'better-sqlite3';
import { publicKeyFromPem, keyIdOf } from '@loa/shared/envelope';
import { waitFor } from '../../support/wait.js';
import { DrillUnit, type DrillUnitOptions } from './drill-unit.js';
import { inParallel, type UnitLogin } from './drill-commune.js';

export interface EventCheck {
  units: number;
  made: number;
  lost: number;
  /** Stored, but not as the unit made it (another event's content under its number). */
  altered: number;
  /** Stored under a number the unit never used. */
  unknown: number;
  /** Units whose acknowledgement (server or unit side) is below their last event. */
  notAcknowledged: number;
}

export class DrillFleet {
  private playing: NodeJS.Timeout[] = [];

  private constructor(readonly units: DrillUnit[]) {}

  /** Connects every unit (a few at a time, as a fleet does not come up in one tick). */
  static async start(
    logins: readonly UnitLogin[],
    url: string,
    serverKeyPem: string,
    opts: Partial<DrillUnitOptions> = {},
  ): Promise<DrillFleet> {
    const key = publicKeyFromPem(serverKeyPem);
    const keys = new Map([[keyIdOf(key), key]]);
    const units = logins.map((u) => new DrillUnit({ url, unit: u.id, secret: u.secret, keys, ...opts }));
    await inParallel(units, 25, (u) => u.start());
    return new DrillFleet(units);
  }

  /** Resolves once every unit holds a plan with items. */
  planned(timeoutMs = 20_000): Promise<true> {
    return waitFor(
      'every simulated unit holding its plan',
      () => (this.units.every((u) => u.plan?.items.length) ? true : undefined),
      timeoutMs,
    );
  }

  /** Every unit plays an item (two events) every `everyMs`, each on its own phase; until `stop`. */
  play(everyMs: number): void {
    for (const u of this.units) {
      const first = setTimeout(() => this.playing.push(setInterval(() => u.play(), everyMs)), Math.random() * everyMs);
      this.playing.push(first);
    }
  }

  stop(): void {
    for (const t of this.playing) clearTimeout(t);
    this.playing = [];
  }

  /** Resolves once each unit heard its last event acknowledged. */
  acknowledged(timeoutMs = 20_000): Promise<true> {
    return waitFor(
      'every simulated unit acknowledged up to its last event',
      () => (this.units.every((u) => u.ackedUpTo === u.seq) ? true : undefined),
      timeoutMs,
      100,
    );
  }

  /** Compares what the server stored with what every unit made. */
  check(db: Pick<Database, 'prepare'>): EventCheck {
    const rows = db.prepare('SELECT seq, at, type, item_id AS itemId FROM unit_events WHERE unit_id = ?');
    const acked = db.prepare('SELECT events_acked AS n FROM units WHERE id = ?');
    const out: EventCheck = { units: this.units.length, made: 0, lost: 0, altered: 0, unknown: 0, notAcknowledged: 0 };
    for (const u of this.units) {
      out.made += u.seq;
      const stored = new Map(
        (rows.all(u.id) as Array<{ seq: number; at: number; type: string; itemId: string | null }>).map((r) => [
          r.seq,
          r,
        ]),
      );
      for (const [seq, e] of u.made) {
        const s = stored.get(seq);
        if (!s) out.lost++;
        else if (s.at !== e.at || s.type !== e.type || s.itemId !== (e.itemId ?? null)) out.altered++;
      }
      for (const seq of stored.keys()) if (!u.made.has(seq)) out.unknown++;
      const serverAck = (acked.get(u.id) as { n: number }).n;
      if (serverAck !== u.seq || u.ackedUpTo !== u.seq) out.notAcknowledged++;
    }
    return out;
  }

  /** What the units saw that an agent would log as wrong. */
  bad(): string[] {
    return this.units.flatMap((u) => u.bad.map((b) => `${u.id}: ${b}`));
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all(this.units.map((u) => u.close()));
  }
}

/** The clean result of `check`: nothing lost, altered or unknown, everything acknowledged. */
export function allOnce(units: number, made: number): EventCheck {
  return { units, made, lost: 0, altered: 0, unknown: 0, notAcknowledged: 0 };
}
