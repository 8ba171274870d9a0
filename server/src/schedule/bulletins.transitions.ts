// The bulletin state machine (DESIGN §4) and who may move it (DESIGN §7, Thông tư 39), in one
// place: draft → submitted → approved → on air → expired/withdrawn; submitted → rejected → submitted.
// The editor writes and submits; an approver approves or rejects with a reason; nobody — an
// administrator included — approves a bulletin they wrote; an emergency bulletin needs the
// emergency permission for every step, creation included.
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
