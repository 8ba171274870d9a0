// Emergency broadcast (issue #8, DESIGN §5 rule 4): one signed `emergency` command per targeted
// unit, all published at once, outside windows too. The commands live in unit_commands like any
// other, so acks, the hub's 'command-ack' and the re-send to a unit that comes back online come
// from the commands feature — and a command past its validity is never sent again, so a unit
// offline for hours does not wake the village with a stale warning (the agent refuses it too).
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { topics, type CommandBody } from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import type { Db } from '../db/database.js';
import type { Hub } from '../hub.js';
import type { Signer } from '../keys/signing-key.js';
import { HttpError } from '../http-error.js';
import { commandsRepo } from '../commands/commands.repo.js';
import type { MediaService } from '../media/media.service.js';
import { emergencyRepo, type EmergencyRepo, type EmergencyRow } from './emergency.repo.js';

export const DEFAULT_VALID_S = 300;

export interface EmergencyInput {
  communeId: string;
  title?: string;
  content: { sha256: string } | { ttsText: string; voice?: string };
  targets: { commune?: boolean; zoneIds?: string[]; unitIds?: string[] };
  repeat: number;
  volume: number;
  validSeconds?: number;
}

/** The `emergency` command's arguments, read by agent/src/emergency. */
export interface EmergencyArgs {
  emergencyId: string;
  sha256: string;
  bytes: number;
  durationMs: number;
  repeat: number;
  volume: number;
  validUntil: number;
  [key: string]: unknown;
}

export interface EmergencyDeps {
  db: Db;
  bus: Bus;
  signer: Signer;
  media: MediaService;
  hub: Hub;
  log: FastifyBaseLogger;
}

/** Every unit the targets name, checked: a typo must be a 400 now, not a silent village. Live uses it too. */
export function resolveTargets(
  repo: Pick<EmergencyRepo, 'communeUnits' | 'zoneUnits' | 'unit'>,
  communeId: string,
  t: EmergencyInput['targets'],
): string[] {
  const units = new Set<string>();
  if (t.commune) for (const id of repo.communeUnits(communeId)) units.add(id);
  for (const zoneId of t.zoneIds ?? []) {
    const members = repo.zoneUnits(zoneId, communeId);
    if (!members)
      throw new HttpError(404, 'zone-not-found', `Commune ${communeId} has no zone ${zoneId}.`, 'targets.zoneIds');
    for (const id of members) units.add(id);
  }
  for (const unitId of t.unitIds ?? []) {
    const u = repo.unit(unitId);
    if (!u || u.commune_id !== communeId)
      throw new HttpError(404, 'unit-not-found', `Commune ${communeId} has no unit ${unitId}.`, 'targets.unitIds');
    if (u.revoked_at)
      throw new HttpError(409, 'unit-revoked', `Unit ${unitId} is revoked: enroll it again first.`, 'targets.unitIds');
    units.add(unitId);
  }
  if (!units.size)
    throw new HttpError(
      400,
      'no-targets',
      'The targets name no unit: pick the whole commune, a zone with units, or units.',
      'targets',
    );
  return [...units].sort();
}

export function emergencyService({ db, bus, signer, media, hub, log }: EmergencyDeps) {
  const repo = emergencyRepo(db);
  const commands = commandsRepo(db);

  async function contentOf(input: EmergencyInput, userId: number | null) {
    if ('sha256' in input.content) return media.get(input.content.sha256);
    // Read aloud now: the synthesis takes a second or two, far less than any validity.
    const job = media.submitTts(input.content.ttsText, input.content.voice, userId, { content: 'speech' });
    return media.finished(job);
  }

  const send = (unitId: string, envelope: string) =>
    bus.publish(topics.cmd(unitId), envelope, { qos: 1 }).catch((err: Error) => {
      // Still pending in unit_commands: sent again when the unit (or the broker) is back.
      log.warn({ unit: unitId, err: err.message }, 'emergency: publish failed');
    });

  function view(row: EmergencyRow) {
    return {
      id: row.id,
      communeId: row.commune_id,
      title: row.title,
      sha256: row.sha256,
      durationMs: row.duration_ms,
      repeat: row.repeat,
      volume: row.volume,
      createdAt: row.created_at,
      validUntil: row.valid_until,
      stoppedAt: row.stopped_at ?? null,
      units: repo.units(row.id).map((u) => ({
        unitId: u.unit_id,
        commandId: u.command_id,
        state: u.state === 'pending' && u.expires_at <= Date.now() ? 'expired' : u.state,
        ...(u.error ? { error: u.error } : {}),
        ...(u.acked_at ? { ackedAt: u.acked_at } : {}),
      })),
    };
  }

  return {
    async start(input: EmergencyInput, userId: number | null) {
      const unitIds = resolveTargets(repo, input.communeId, input.targets);
      const content = await contentOf(input, userId);
      // Fresh for the retention sweep from this instant (issue #6), whatever its age.
      media.markUsed(content.sha256);
      // The validity runs from now, after any synthesis: the operator asked for "now".
      const issuedAt = Date.now();
      const validUntil = issuedAt + (input.validSeconds ?? DEFAULT_VALID_S) * 1000;
      const id = `em-${randomBytes(8).toString('hex')}`;
      const args: EmergencyArgs = {
        emergencyId: id,
        sha256: content.sha256,
        bytes: content.bytes,
        durationMs: content.durationMs,
        repeat: input.repeat,
        volume: input.volume,
        validUntil,
        ...(input.title ? { title: input.title } : {}),
      };
      const argsText = JSON.stringify(args);
      const sent = unitIds.map((unitId) => {
        const body: CommandBody = {
          unit: unitId,
          id: `cmd-${randomBytes(8).toString('hex')}`,
          type: 'emergency',
          args,
          issuedAt,
          expiresAt: validUntil,
        };
        return { unitId, commandId: body.id, envelope: JSON.stringify(signer.sign(body)) };
      });
      db.transaction(() => {
        for (const s of sent)
          commands.insert({
            id: s.commandId,
            unitId: s.unitId,
            type: 'emergency',
            args: argsText,
            issuedAt,
            expiresAt: validUntil,
            issuedBy: userId,
            envelope: s.envelope,
          });
        repo.insert(
          {
            id,
            commune_id: input.communeId,
            title: input.title ?? null,
            sha256: content.sha256,
            duration_ms: content.durationMs,
            targets: JSON.stringify(input.targets),
            repeat: input.repeat,
            volume: input.volume,
            created_at: issuedAt,
            valid_until: validUntil,
            created_by: userId,
          },
          sent,
        );
      })();
      // Before the commands go out: a live session on these units stops counting them as on air
      // at once (the agents cut live themselves when the emergency arrives).
      hub.emit('emergency-started', { emergencyId: id, communeId: input.communeId, unitIds, at: issuedAt });
      // All at once: 1,000 units are one burst of QoS 1 publishes, not 1,000 round trips in turn.
      await Promise.all(sent.map((s) => send(s.unitId, s.envelope)));
      log.warn({ emergency: id, units: unitIds.length, sha256: content.sha256 }, 'emergency broadcast sent');
      return view(repo.get(id)!);
    },
    /**
     * Stops an emergency early (a mistake, the danger passed): a signed `stop` naming it goes to each
     * of its units, valid as long as the emergency was; a unit plays nothing more of it, not even
     * its remaining repeats, and resumes its plan.
     */
    async stop(id: string, userId: number | null, inScope: (communeId: string) => boolean) {
      const row = repo.get(id);
      if (!row || !inScope(row.commune_id))
        throw new HttpError(404, 'emergency-not-found', `There is no emergency broadcast ${id}.`);
      const now = Date.now();
      if (row.stopped_at) return view(row);
      if (row.valid_until <= now)
        throw new HttpError(409, 'emergency-over', `Emergency broadcast ${id} is already over: nothing to stop.`);
      repo.stopped(id, now, userId);
      const args = { emergencyId: id };
      const sent = repo.units(id).map((u) => {
        const body: CommandBody = {
          unit: u.unit_id,
          id: `cmd-${randomBytes(8).toString('hex')}`,
          type: 'stop',
          args,
          issuedAt: now,
          expiresAt: row.valid_until,
        };
        return { unitId: u.unit_id, commandId: body.id, envelope: JSON.stringify(signer.sign(body)) };
      });
      db.transaction(() => {
        for (const s of sent)
          commands.insert({
            id: s.commandId,
            unitId: s.unitId,
            type: 'stop',
            args: JSON.stringify(args),
            issuedAt: now,
            expiresAt: row.valid_until,
            issuedBy: userId,
            envelope: s.envelope,
          });
      })();
      await Promise.all(sent.map((s) => send(s.unitId, s.envelope)));
      log.warn({ emergency: id, units: sent.length }, 'emergency broadcast stopped');
      return view(repo.get(id)!);
    },
    get(id: string, inScope: (communeId: string) => boolean) {
      const row = repo.get(id);
      if (!row || !inScope(row.commune_id))
        throw new HttpError(404, 'emergency-not-found', `There is no emergency broadcast ${id}.`);
      return view(row);
    },
    list: (communeIds: string[] | null, limit = 20) => repo.list(communeIds, limit).map(view),
  };
}
export type EmergencyService = ReturnType<typeof emergencyService>;
