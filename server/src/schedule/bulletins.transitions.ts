// The bulletin state machine (DESIGN §4) and who may move it (DESIGN §7, Thông tư 39), in one
// place: draft → submitted → approved → on air → expired/withdrawn; submitted → rejected → submitted.
// The editor writes and submits; an approver approves or rejects with a reason; nobody — an
// administrator included — approves a bulletin they wrote; an emergency bulletin needs the
// emergency permission for every step, creation included. The writer (or an administrator) may
// edit a draft or a rejected bulletin; editing a rejected one makes it a draft again. The server
// itself puts an approved bulletin on air when a unit starts one of its items, and expires any
// bulletin past its valid-until (rule 3).
import { HttpError } from '../http-error.js';
import type { Permission } from '../auth/permissions.js';

export type BulletinState = 'draft' | 'submitted' | 'approved' | 'on_air' | 'expired' | 'withdrawn' | 'rejected';
export type BulletinAction = 'submit' | 'approve' | 'reject' | 'withdraw';
export type BulletinLevel = 'ordinary' | 'priority' | 'emergency';

export const TRANSITIONS: Record<
  BulletinAction,
  { from: readonly BulletinState[]; to: BulletinState; permission: Permission }
> = {
  submit: { from: ['draft', 'rejected'], to: 'submitted', permission: 'bulletins:write' },
  approve: { from: ['submitted'], to: 'approved', permission: 'bulletins:approve' },
  reject: { from: ['submitted'], to: 'rejected', permission: 'bulletins:approve' },
  withdraw: { from: ['draft', 'submitted', 'approved', 'on_air'], to: 'withdrawn', permission: 'bulletins:write' },
};

/**
 * What the server moves on its own, with no actor (DESIGN §4): a unit's `started` event for one of
 * its items puts an approved bulletin on air; valid-until passing expires it, aired or not, so it
 * never airs again (rule 3).
 */
export const AUTOMATIC_TRANSITIONS = {
  airs: { from: ['approved'], to: 'on_air' },
  expire: { from: ['draft', 'submitted', 'approved', 'on_air'], to: 'expired' },
} as const satisfies Record<string, { from: readonly BulletinState[]; to: BulletinState }>;

/** The SQL the automatic transitions need, kept in bulletins.repo.ts. */
export interface AutomaticMoves {
  /** Moves the listed bulletins that are in `from` to `to`; returns the ids moved. */
  moveIds(ids: readonly string[], from: readonly BulletinState[], to: BulletinState): string[];
  /** Moves every bulletin in `from` whose valid-until is at or before `now`; returns the ids moved. */
  moveLapsed(now: number, from: readonly BulletinState[], to: BulletinState): string[];
}

/** approved → on air, for the bulletins a unit reported starting an item of; returns those moved. */
export function putOnAir(repo: AutomaticMoves, bulletinIds: readonly string[]): string[] {
  const t = AUTOMATIC_TRANSITIONS.airs;
  return bulletinIds.length ? repo.moveIds([...new Set(bulletinIds)], t.from, t.to) : [];
}

/** Expires every bulletin past its valid-until (the minute's sweep); returns those moved. */
export function expireLapsed(repo: AutomaticMoves, now: number): string[] {
  const t = AUTOMATIC_TRANSITIONS.expire;
  return repo.moveLapsed(now, t.from, t.to);
}

/** States in which a bulletin may be edited, and the state an edit leaves it in. */
export const EDIT = { from: ['draft', 'rejected'] as readonly BulletinState[], to: 'draft' as BulletinState };

/** The permission creating a bulletin needs (the route checks `bulletins:write` before). */
export const CREATE_PERMISSION: Permission = 'bulletins:write';

/** States whose bulletins enter plans (rule 3: only approved bulletins air). */
export const PLANNED_STATES: readonly BulletinState[] = ['approved', 'on_air'];

export function nextState(action: BulletinAction, from: BulletinState): BulletinState | undefined {
  const t = TRANSITIONS[action];
  return t.from.includes(from) ? t.to : undefined;
}

/** Who is acting: the permissions they hold. Absent for the server's own jobs (expiry). */
export interface BulletinActor {
  id: number;
  permissions: ReadonlySet<string>;
  /** With an API token: who made it, a person who may differ from the account it acts for. */
  tokenCreatedBy?: number | null;
  /** The account's role: an administrator may edit anyone's draft. */
  role?: string;
}

/**
 * Refuses, with a 403 saying why, an edit the actor may not make: only by its writer or an
 * administrator, and an emergency one only with the emergency permission (for the level it has
 * and the level it would get).
 */
export function authorizeEdit(
  bulletin: { level: BulletinLevel; created_by: number | null },
  newLevel: BulletinLevel | undefined,
  actor: BulletinActor,
): void {
  need(actor, CREATE_PERMISSION, 'edit bulletins');
  if (bulletin.level === 'emergency' || newLevel === 'emergency')
    need(actor, 'emergency', 'edit an emergency bulletin');
  if (bulletin.created_by !== actor.id && actor.role !== 'admin')
    throw new HttpError(
      403,
      'not-own-bulletin',
      'Only the person who wrote this bulletin, or an administrator, may edit it.',
    );
}

/** Refuses, with a 409, an edit of a bulletin past draft or rejected (whoever asks). */
export function checkEditable(state: BulletinState): void {
  if (!EDIT.from.includes(state))
    throw new HttpError(
      409,
      'not-editable',
      `A bulletin that is ${state} cannot be edited; only a draft or a rejected one can. Withdraw it and write a new one.`,
    );
}

/** Refuses, with a 403 saying why, a creation the actor may not make. */
export function authorizeCreate(level: BulletinLevel, actor: BulletinActor): void {
  need(actor, CREATE_PERMISSION, 'write bulletins');
  if (level === 'emergency') need(actor, 'emergency', 'write an emergency bulletin');
}

/** Refuses, with a 403 saying why, a transition the actor may not make on this bulletin. */
export function authorizeTransition(
  action: BulletinAction,
  bulletin: { level: BulletinLevel; created_by: number | null },
  actor: BulletinActor,
): void {
  const t = TRANSITIONS[action];
  need(actor, t.permission, `${action} bulletins`);
  if (bulletin.level === 'emergency') need(actor, 'emergency', `${action} an emergency bulletin`);
  // Four eyes: whoever wrote a bulletin never approves it, whatever their role — nor through a
  // token they made for someone else's account.
  const writer = bulletin.created_by;
  if (action === 'approve' && writer !== null && (writer === actor.id || writer === actor.tokenCreatedBy)) {
    throw new HttpError(
      403,
      'own-bulletin',
      'You wrote this bulletin, so someone else must approve it: ask another approver.',
    );
  }
}

function need(actor: BulletinActor, permission: Permission, what: string): void {
  if (!actor.permissions.has(permission))
    throw new HttpError(403, 'forbidden', `Your account may not ${what}: it needs the ${permission} permission.`);
}
