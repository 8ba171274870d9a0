// What each command of DESIGN §6 does on the board. A handler throws to report `ok:false` with a
// sentence the technician can act on. Sounds asked by command obey rule 1 like plan items do: a
// test tone at 03:15 would wake the village just the same, so outside every window of the plan
// held it is refused unless the command says `force: true` (a deliberate, signed, audited act).
import { execFile } from 'node:child_process';
import { isSha256, type CommandBody, type PlanBody, type PlanItem } from '@loa/shared';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { ManualPlay } from '../scheduler/scheduler.js';
import { insideWindows } from '../scheduler/rules.js';
import type { CommandHandlers } from './commands.js';

export interface HandlerDeps {
  clock: Clock;
  log: Logger;
  state: { volume: number; muted: boolean; update(change: { volume?: number; muted?: boolean }): Promise<void> };
  scheduler: { stopCurrent(reason: string): boolean; playNow(manual: ManualPlay): Promise<void> };
  media: { has(sha: string): boolean; path(sha: string): string };
  plan: () => PlanBody | undefined;
  resync: () => Promise<void>;
  /** Run by `sh -c`; from the agent's configuration (root-owned), never from a command. */
  rebootCommand: string;
  /** Rule 4 (issue #8): agent/src/emergency. */
  emergency?: { run(args: Record<string, unknown>, cmd: CommandBody): Promise<void>; cancel(id: string): void };
  /** Live broadcast (issue #8): agent/src/live. */
  live?: {
    start(args: Record<string, unknown>, cmd: CommandBody): Promise<void>;
    stop(args: Record<string, unknown>): Promise<void>;
  };
}

const TONE_HZ = 1000;

export function commandHandlers(d: HandlerDeps): CommandHandlers {
  return {
    volume: async (args) => {
      const v = args.volume;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100)
        throw new Error('args.volume must be an integer 0–100');
      await d.state.update({ volume: v });
    },
    mute: () => d.state.update({ muted: true }),
    unmute: () => d.state.update({ muted: false }),
    stop: (args) => {
      // Naming an emergency: that one only, wherever it is (waiting, warming up, airing, repeating).
      if (typeof args.emergencyId === 'string') return d.emergency?.cancel(args.emergencyId);
      d.scheduler.stopCurrent('stopped by command');
    },
    resync: () => d.resync(),
    'test-tone': async (args, cmd) => {
      const seconds = args.seconds ?? 5;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > 60)
        throw new Error('args.seconds must be an integer 1–60');
      const durationMs = seconds * 1000;
      checkCanSound(d, durationMs, args.force === true);
      await d.scheduler.playNow(
        manual(cmd, d.clock.now(), { sha256: '0'.repeat(64), bytes: 1, durationMs }, undefined, {
          itemId: `cmd:${cmd.id}`,
          sha256: 'test-tone',
          input: { kind: 'tone', seconds, frequency: TONE_HZ },
        }),
      );
    },
    'play-now': async (args, cmd) => {
      const sha = args.sha256;
      if (typeof sha !== 'string' || !isSha256(sha)) throw new Error('args.sha256 must be a SHA-256 in hex');
      if (!d.media.has(sha)) throw new Error(`media ${sha.slice(0, 12)} is not in this unit's cache`);
      // The plan knows the media's duration; a media only in the cache is checked at its start.
      const ref = d.plan()?.items.find((i) => i.media.sha256 === sha)?.media;
      checkCanSound(d, ref?.durationMs ?? 0, args.force === true);
      await d.scheduler.playNow(
        manual(cmd, d.clock.now(), ref ?? { sha256: sha, bytes: 1, durationMs: 1 }, sha, {
          itemId: `cmd:${cmd.id}`,
          sha256: sha,
          input: { kind: 'file', path: d.media.path(sha) },
        }),
      );
    },
    reboot: () => runReboot(d.rebootCommand, d.log),
    ...(d.emergency ? { emergency: d.emergency.run.bind(d.emergency) } : {}),
    ...(d.live ? { 'live-start': d.live.start.bind(d.live), 'live-stop': d.live.stop.bind(d.live) } : {}),
  };
}

function checkCanSound(d: HandlerDeps, durationMs: number, force: boolean): void {
  if (d.state.muted) throw new Error('the unit is muted; unmute it first');
  if (force) return;
  const plan = d.plan();
  if (!plan || !insideWindows(d.clock.now(), durationMs, plan.windows))
    throw new Error('outside every broadcast window of the plan held (rule 1); send force: true to sound anyway');
}

function manual(
  cmd: CommandBody,
  now: number,
  media: PlanItem['media'],
  sha256: string | undefined,
  request: ManualPlay['request'],
): ManualPlay {
  const item: PlanItem = {
    id: `cmd:${cmd.id}`,
    bulletinId: 'command',
    level: 'ordinary',
    media,
    startAt: now,
    validUntil: cmd.expiresAt + 3600_000,
    volume: 100,
  };
  return {
    item,
    base: { type: 'started', itemId: item.id, ...(sha256 ? { sha256 } : {}), reason: `${cmd.type} by command` },
    request,
  };
}

function runReboot(command: string, log: Logger): Promise<void> {
  log.warn(`rebooting the board: ${command}`);
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: 15_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const detail = String(stderr).trim().slice(-300);
      const how = err.killed ? 'did not finish within 15 s' : `failed (${err.code ?? err.message})`;
      reject(new Error(`reboot command ${how}${detail ? `: ${detail}` : ''}`));
    });
  });
}
