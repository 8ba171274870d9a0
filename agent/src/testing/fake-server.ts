// The server's side of the protocol, as little as the agent's tests need: serves media chunks on
// `want`, records what units publish, publishes plans and commands, acknowledges events.
import type { MqttClient } from 'mqtt';
import {
  parseTopic,
  topics,
  type CommandAck,
  type StatusMessage,
  type TelemetryMessage,
  type UnitEvent,
} from '@loa/shared';

export interface FakeServerOptions {
  chunkBytes?: number;
  /** Lets a test damage a chunk: return other bytes to send instead. */
  tamper?: (sha: string, index: number, round: number, chunk: Buffer) => Buffer;
  /** Lets a test hold chunks back (a link that drops mid-download). */
  withhold?: (sha: string, index: number, round: number) => boolean;
  /** The server's clock minus the test machine's, for `time/reply`. */
  clockOffsetMs?: number;
  /** Delays the n-th time reply (0, 1, 2…) after its send time was stamped: a slow return path. */
  replyDelayMs?: (n: number) => number;
}

export class FakeServer {
  readonly media = new Map<string, Buffer>();
  readonly wants: { sha: string; unit: string; have: number[] }[] = [];
  readonly events: (UnitEvent & { unit: string })[] = [];
  readonly acks: CommandAck[] = [];
  readonly statuses: StatusMessage[] = [];
  readonly telemetry: TelemetryMessage[] = [];
  private readonly rounds = new Map<string, number>();
  private timeReplies = 0;

  constructor(
    readonly client: MqttClient,
    private readonly opts: FakeServerOptions = {},
  ) {}

  async start(): Promise<void> {
    this.client.on('message', (topic, payload) => void this.onMessage(topic, payload));
    await this.client.subscribeAsync(
      [
        'loa/v1/media/+/want',
        'loa/v1/units/+/events',
        'loa/v1/units/+/cmd/ack',
        'loa/v1/units/+/status',
        'loa/v1/units/+/telemetry',
        'loa/v1/units/+/time',
      ],
      { qos: 1 },
    );
  }

  async publishPlan(unit: string, envelope: string | Buffer, retain = true): Promise<void> {
    await this.client.publishAsync(topics.plan(unit), envelope, { qos: 1, retain });
  }

  async publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos });
  }

  async ackEvents(unit: string, upTo: number): Promise<void> {
    await this.client.publishAsync(topics.eventsAck(unit), JSON.stringify({ upTo }), { qos: 1 });
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(topic);
    if (!parsed) return;
    const json = () => JSON.parse(payload.toString('utf8')) as unknown;
    if (parsed.kind === 'media-want') {
      const want = json() as { unit: string; have: number[] };
      this.wants.push({ sha: parsed.sha256, ...want });
      await this.serve(parsed.sha256, new Set(want.have));
      return;
    }
    if (parsed.kind !== 'unit') return;
    if (parsed.sub === 'events') {
      for (const e of (json() as { events: UnitEvent[] }).events) {
        if (!this.events.some((x) => x.seq === e.seq && x.unit === parsed.unit))
          this.events.push({ ...e, unit: parsed.unit });
      }
    } else if (parsed.sub === 'cmd/ack') this.acks.push(json() as CommandAck);
    else if (parsed.sub === 'status') this.statuses.push(json() as StatusMessage);
    else if (parsed.sub === 'telemetry') this.telemetry.push(json() as TelemetryMessage);
    else if (parsed.sub === 'time') {
      const { t0 } = json() as { t0: number };
      const t = Date.now() + (this.opts.clockOffsetMs ?? 0);
      const delay = this.opts.replyDelayMs?.(this.timeReplies++) ?? 0;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      await this.client.publishAsync(topics.timeReply(parsed.unit), JSON.stringify({ t0, t1: t, t2: t }), { qos: 0 });
    }
  }

  private async serve(sha: string, have: Set<number>): Promise<void> {
    const bytes = this.media.get(sha);
    if (!bytes) return;
    const size = this.opts.chunkBytes ?? 256 * 1024;
    const count = Math.max(1, Math.ceil(bytes.length / size));
    const round = (this.rounds.get(sha) ?? 0) + 1;
    this.rounds.set(sha, round);
    for (let i = 0; i < count; i++) {
      if (have.has(i) || this.opts.withhold?.(sha, i, round)) continue;
      let chunk = bytes.subarray(i * size, (i + 1) * size);
      if (this.opts.tamper) chunk = this.opts.tamper(sha, i, round, chunk);
      await this.client.publishAsync(topics.mediaChunk(sha, i, count), chunk, { qos: 1 });
    }
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
