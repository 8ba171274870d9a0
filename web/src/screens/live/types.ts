// The live broadcast API's answers (server/src/live/live.schemas.ts, issue #8).

export interface LiveUnit {
  unitId: string;
  /** ok: the unit answered live-start and plays the session. */
  state: 'pending' | 'ok' | 'error' | 'expired';
  error?: string;
  ackedAt?: number;
}

export interface LiveView {
  id: string;
  communeId: string;
  title: string | null;
  /** emergency: an emergency live broadcast (needs the emergency permission; sounds outside windows). */
  level: 'normal' | 'emergency';
  startedBy: { id: number; name: string };
  startedAt: number;
  endedAt: number | null;
  endReason: string | null;
  volume: number;
  units: LiveUnit[];
  frames: { received: number; dropped: number };
}
