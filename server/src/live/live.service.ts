// Live broadcast (issue #8, DESIGN §3/§5/§7). A person with the `live` permission opens a session
// on some units; each unit gets a signed `live-start` command carrying the session's key and the
// stream's Ogg header pages, then every 20 ms Opus packet from the browser is checked, wrapped in an
// Ogg page, tagged with the session's HMAC and published once on `live/{session}` (QoS 0: a late
// packet is worth nothing). One session per unit at a time. The session ends when its person stops
// it, closes the page, or falls silent for IDLE_MS; the units then get `live-stop`.
import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { topics, type CommandBody } from '@loa/shared';
import { newLiveSessionKey, signLiveFrame } from '@loa/shared/live-frame';
import { oggPage, opusHeadPages } from '@loa/shared/ogg';
import type { Bus } from '../broker/bus.js';
import type { Db } from '../db/database.js';
import type { Hub } from '../hub.js';
import type { Signer } from '../keys/signing-key.js';
import { HttpError } from '../http-error.js';
import { commandsRepo } from '../commands/commands.repo.js';
import { emergencyRepo } from '../emergency/emergency.repo.js';
import { resolveTargets, type EmergencyInput } from '../emergency/emergency.service.js';
import { checkOpusPacket } from './opus-packet.js';

/** No packet for this long ends a session (a closed laptop lid, a dead link). */
export const IDLE_MS = 10_000;
/** Nobody speaks for two hours on a loudspeaker by accident. */
export const MAX_SESSION_MS = 2 * 3600_000;
/** A unit must get live-start (or live-stop) within this, or not at all: never a stale start. */
const COMMAND_VALID_MS = 30_000;
/** The agents release after this long without a frame (the server's idle end reaches them too). */
const AGENT_IDLE_MS = 5_000;
/** seq (4 bytes) + one Opus packet of at most 120 ms of mono speech. */
export const MAX_MESSAGE_BYTES = 4 + 4000;
const SEQ_BYTES = 4;
/** Ended sessions kept for GET /api/live/:id. */
const KEEP_ENDED = 50;

export type LiveLevel = 'normal' | 'emergency';

export interface LiveInput {
  communeId: string;
  title?: string;
  targets: EmergencyInput['targets'];
  volume: number;
  /** An emergency live (rule 4) sounds outside windows too and takes units from a normal one. */
  level?: LiveLevel;
}

export interface LiveUnitView {
  unitId: string;
  state: 'pending' | 'ok' | 'error' | 'expired';
  error?: string;
  ackedAt?: number;
}

export interface LiveView {
  id: string;
  communeId: string;
  title: string | null;
  level: LiveLevel;
  startedBy: { id: number; name: string };
  startedAt: number;
  endedAt: number | null;
  endReason: string | null;
  volume: number;
  units: LiveUnitView[];
  frames: { received: number; dropped: number };
}

/** What the browser's socket hears about its session. */
export type LiveNotice =
  | { type: 'units'; units: LiveUnitView[]; reason?: string }
  | { type: 'dropped'; seq: number | null; reason: string }
  | { type: 'ended'; reason: string };

interface Session {
  id: string;
  communeId: string;
  title: string | null;
  level: LiveLevel;
  startedBy: { id: number; name: string };
  startedAt: number;
  endedAt: number | null;
  endReason: string | null;
  volume: number;
  key: string;
  serial: number;
  /** Ogg page sequence; 0 and 1 are the header pages. */
  pageSeq: number;
  granule: bigint;
  /** The live frames' seq on MQTT: never reused within a session, whatever the browser does. */
  frameSeq: number;
  /** The browser's last seq on its current socket. */
  clientSeq: number;
  units: Map<string, string>;
  received: number;
  dropped: number;
  lastDropNotice: number;
  idle: NodeJS.Timeout | undefined;
  cap: NodeJS.Timeout | undefined;
  listeners: Set<(n: LiveNotice) => void>;
}

export interface LiveDeps {
  db: Db;
  bus: Bus;
  signer: Signer;
  hub: Hub;
  log: FastifyBaseLogger;
  /** Records what the server itself ends (the REST routes audit what people do). */
  audit: (action: string, session: LiveView, detail: Record<string, unknown>) => void;
  idleMs?: number;
}

export function liveService({ db, bus, signer, hub, log, audit, idleMs = IDLE_MS }: LiveDeps) {
  const targetsRepo = emergencyRepo(db);
  const commands = commandsRepo(db);
  const planBody = db.prepare('SELECT body FROM plans WHERE unit_id = ?').pluck();
  const active = new Map<string, Session>();
  const ended = new Map<string, Session>();
  /** Which session holds each unit. */
  const holder = new Map<string, string>();

  function unitsOf(s: Session): LiveUnitView[] {
    const now = Date.now();
    return [...s.units].map(([unitId, commandId]) => {
      const row = commands.get(unitId, commandId);
      if (!row) return { unitId, state: 'error', error: 'the command is gone' };
      const state =
        row.state === 'acked'
          ? 'ok'
          : row.state === 'failed'
            ? 'error'
            : row.state === 'expired' || row.expires_at <= now
              ? 'expired'
              : 'pending';
      return {
        unitId,
        state,
        ...(row.error ? { error: row.error } : {}),
        ...(row.acked_at ? { ackedAt: row.acked_at } : {}),
      };
    });
  }

  function view(s: Session): LiveView {
    return {
      id: s.id,
      communeId: s.communeId,
      title: s.title,
      level: s.level,
      startedBy: s.startedBy,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      endReason: s.endReason,
      volume: s.volume,
      units: unitsOf(s),
      frames: { received: s.received, dropped: s.dropped },
    };
  }

  function notify(s: Session, n: LiveNotice) {
    for (const fn of s.listeners) fn(n);
  }

  /** Signs one command per unit, stores it (acks, re-send on reconnect) and sends them all at once. */
  async function sendCommands(
    type: 'live-start' | 'live-stop',
    unitIds: string[],
    args: Record<string, unknown>,
    storedArgs: Record<string, unknown>,
    issuedBy: number | null,
  ): Promise<Map<string, string>> {
    const issuedAt = Date.now();
    const expiresAt = issuedAt + COMMAND_VALID_MS;
    const sent = unitIds.map((unitId) => {
      const body: CommandBody = {
        unit: unitId,
        id: `cmd-${randomBytes(8).toString('hex')}`,
        type,
        args,
        issuedAt,
        expiresAt,
      };
      return { unitId, id: body.id, envelope: JSON.stringify(signer.sign(body)) };
    });
    // The key is in the signed envelope (the unit needs it); the args column, which people can
    // list, does not hold it.
    const argsText = JSON.stringify(storedArgs);
    db.transaction(() => {
      for (const s of sent)
        commands.insert({
          id: s.id,
          unitId: s.unitId,
          type,
          args: argsText,
          issuedAt,
          expiresAt,
          issuedBy,
          envelope: s.envelope,
        });
    })();
    await Promise.all(
      sent.map((s) =>
        bus.publish(topics.cmd(s.unitId), s.envelope, { qos: 1 }).catch((err: Error) => {
          log.warn(
            { unit: s.unitId, err: err.message },
            `live: ${type} publish failed; sent again when the unit is back`,
          );
        }),
      ),
    );
    return new Map(sent.map((s) => [s.unitId, s.id]));
  }

  function armIdle(s: Session) {
    clearTimeout(s.idle);
    s.idle = setTimeout(() => void stop(s.id, `no audio for ${Math.round(idleMs / 1000)} s`, null), idleMs);
    s.idle.unref();
  }

  async function stop(id: string, reason: string, by: { id: number } | null): Promise<LiveView> {
    const s = active.get(id);
    if (!s) {
      const old = ended.get(id);
      if (old) return view(old);
      throw new HttpError(404, 'live-not-found', `There is no live session ${id}.`);
    }
    active.delete(id);
    clearTimeout(s.idle);
    clearTimeout(s.cap);
    s.endedAt = Date.now();
    s.endReason = reason;
    for (const unitId of s.units.keys()) if (holder.get(unitId) === id) holder.delete(unitId);
    ended.set(id, s);
    if (ended.size > KEEP_ENDED) ended.delete(ended.keys().next().value!);
    const args = { sessionId: id };
    await sendCommands('live-stop', [...s.units.keys()], args, args, by?.id ?? null);
    const v = view(s);
    if (!by) audit('live.end', v, { reason, frames: v.frames });
    log.info({ session: id, reason, frames: v.frames }, 'live: session ended');
    notify(s, { type: 'ended', reason });
    s.listeners.clear();
    return v;
  }

  /** Rule 1: inside one of the windows of the unit's current plan. */
  function insideWindow(unitId: string, now: number): boolean {
    const body = planBody.get(unitId) as string | undefined;
    if (!body) return false;
    const { windows } = JSON.parse(body) as { windows: { startAt: number; endAt: number }[] };
    return windows.some((w) => w.startAt <= now && now < w.endAt);
  }

  /** An emergency live takes a unit from the normal session holding it; a session left empty ends. */
  async function takeOver(unitId: string, by: Session) {
    const other = active.get(holder.get(unitId) ?? '');
    if (!other) return;
    other.units.delete(unitId);
    holder.delete(unitId);
    if (!other.units.size)
      await stop(other.id, `its units were taken by an emergency live broadcast of ${by.startedBy.name}`, null);
    else notify(other, { type: 'units', units: unitsOf(other) });
  }

  /**
   * Rule 4: an emergency broadcast cuts live on its units (each agent does it on its own when the
   * emergency command arrives, an emergency live too). The server follows at once: the units leave
   * the session holding them, so they are no longer counted as on air nor held against another
   * start; the page is told; a session left with no unit ends. The units also get a live-stop, so
   * a live-start still waiting for an offline unit cannot resume the session over the emergency.
   */
  async function yieldToEmergency(emergencyId: string, unitIds: string[]) {
    const taken = new Map<Session, string[]>();
    for (const unitId of unitIds) {
      const s = active.get(holder.get(unitId) ?? '');
      if (!s) continue;
      s.units.delete(unitId);
      holder.delete(unitId);
      taken.set(s, [...(taken.get(s) ?? []), unitId]);
    }
    for (const [s, units] of taken) {
      const reason = `emergency broadcast ${emergencyId} took ${units.join(', ')}`;
      log.warn({ session: s.id, emergency: emergencyId, units }, 'live: units taken by an emergency');
      if (!s.units.size) await stop(s.id, `its units were taken by emergency broadcast ${emergencyId}`, null);
      else {
        audit('live.units-taken', view(s), { emergency: emergencyId, units });
        notify(s, { type: 'units', units: unitsOf(s), reason });
      }
      const args = { sessionId: s.id };
      await sendCommands('live-stop', units, args, args, null);
    }
  }

  const onEmergency = hub.on('emergency-started', ({ emergencyId, unitIds }) => {
    yieldToEmergency(emergencyId, unitIds).catch((err: Error) =>
      log.error({ emergency: emergencyId, err: err.message }, 'live: giving units up to an emergency failed'),
    );
  });

  const onAck = hub.on('command-ack', ({ unitId, commandId }) => {
    const id = holder.get(unitId);
    const s = id ? active.get(id) : undefined;
    if (s && s.units.get(unitId) === commandId) notify(s, { type: 'units', units: unitsOf(s) });
  });

  return {
    async start(input: LiveInput, user: { id: number; name: string }): Promise<LiveView> {
      const unitIds = resolveTargets(targetsRepo, input.communeId, input.targets);
      const level = input.level ?? 'normal';
      if (level === 'normal') {
        // Rule 1, checked here and again by each agent against the windows it holds.
        const now = Date.now();
        const outside = unitIds.filter((u) => !insideWindow(u, now));
        if (outside.length)
          throw new HttpError(
            409,
            'outside-window',
            `No broadcast window is open now on ${outside.join(', ')}: outside the windows only an emergency live broadcast may sound (rule 1). Wait for the window, or leave those units out.`,
            'targets',
          );
        // One voice per loudspeaker: two people talking over each other help nobody.
        for (const unitId of unitIds) {
          const other = active.get(holder.get(unitId) ?? '');
          if (other)
            throw new HttpError(
              409,
              'live-busy',
              `Unit ${unitId} is already live in a session of ${other.startedBy.name} (since ${new Date(other.startedAt).toISOString()}). Ask them to stop, or leave that unit out.`,
              'targets',
            );
        }
      } else {
        // Rule 4: an emergency is not kept waiting by anyone's live session, emergency or not.
        for (const unitId of unitIds) {
          const other = active.get(holder.get(unitId) ?? '');
          if (other?.level === 'emergency' && other.startedBy.id !== user.id)
            throw new HttpError(
              409,
              'live-busy',
              `Unit ${unitId} is already in an emergency live broadcast of ${other.startedBy.name}. Ask them to stop first.`,
              'targets',
            );
        }
      }
      const id = `live-${randomBytes(8).toString('hex')}`;
      const s: Session = {
        id,
        communeId: input.communeId,
        title: input.title ?? null,
        level,
        startedBy: user,
        startedAt: Date.now(),
        endedAt: null,
        endReason: null,
        volume: input.volume,
        key: newLiveSessionKey(),
        serial: randomInt(0, 2 ** 32 - 1),
        pageSeq: 2,
        granule: 0n,
        frameSeq: 0,
        clientSeq: -1,
        units: new Map(),
        received: 0,
        dropped: 0,
        lastDropNotice: 0,
        idle: undefined,
        cap: undefined,
        listeners: new Set(),
      };
      // Held before the first await, so a second start at the same instant finds them taken.
      const taken = unitIds.filter((u) => active.has(holder.get(u) ?? ''));
      const previous = new Map(taken.map((u) => [u, holder.get(u)!]));
      active.set(id, s);
      for (const unitId of unitIds) holder.set(unitId, id);
      for (const [unitId, was] of previous) {
        // The agent ends the old session itself when the new live-start arrives.
        holder.set(unitId, was);
        await takeOver(unitId, s);
        holder.set(unitId, id);
      }
      const stored = { sessionId: id, volume: input.volume, idleMs: AGENT_IDLE_MS, level };
      const args = { ...stored, key: s.key, head: opusHeadPages(s.serial).toString('base64') };
      s.units = await sendCommands('live-start', unitIds, args, stored, user.id);
      armIdle(s);
      s.cap = setTimeout(() => void stop(id, 'reached the two-hour limit of a live session', null), MAX_SESSION_MS);
      s.cap.unref();
      log.warn({ session: id, units: unitIds.length, by: user.id }, 'live: session started');
      return view(s);
    },

    stop,

    get(id: string, inScope: (communeId: string) => boolean): LiveView {
      const s = active.get(id) ?? ended.get(id);
      if (!s || !inScope(s.communeId)) throw new HttpError(404, 'live-not-found', `There is no live session ${id}.`);
      return view(s);
    },

    list: (inScope: (communeId: string) => boolean) =>
      [...active.values()].filter((s) => inScope(s.communeId)).map(view),

    /**
     * The browser's socket for a session: only its own person, only while it lasts. A new socket
     * replaces the old one (a reconnect after a dropped link) and starts its own seq afresh.
     */
    attach(id: string, userId: number, listener: (n: LiveNotice) => void): { detach(): void } {
      const s = active.get(id);
      if (!s) {
        const old = ended.get(id);
        throw new HttpError(
          410,
          'live-ended',
          `Live session ${id} has ended${old ? ` (${old.endReason})` : ''}; start a new one.`,
        );
      }
      if (s.startedBy.id !== userId)
        throw new HttpError(403, 'live-not-yours', 'Only the person who started this live session may speak in it.');
      s.clientSeq = -1;
      s.listeners.add(listener);
      listener({ type: 'units', units: unitsOf(s) });
      return { detach: () => void s.listeners.delete(listener) };
    },

    /**
     * One message from the browser: seq (u32 BE) + one Opus packet. A bad one is dropped and
     * counted; the session goes on. Returns why it was dropped, or undefined when it went out.
     */
    frame(id: string, data: Buffer): string | undefined {
      const s = active.get(id);
      if (!s) return 'the session has ended';
      const drop = (seq: number | null, reason: string) => {
        s.dropped++;
        const now = Date.now();
        // Said to the browser at most once a second: a broken encoder must not flood its own socket.
        if (now - s.lastDropNotice >= 1000) {
          s.lastDropNotice = now;
          notify(s, { type: 'dropped', seq, reason });
        }
        return reason;
      };
      if (data.length > MAX_MESSAGE_BYTES) return drop(null, `message of ${data.length} bytes is too large`);
      if (data.length < SEQ_BYTES + 1) return drop(null, 'message too short for a sequence number and a packet');
      const seq = data.readUInt32BE(0);
      if (seq <= s.clientSeq) return drop(seq, `sequence ${seq} is not after ${s.clientSeq}`);
      const packet = data.subarray(SEQ_BYTES);
      const check = checkOpusPacket(packet);
      if (!check.ok) return drop(seq, `not an Opus packet: ${check.error}`);
      s.clientSeq = seq;
      s.received++;
      s.granule += BigInt(check.samples);
      const page = oggPage({ serial: s.serial, sequence: s.pageSeq++, granule: s.granule, packet });
      const frame = signLiveFrame(s.key, s.id, s.frameSeq++, page);
      armIdle(s);
      bus.publish(topics.live(s.id), frame, { qos: 0 }).catch((err: Error) => {
        log.warn({ session: s.id, err: err.message }, 'live: frame publish failed');
      });
      return undefined;
    },

    async close() {
      onAck();
      onEmergency();
      for (const id of [...active.keys()]) await stop(id, 'the server is stopping', null).catch(() => undefined);
    },
  };
}
export type LiveService = ReturnType<typeof liveService>;
