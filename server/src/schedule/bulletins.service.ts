// Bulletins: creation and edits with every check of DESIGN §5 that can be made up front, and the
// state machine (bulletins.transitions.ts), including the moves the server makes on its own.
import { randomBytes } from 'node:crypto';
import { addDays, describeWindows, planDay, toZoned, weekdayOf, type PlannerBulletin } from '@loa/shared';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { bulletinsRepo, type BulletinRow } from './bulletins.repo.js';
import {
  authorizeCreate,
  authorizeEdit,
  authorizeTransition,
  checkEditable,
  EDIT,
  expireLapsed,
  nextState,
  putOnAir,
  type BulletinAction,
  type BulletinActor,
} from './bulletins.transitions.js';
import { mergeEdit, toFields, type CreateInput, type EditInput } from './bulletins.input.js';
import { communesRepo } from './communes.repo.js';
import { plannerInputReader, toPlannerBulletin } from './planner-input.js';

/** How far ahead the quiet-hours guard looks for occurrences of a new bulletin. */
const GUARD_DAYS = 8;

export function toBulletinView(r: BulletinRow) {
  return {
    id: r.id,
    communeId: r.commune_id,
    title: r.title,
    text: r.text,
    level: r.level,
    mediaSha256: r.media_sha256,
    relay: r.relay_url && r.relay_duration_ms ? { url: r.relay_url, durationMs: r.relay_duration_ms } : null,
    state: r.state,
    targets: JSON.parse(r.targets) as { commune?: boolean; zoneIds?: string[]; unitIds?: string[] },
    recurrence: JSON.parse(r.recurrence) as { days: number[]; windowIds?: string[]; pinnedTimes?: string[] },
    repeat: { count: r.repeat_count, gapSeconds: r.repeat_gap_s },
    validFrom: new Date(r.valid_from).toISOString(),
    validUntil: new Date(r.valid_until).toISOString(),
    volume: r.volume,
    createdAt: r.created_at,
    approvedAt: r.approved_at,
    rejectedReason: r.rejected_reason,
    createdBy: r.created_by,
    approvedBy: r.approved_by ?? null,
  };
}

/** `onChange` is told which communes' planned bulletins changed: their units are re-planned. */
export function bulletinsService(db: Db, onChange: (communeIds?: readonly string[]) => void) {
  const repo = bulletinsRepo(db);
  const communes = communesRepo(db);
  const reader = plannerInputReader(db);
  /** Bulletins seen on air, expired or withdrawn: none of them can be put on air again. */
  const pastApproved = new Set<string>();

  /**
   * Rule 1 at the API (the agent checks it again): plans the new bulletin, with those already
   * approved, over its next days, and refuses it if any occurrence would sound outside the windows
   * or collide with another pinned item. The planner is the one source of truth for both.
   */
  function guard(b: PlannerBulletin, now: number) {
    const world = reader.world(b.communeId, now)!;
    const unitIds = new Set(world.units.map((u) => u.id));
    const zoneIds = new Set(world.zones.map((z) => z.id));
    for (const id of b.targets.unitIds)
      if (!unitIds.has(id))
        throw new HttpError(400, 'unknown-unit', `There is no unit ${id} in this commune.`, 'targets.unitIds');
    for (const id of b.targets.zoneIds)
      if (!zoneIds.has(id))
        throw new HttpError(400, 'unknown-zone', `There is no zone ${id} in this commune.`, 'targets.zoneIds');
    const known = new Set(world.commune.windows.map((w) => w.id));
    for (const z of world.zones) for (const w of z.windows ?? []) known.add(w.id);
    for (const id of b.recurrence.windowIds ?? []) {
      if (!known.has(id))
        throw new HttpError(
          400,
          'unknown-window',
          `There is no window ${id}; the windows are ${world.commune.windows.map((w) => `${w.id} (${w.start}–${w.end})`).join(', ')}.`,
          'recurrence.windowIds',
        );
    }
    const tz = world.commune.timeZone;
    const first = toZoned(Math.max(now, b.validFrom), tz).date;
    const last = toZoned(b.validUntil, tz).date;
    for (let d = 0, date = first; d < GUARD_DAYS && date <= last; d++, date = addDays(date, 1)) {
      if (!b.recurrence.days.includes(weekdayOf(date))) continue;
      const result = planDay({
        date,
        communes: [world.commune],
        zones: world.zones,
        units: world.units,
        bulletins: [...world.bulletins, b],
      });
      const bad = result.overbooked.find(
        (o) => o.bulletinId === b.id && ['outside-window', 'no-window', 'pinned-conflict'].includes(o.reason),
      );
      if (bad?.reason === 'pinned-conflict')
        throw new HttpError(409, 'pinned-conflict', `${bad.detail} Choose another time.`, 'recurrence.pinnedTimes');
      // A pinned time outside the windows is the time's fault; a packed bulletin with no window
      // to air in (its windows are not among a targeted unit's) is the chosen windows' fault.
      if (bad && b.recurrence.pinnedTimes?.length) {
        throw new HttpError(
          400,
          'outside-windows',
          `Only an emergency may sound outside the broadcast windows (${describeWindows(world.commune.windows)}). ${bad.detail} Choose a time inside a window.`,
          'recurrence.pinnedTimes',
        );
      }
      if (bad) {
        throw new HttpError(
          400,
          'outside-windows',
          `${bad.detail} Choose windows the targeted units have, or none to use all of them.`,
          'recurrence.windowIds',
        );
      }
    }
  }

  return {
    list: (limit = 200) => repo.list(limit).map(toBulletinView),
    get(id: string) {
      const row = repo.get(id);
      if (!row) throw new HttpError(404, 'bulletin-not-found', `There is no bulletin ${id}.`);
      return toBulletinView(row);
    },
    create(input: CreateInput, actor: BulletinActor | null) {
      if (actor) authorizeCreate(input.level, actor);
      const commune = input.communeId ? communes.get(input.communeId) : communes.only();
      if (!commune)
        throw new HttpError(
          400,
          'commune-required',
          input.communeId
            ? `There is no commune ${input.communeId}.`
            : 'Name the commune (communeId): there is more than one.',
          'communeId',
        );
      const { fields, media } = toFields(input, reader.mediaRef);
      const now = Date.now();
      const row = {
        ...fields,
        id: `b-${randomBytes(6).toString('hex')}`,
        commune_id: commune.id,
        created_by: actor?.id ?? null,
        created_at: now,
      };
      guard(toPlannerBulletin({ ...row, state: 'approved', approved_at: now, rejected_reason: null }, media, now), now);
      repo.insert(row);
      return toBulletinView(repo.get(row.id)!);
    },
    /**
     * Edits a draft or a rejected bulletin (its writer, or an administrator): the fields given
     * replace the stored ones, checked as a new bulletin is; a rejected bulletin becomes a draft.
     * Nothing is saved unless every check passes. Drafts are not planned: no re-plan.
     */
    edit(id: string, patch: EditInput, actor: BulletinActor | null) {
      const row = repo.get(id);
      if (!row) throw new HttpError(404, 'bulletin-not-found', `There is no bulletin ${id}.`);
      if (actor) authorizeEdit(row, patch.level, actor);
      checkEditable(row.state);
      // Fastify's schema check drops unknown fields (communeId, state…): they may leave nothing.
      if (Object.values(patch).every((v) => v === undefined))
        throw new HttpError(400, 'empty-edit', 'Nothing to change: give at least one field of the bulletin.');
      const { fields, media } = toFields(mergeEdit(row, patch), reader.mediaRef);
      const now = Date.now();
      const next = { ...row, ...fields, state: 'approved' as const, approved_at: now };
      guard(toPlannerBulletin(next, media, now), now);
      if (!repo.edit({ ...fields, id }, row.state, EDIT.to))
        throw new HttpError(409, 'not-editable', 'The bulletin changed state meanwhile; reload it and try again.');
      return toBulletinView(repo.get(id)!);
    },
    /**
     * approved → on air, for the bulletins a unit just reported starting an item of. Issue #10: a
     * province's 5,000 units report starting the same bulletin within a second, each a write
     * statement; a bulletin seen on air or past it (which never returns to approved) is skipped.
     */
    markOnAir(bulletinIds: readonly string[]) {
      const unsure = bulletinIds.filter((id) => !pastApproved.has(id));
      if (unsure.length === 0) return [];
      const moved = putOnAir(repo, unsure);
      for (const id of unsure) {
        const state = moved.includes(id) ? 'on_air' : repo.get(id)?.state;
        if (state === 'on_air' || state === 'expired' || state === 'withdrawn') pastApproved.add(id);
      }
      return moved;
    },
    /** Expires the bulletins past their valid-until; re-plans when any was planned. */
    expireLapsed(now = Date.now()) {
      const moved = expireLapsed(repo, now);
      if (moved.length) onChange([...new Set(moved.map((id) => repo.get(id)?.commune_id ?? ''))].filter(Boolean));
      return moved;
    },
    transition(id: string, action: BulletinAction, actor: BulletinActor | null, reason: string | null = null) {
      const row = repo.get(id);
      if (!row) throw new HttpError(404, 'bulletin-not-found', `There is no bulletin ${id}.`);
      if (actor) authorizeTransition(action, row, actor);
      const userId = actor?.id ?? null;
      const to = nextState(action, row.state);
      if (to === 'approved') {
        // Windows, zones or other pinned items may have changed since the bulletin was written:
        // check rule 1 again at the moment it is allowed to air.
        const media = reader.bulletinMedia(row);
        if (!media)
          throw new HttpError(
            409,
            'unknown-media',
            'The audio of this bulletin is missing; upload it again.',
            'mediaSha256',
          );
        const now = Date.now();
        guard(toPlannerBulletin(row, media, now), now);
      }
      if (!to || !repo.setState(id, row.state, to, userId, reason)) {
        throw new HttpError(
          409,
          'invalid-transition',
          `A bulletin that is ${row.state} cannot be ${action === 'submit' ? 'submitted' : `${action}d`}.`,
        );
      }
      if (to === 'approved' || row.state === 'approved' || row.state === 'on_air') onChange([row.commune_id]);
      return toBulletinView(repo.get(id)!);
    },
  };
}
export type BulletinsService = ReturnType<typeof bulletinsService>;
