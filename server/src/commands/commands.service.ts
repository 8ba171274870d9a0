// Commands to one unit (DESIGN §6, the Commands API of issue 7): checked here, signed with the
// server's key (DESIGN §7), published QoS 1 on `units/{id}/cmd`, kept in a table with their state.
// The unit answers on `cmd/ack`; each answer is announced on the hub as 'command-ack'. A command
// not acknowledged by its expiry is `expired` — the unit itself refuses it after that instant too.
// A unit that was offline gets its still-valid pending commands again when it comes back (the
// broker keeps nothing for a clean session); it runs each id once and re-acknowledges repeats.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { CommandAck, decoder, isSha256, topics, type CommandBody } from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import type { Db } from '../db/database.js';
import type { Hub } from '../hub.js';
import type { Signer } from '../keys/signing-key.js';
import { HttpError } from '../http-error.js';
import { commandsRepo, type CommandRow } from './commands.repo.js';
import type { ApiCommandType } from './commands.schemas.js';

const ackDecoder = decoder(CommandAck);
export const DEFAULT_TTL_S = 120;
const SWEEP_MS = 5000;

export interface CommandView {
  id: string;
  unitId: string;
  type: string;
  args: Record<string, unknown>;
  state: CommandRow['state'];
  error?: string;
  issuedAt: number;
  expiresAt: number;
  ackedAt?: number;
}

function toView(row: CommandRow, now: number): CommandView {
  const state = row.state === 'pending' && row.expires_at <= now ? 'expired' : row.state;
  return {
    id: row.id,
    unitId: row.unit_id,
    type: row.type,
    args: JSON.parse(row.args) as Record<string, unknown>,
    state,
    ...(row.error ? { error: row.error } : {}),
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    ...(row.acked_at ? { ackedAt: row.acked_at } : {}),
  };
}

const bad = (field: string, message: string) => new HttpError(400, 'invalid-command', message, `args.${field}`);

/** Checks a command's arguments on the server, so a typo is a 400 now, not a failed ack later. */
export function checkArgs(
  type: ApiCommandType,
  args: Record<string, unknown>,
  mediaExists: (sha: string) => boolean,
): Record<string, unknown> {
  const allowed: Record<ApiCommandType, string[]> = {
    volume: ['volume'],
    mute: [],
    unmute: [],
    stop: [],
    resync: [],
    reboot: [],
    'test-tone': ['seconds', 'force'],
    'play-now': ['sha256', 'force'],
  };
  for (const key of Object.keys(args))
    if (!allowed[type].includes(key)) throw bad(key, `A ${type} command takes no argument "${key}".`);
  if ('force' in args && typeof args.force !== 'boolean') throw bad('force', 'force must be true or false.');
  if (type === 'volume') {
    const v = args.volume;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100)
      throw bad('volume', 'Give the volume as a whole number from 0 to 100.');
  }
  if (type === 'test-tone' && args.seconds !== undefined) {
    const s = args.seconds;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > 60)
      throw bad('seconds', 'A test tone lasts a whole number of seconds from 1 to 60.');
  }
  if (type === 'play-now') {
    const sha = args.sha256;
    if (typeof sha !== 'string' || !isSha256(sha))
      throw bad('sha256', 'Name the media by its SHA-256 (64 hex digits).');
    if (!mediaExists(sha))
      throw new HttpError(
        404,
        'media-not-found',
        `There is no media ${sha.slice(0, 12)}…; upload it first.`,
        'args.sha256',
      );
  }
  return args;
}

/** Who sends a command, as far as the sounding rules care. */
export interface CommandActor {
  id: number;
  permissions: ReadonlySet<string>;
}

/**
 * Rule 1 and rule 3 for sounds asked by command: `force` (sound outside every window) is the
 * leader's decision, like an emergency; play-now sounds only what was approved to air in the unit's
 * commune, unless the sender may sound an emergency anyway (issue #4). A technician tests with a
 * tone inside the windows.
 */
export function authorizeSound(
  type: ApiCommandType,
  args: Record<string, unknown>,
  actor: CommandActor,
  approvedInCommune: (sha: string) => boolean,
): void {
  const leader = actor.permissions.has('emergency');
  if (args.force === true && !leader)
    throw new HttpError(
      403,
      'forbidden',
      'Sounding outside the broadcast windows (force) needs the emergency permission: ask the leader, or wait for a window.',
      'args.force',
    );
  if (type === 'play-now' && !leader && !approvedInCommune(args.sha256 as string))
    throw new HttpError(
      403,
      'media-not-approved',
      'Play now sounds only the audio of an approved bulletin of this commune. Submit it as a bulletin for approval first.',
      'args.sha256',
    );
}

export interface CommandsDeps {
  db: Db;
  bus: Bus;
  signer: Signer;
  hub: Hub;
  log: FastifyBaseLogger;
}

export function commandsService({ db, bus, signer, hub, log }: CommandsDeps) {
  const repo = commandsRepo(db);
  const mediaRow = db.prepare('SELECT 1 FROM media WHERE sha256 = ?');
  const mediaExists = (sha: string) => mediaRow.get(sha) !== undefined;
  const approvedMedia = db.prepare(
    `SELECT 1 FROM bulletins WHERE media_sha256 = ? AND commune_id = ? AND state IN ('approved', 'on_air') LIMIT 1`,
  );
  let sweep: NodeJS.Timeout | undefined;

  const send = (row: CommandRow) =>
    bus.publish(topics.cmd(row.unit_id), row.envelope, { qos: 1 }).catch((err: Error) => {
      // Still pending: sent again when the unit (or the broker) is back.
      log.warn({ unit: row.unit_id, command: row.id, err: err.message }, 'commands: publish failed');
    });

  return {
    async issue(
      unitId: string,
      input: { type: ApiCommandType; args?: Record<string, unknown>; ttlSeconds?: number },
      actor: CommandActor | null,
      communeId: string,
    ) {
      const args = checkArgs(input.type, input.args ?? {}, mediaExists);
      if (actor) authorizeSound(input.type, args, actor, (sha) => approvedMedia.get(sha, communeId) !== undefined);
      const issuedBy = actor?.id ?? null;
      const issuedAt = Date.now();
      const expiresAt = issuedAt + (input.ttlSeconds ?? DEFAULT_TTL_S) * 1000;
      const body: CommandBody = {
        unit: unitId,
        id: `cmd-${randomBytes(8).toString('hex')}`,
        type: input.type,
        args,
        issuedAt,
        expiresAt,
      };
      const envelope = JSON.stringify(signer.sign(body));
      repo.insert({
        id: body.id,
        unitId,
        type: body.type,
        args: JSON.stringify(args),
        issuedAt,
        expiresAt,
        issuedBy,
        envelope,
      });
      await send(repo.get(unitId, body.id)!);
      return { id: body.id, unitId, type: body.type, state: 'pending' as const, expiresAt };
    },
    get(unitId: string, id: string): CommandView {
      const row = repo.get(unitId, id);
      if (!row) throw new HttpError(404, 'command-not-found', `Unit ${unitId} has no command ${id}.`);
      return toView(row, Date.now());
    },
    list: (unitId: string, limit = 50) => repo.list(unitId, limit).map((r) => toView(r, Date.now())),
    /** Wires `cmd/ack`, the re-send on reconnect and the expiry sweep. */
    attach() {
      bus.on('unit:cmd/ack', (t, payload) => {
        if (t.kind !== 'unit') return;
        const ack = ackDecoder.decode(payload, 4096);
        if (!ack.ok) return log.warn({ unit: t.unit, reason: ack.error }, 'commands: dropped ack');
        const { id, ok, error } = ack.value;
        const at = Date.now();
        // A repeated ack (the unit answers a repeated command again) changes nothing.
        if (!repo.ack(t.unit, id, ok, ok ? null : (error ?? 'failed without a reason'), at)) return;
        hub.emit('command-ack', { unitId: t.unit, commandId: id, ok, ...(error ? { error } : {}), at });
      });
      hub.on('unit-status', ({ unitId, online }) => {
        if (!online) return;
        for (const row of repo.pending(unitId, Date.now())) void send(row);
      });
      sweep = setInterval(() => repo.expire(Date.now()), SWEEP_MS);
      sweep.unref();
    },
    close() {
      clearInterval(sweep);
    },
  };
}
export type CommandsService = ReturnType<typeof commandsService>;
