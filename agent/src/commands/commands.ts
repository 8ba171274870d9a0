// The commands part: verifies each signed command (DESIGN §7), drops it if it is for another unit,
// expired or already seen, runs it and acknowledges `{id, ok, error?}` on `cmd/ack`.
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { CommandBody, decoder, topics, type CommandAck, type CommandType } from '@loa/shared';
import { openEnvelope } from '@loa/shared/envelope';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log.js';
import type { MqttLink } from '../mqtt/link.js';
import { readIfExists, writeFileAtomic } from '../fs/durable.js';

const commandDecoder = decoder(CommandBody);

/** What each supported command does; a handler throws to report `ok:false` with its message. */
export type CommandHandlers = Partial<
  Record<CommandType, (args: Record<string, unknown>, cmd: CommandBody) => Promise<void> | void>
>;

export interface CommandsOptions {
  unit: string;
  dataDir: string;
  keys: ReadonlyMap<string, KeyObject>;
  clock: Clock;
  link: MqttLink;
  log: Logger;
  handlers: CommandHandlers;
}

interface Seen {
  id: string;
  expiresAt: number;
  ack: CommandAck;
}

export class Commands {
  /** Ids run before, kept until they expire: a replayed command is never run twice. */
  private seen = new Map<string, Seen>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: CommandsOptions) {}

  private get file(): string {
    return join(this.opts.dataDir, 'commands.json');
  }

  async start(): Promise<void> {
    const raw = await readIfExists(this.file);
    try {
      const list = raw ? (JSON.parse(raw.toString('utf8')) as Seen[]) : [];
      const now = this.opts.clock.now();
      for (const s of Array.isArray(list) ? list : []) {
        if (typeof s?.id === 'string' && typeof s.expiresAt === 'number' && s.expiresAt > now) this.seen.set(s.id, s);
      }
    } catch {
      this.opts.log.warn('commands.json is unreadable; starting with no seen commands');
    }
    this.opts.link.subscribe(topics.cmd(this.opts.unit), (_t, payload) => this.receive(payload));
  }

  stop(): Promise<unknown> {
    this.opts.link.unsubscribe(topics.cmd(this.opts.unit));
    return this.queue;
  }

  receive(payload: Buffer): Promise<void> {
    const next = this.queue.then(() => this.handle(payload));
    this.queue = next.catch((err: Error) => this.opts.log.error(`command failed: ${err.message}`));
    return next;
  }

  private async handle(payload: Buffer): Promise<void> {
    const { log, clock, unit } = this.opts;
    const opened = openEnvelope(payload, this.opts.keys, commandDecoder);
    if (!opened.ok) {
      log.warn(`dropped command: ${opened.error}`);
      return;
    }
    const cmd = opened.value;
    if (cmd.unit !== unit) {
      log.warn(`dropped command ${cmd.id}: for unit ${cmd.unit}, not ${unit}`);
      return;
    }
    const now = clock.now();
    if (cmd.expiresAt <= now) {
      log.warn(`dropped command ${cmd.id}: expired at ${new Date(cmd.expiresAt).toISOString()}`);
      return;
    }
    const seen = this.seen.get(cmd.id);
    if (seen) {
      // The server may repeat a command whose ack it lost: answer again, never run it again.
      log.warn(`dropped command ${cmd.id}: already seen`);
      await this.ack(seen.ack);
      return;
    }
    const handler = this.opts.handlers[cmd.type];
    // Seen before it runs: a command that reboots the board (or a power cut meanwhile) must not
    // run again when the server repeats it after the restart.
    const provisional: CommandAck =
      cmd.type === 'reboot'
        ? { id: cmd.id, ok: true }
        : { id: cmd.id, ok: false, error: 'interrupted: the agent restarted while running it' };
    this.seen.set(cmd.id, { id: cmd.id, expiresAt: cmd.expiresAt, ack: provisional });
    if (handler) await this.persist(now);
    let ack: CommandAck;
    if (!handler) {
      ack = { id: cmd.id, ok: false, error: 'not supported by this agent' };
    } else {
      try {
        await handler(cmd.args, cmd);
        ack = { id: cmd.id, ok: true };
      } catch (err) {
        ack = { id: cmd.id, ok: false, error: (err as Error).message.slice(0, 500) };
      }
    }
    log.info(`command ${cmd.id} ${cmd.type}: ${ack.ok ? 'done' : ack.error}`);
    this.seen.set(cmd.id, { id: cmd.id, expiresAt: cmd.expiresAt, ack });
    await this.persist(now);
    await this.ack(ack);
  }

  private async ack(ack: CommandAck): Promise<void> {
    await this.opts.link.publishJson(topics.cmdAck(this.opts.unit), ack, { qos: 1 });
  }

  private async persist(now: number): Promise<void> {
    for (const [id, s] of this.seen) if (s.expiresAt <= now) this.seen.delete(id);
    try {
      await writeFileAtomic(this.file, JSON.stringify([...this.seen.values()]));
    } catch (err) {
      this.opts.log.error(`could not store seen commands: ${(err as Error).message}`);
    }
  }
}
