// The shapes the server's API answers with (server/src/**/*.schemas.ts and the contracts of the
// issues being built beside this one). The web app never imports the server (DESIGN §2).
import type { Level, OverbookedItem, PlanItem, PlannedWindow, TelemetryMessage, WindowSpec } from '@loa/shared';

export type { Level, OverbookedItem, PlanItem, PlannedWindow, TelemetryMessage, WindowSpec };

export type Role = 'admin' | 'editor' | 'approver' | 'technician' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'editor', 'approver', 'technician', 'viewer'];

export type Permission =
  | 'units:read'
  | 'units:manage'
  | 'units:command'
  | 'media:read'
  | 'media:upload'
  | 'bulletins:read'
  | 'bulletins:write'
  | 'bulletins:approve'
  | 'emergency'
  | 'live'
  | 'schedule:read'
  | 'schedule:manage'
  | 'playlog:read'
  | 'alerts:read'
  | 'alerts:manage'
  | 'users:manage'
  | 'tokens:manage'
  | 'audit:read';

export interface Me {
  id: number;
  username: string;
  role: Role;
  /** null: every commune. */
  communeIds: string[] | null;
  permissions: Permission[];
  mustChangePassword?: boolean;
}

export interface Unit {
  id: string;
  communeId: string;
  villageId: string | null;
  name: string;
  online: boolean;
  statusSince: number | null;
  lastSeen: number | null;
  agentVersion: string | null;
  reportedPlanVersion: number | null;
  publishedPlanVersion: number | null;
  telemetry: Partial<TelemetryMessage> | null;
  /** When the unit's secret was last replaced, and when it was revoked (then it cannot connect). */
  secretRotatedAt?: number | null;
  revokedAt?: number | null;
}

export interface QuietHours {
  start: string;
  end: string;
}

export interface Commune {
  id: string;
  name: string;
  timeZone: string;
  windows: WindowSpec[];
  quietHours: QuietHours | null;
}

export interface Village {
  id: string;
  communeId: string;
  name: string;
}

export interface Zone {
  id: string;
  communeId: string;
  name: string;
  unitIds: string[];
  windows: WindowSpec[] | null;
}

export type BulletinState = 'draft' | 'submitted' | 'approved' | 'on_air' | 'expired' | 'withdrawn' | 'rejected';

/** A relay as the API takes and returns it (server/src/schedule/bulletins.schemas.ts `Relay`). */
export interface Relay {
  url: string;
  durationMs: number;
}

export interface Bulletin {
  id: string;
  communeId: string;
  title: string;
  text: string | null;
  level: Level;
  mediaSha256: string | null;
  /** A relay (tiếp sóng, issue #8) instead of a media: the units pull this stream for durationMs. */
  relay: Relay | null;
  state: BulletinState;
  targets: { commune?: boolean; zoneIds?: string[]; unitIds?: string[] };
  recurrence: { days: number[]; windowIds?: string[]; pinnedTimes?: string[] };
  repeat: { count: number; gapSeconds: number };
  validFrom: string;
  validUntil: string;
  volume: number;
  createdAt: number;
  approvedAt: number | null;
  rejectedReason: string | null;
  /** The writer's account id: only they (or an administrator) may edit it. */
  createdBy?: number | null;
}

/** What the loudness normalization could not reach (server/src/media/warnings.ts, issue #6). */
export interface MediaWarning {
  code: 'gain-capped' | 'loudness-missed' | 'peak-over';
  message: string;
}

export interface Media {
  sha256: string;
  bytes: number;
  durationMs: number;
  codec: string;
  originalName: string | null;
  originalBytes: number;
  originalFormat: string | null;
  createdAt: number;
  /** Empty when the stored audio is on its loudness target. */
  warnings?: MediaWarning[];
}

export interface IngestJob {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  percent: number;
  media?: Media;
  error?: string;
  errorCode?: string;
}

/** One plan of the day and the units that follow it (units of the same zones share one). */
export interface SharedDayPlan {
  unitIds: string[];
  windows: PlannedWindow[];
  items: PlanItem[];
}

/** An item that did not fit, with its bulletin's title (the timeline adds it to the planner's). */
export type OverbookedView = OverbookedItem & { title?: string | null };

export interface CommuneTimeline {
  communeId: string;
  date: string;
  timeZone: string;
  zones: Array<{ id: string; unitIds: string[] }>;
  /** Every unit of the commune is in exactly one. */
  plans: SharedDayPlan[];
  overbooked: OverbookedView[];
}

export interface UnitTimeline {
  unitId: string;
  date: string;
  timeZone: string;
  windows: PlannedWindow[];
  items: PlanItem[];
  overbooked: OverbookedView[];
}

export interface PlayLogEntry {
  itemId: string | null;
  bulletinId: string | null;
  sha256: string | null;
  planVersion: number | null;
  scheduledAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  outcome: string;
  reason: string | null;
}

export type CommandType = 'volume' | 'mute' | 'unmute' | 'stop' | 'test-tone' | 'resync' | 'reboot' | 'play-now';

export interface Command {
  id: string;
  unitId: string;
  type: CommandType;
  args?: Record<string, unknown>;
  state: 'pending' | 'acked' | 'failed' | 'expired';
  error?: string;
  issuedAt: number;
  ackedAt?: number;
  expiresAt?: number;
}

export interface Alert {
  id: number | string;
  unitId: string | null;
  kind: string;
  state: 'raised' | 'cleared';
  message: string;
  raisedAt: number;
  clearedAt: number | null;
  /** What the rule kept (the wanted relay state…), and `clearedBy` when a person cleared it. */
  detail?: Record<string, unknown> | null;
}

export interface User {
  id: number;
  username: string;
  role: Role;
  communeIds: string[] | null;
  disabled?: boolean;
  mustChangePassword?: boolean;
  createdAt?: number;
}
