// One simulated unit of the fleet benchmark (issue #10): a real MQTT client speaking protocol v1 as
// the agent does (agent/src/controller.ts and its parts), without audio, disk or scheduler, so that
// thousands fit in a few worker threads:
// - connects with its own credentials and the retained will `{online:false}`; on every connect
//   publishes its retained status first (with the plan version it holds), then subscribes;
// - telemetry every `telemetryEveryMs` (QoS 0), a clock probe every `timeProbeEveryMs`;
// - a plan is verified (Ed25519 envelope, DESIGN §7), refused when for another unit, expired or
//   not newer; an accepted plan is acknowledged as the agent does, by its retained status;
// - every media the plan names is wanted and fetched on the chunk topics, SHA-256 checked;
// - play events carry sequence numbers; unacknowledged ones go again on every connect and every
//   `eventsResendMs`, and are forgotten on `events/ack`.
import type { KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import {
  CommandBody,
  EventsAckMessage,
  PlanBody,
  decoder,
  parseTopic,
  topics,
  type StatusMessage,
  type TelemetryMessage,
  type UnitEvent,
} from '@loa/shared';
import { openEnvelope } from '@loa/shared/envelope';
import { ChunkAssembler } from '../../../server/src/media/testing/chunk-assembler.js';

const planDecoder = decoder(PlanBody);
const commandDecoder = decoder(CommandBody);
const ackDecoder = decoder(EventsAckMessage);
/** As the agent's event publisher: at most this many events per message. */
const EVENTS_BATCH = 100;
const AGENT_VERSION = 'fleet-sim';

export interface FleetUnitOptions {
  url: string;
  unit: string;
  secret: string;
  keys: ReadonlyMap<string, KeyObject>;
  telemetryEveryMs: number;
  wantEveryMs: number;
  eventsResendMs: number;
  timeProbeEveryMs: number;
  /** Something the unit saw that an agent would log as wrong: a refused plan or command, a bad ack. */
  onBad(reason: string): void;
}

export interface UnitCounters {
  telemetrySent: number;
  plansAccepted: number;
  plansRefused: number;
  chunkBytes: number;
  mediaVerified: number;
  mismatches: number;
  eventsSent: number;
  acks: number;
  connects: number;
}

export function zeroCounters(): UnitCounters {
  return {
    telemetrySent: 0,
    plansAccepted: 0,
    plansRefused: 0,
    chunkBytes: 0,
    mediaVerified: 0,
    mismatches: 0,
    eventsSent: 0,
    acks: 0,
    connects: 0,
  };
}

export class FleetUnit {
  private client: MqttClient | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly fetching = new Map<string, ChunkAssembler>();
  /** Media held, with the instant each was verified. */
  readonly held = new Map<string, number>();
  plan: PlanBody | undefined;
  planReceivedAt = 0;
  /** Highest sequence number used, and the highest the server acknowledged. */
  seq = 0;
  ackedUpTo = 0;
  private pending: UnitEvent[] = [];
  private connectedSince = 0;
  private plays = 0;
  readonly counters = zeroCounters();

  constructor(private readonly opts: FleetUnitOptions) {}

  get unitId(): string {
    return this.opts.unit;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects; resolves once connected the first time (reconnects by itself after that). */
  async connect(): Promise<void> {
    const { unit, secret, url } = this.opts;
    const offline: StatusMessage = { online: false };
    const client = mqtt.connect(url, {
      clientId: `loa-unit-${unit}`,
      username: unit,
      password: secret,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      // The agent backs off with jitter; a fixed period drawn per unit spreads a fleet's returns alike.
      reconnectPeriod: 1000 + Math.floor(Math.random() * 4000),
      connectTimeout: 60_000,
      resubscribe: false,
      will: { topic: topics.status(unit), payload: Buffer.from(JSON.stringify(offline)), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', () => undefined); // reconnects; a refused login shows as never connected
    client.on('connect', () => void this.onConnect());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${unit}: not connected within 60 s`)), 60_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Random phases, as boards booted at different times.
    this.every(this.opts.telemetryEveryMs, () => this.sendTelemetry());
    this.every(this.opts.timeProbeEveryMs, () => this.publish(topics.time(unit), { t0: Date.now() }, 0));
    this.every(this.opts.wantEveryMs, () => this.wantAll());
    this.every(this.opts.eventsResendMs, () => this.sendEvents(this.pending));
  }

  private every(ms: number, fn: () => void): void {
    const first = setTimeout(() => this.timers.push(setInterval(fn, ms)), Math.random() * ms);
    this.timers.push(first);
  }

  private async onConnect(): Promise<void> {
    const { unit } = this.opts;
    this.counters.connects++;
    this.connectedSince = Date.now();
    this.publishStatus();
    const filters = [topics.plan(unit), topics.cmd(unit), topics.eventsAck(unit), topics.timeReply(unit)];
    for (const sha of this.fetching.keys()) filters.push(topics.mediaChunks(sha));
    try {
      await this.client!.subscribeAsync(filters, { qos: 1 });
    } catch {
      return; // the connection dropped again; the next connect subscribes
    }
    this.wantAll();
    this.sendEvents(this.pending);
  }

  private publishStatus(): void {
    const status: StatusMessage = {
      online: true,
      agentVersion: AGENT_VERSION,
      scheduleVersion: this.plan?.version ?? null,
      since: this.connectedSince,
    };
    this.client?.publish(topics.status(this.opts.unit), JSON.stringify(status), { qos: 1, retain: true });
  }

  private publish(topic: string, body: object, qos: 0 | 1): void {
    if (this.client?.connected) this.client.publish(topic, JSON.stringify(body), { qos });
  }

  private sendTelemetry(): void {
    const sample: TelemetryMessage = {
      at: Date.now(),
      uptimeS: Math.round(process.uptime()),
      load1: Math.round(Math.random() * 100) / 100,
      cpuTempC: 45 + Math.round(Math.random() * 100) / 10,
      memFreeBytes: 200_000_000,
      diskFreeBytes: 10_000_000_000,
      cacheBytes: 5_000_000,
      volume: 80,
      muted: false,
      amplifierOn: false,
      playing: null,
      planVersion: this.plan?.version ?? null,
      clockOffsetMs: 0,
      agentVersion: AGENT_VERSION,
      diskLow: false,
      linkType: 'cellular',
      signalPercent: 70,
    };
    this.counters.telemetrySent++;
    this.publish(topics.telemetry(this.opts.unit), sample, 0);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (t?.kind === 'media-chunk') return this.onChunk(t.sha256, t.index, t.count, payload);
    if (t?.kind !== 'unit' || t.unit !== this.opts.unit) return;
    if (t.sub === 'plan') this.onPlan(payload);
    else if (t.sub === 'events/ack') this.onAck(payload);
    else if (t.sub === 'cmd') this.onCommand(payload);
  }

  private onPlan(payload: Buffer): void {
    if (payload.length === 0) return; // a cleared retained plan
    const opened = openEnvelope(payload, this.opts.keys, planDecoder);
    const refuse = (reason: string) => {
      this.counters.plansRefused++;
      this.opts.onBad(`${this.opts.unit}: plan refused: ${reason}`);
    };
    if (!opened.ok) return refuse(opened.error);
    const plan = opened.value;
    if (plan.unit !== this.opts.unit) return refuse(`for ${plan.unit}`);
    if (plan.expiresAt <= Date.now()) return refuse('expired');
    // The same plan again (a re-publish after a broker restart) is no news; an older one is refused.
    if (this.plan && plan.version <= this.plan.version) {
      if (plan.version < this.plan.version) refuse(`older (v${plan.version} after v${this.plan.version})`);
      return;
    }
    this.plan = plan;
    this.planReceivedAt = Date.now();
    this.counters.plansAccepted++;
    this.publishStatus(); // the acknowledgement: the server reads the version from the status
    for (const item of plan.items) {
      const sha = item.media.sha256;
      if (item.relay || this.held.has(sha) || this.fetching.has(sha)) continue;
      this.fetching.set(sha, new ChunkAssembler(sha));
      this.client?.subscribe(topics.mediaChunks(sha), { qos: 1 }, () => this.want(sha));
    }
  }

  private wantAll(): void {
    for (const sha of this.fetching.keys()) this.want(sha);
  }

  private want(sha: string): void {
    const chunks = this.fetching.get(sha);
    if (chunks) this.publish(topics.mediaWant(sha), { unit: this.opts.unit, have: chunks.have() }, 1);
  }

  private onChunk(sha: string, index: number, count: number, payload: Buffer): void {
    const chunks = this.fetching.get(sha);
    if (!chunks) return;
    this.counters.chunkBytes += payload.length;
    const outcome = chunks.add(index, count, payload);
    if (outcome === 'verified') {
      this.fetching.delete(sha);
      this.held.set(sha, Date.now());
      this.counters.mediaVerified++;
      this.client?.unsubscribe(topics.mediaChunks(sha));
    } else if (typeof outcome === 'object') {
      this.counters.mismatches++;
      this.opts.onBad(`${this.opts.unit}: media ${sha.slice(0, 12)} hashed to ${outcome.mismatch.slice(0, 12)}`);
      this.want(sha);
    }
  }

  private onCommand(payload: Buffer): void {
    const opened = openEnvelope(payload, this.opts.keys, commandDecoder);
    if (!opened.ok || opened.value.unit !== this.opts.unit || opened.value.expiresAt <= Date.now()) {
      return this.opts.onBad(`${this.opts.unit}: command refused: ${opened.ok ? 'not for us' : opened.error}`);
    }
    this.publish(topics.cmdAck(this.opts.unit), { id: opened.value.id, ok: true }, 1);
  }

  /**
   * Plays the plan's next item: `started` now and `finished` after `ms`, as every unit of a
   * commune does at the same instant. Returns false without a plan to play from.
   */
  play(ms: number): boolean {
    const items = this.plan?.items ?? [];
    if (items.length === 0) return false;
    const item = items[this.plays++ % items.length]!;
    const version = this.plan!.version;
    const base = { itemId: item.id, bulletinId: item.bulletinId, sha256: item.media.sha256, planVersion: version };
    const startedAt = Date.now();
    this.addEvent({ ...base, type: 'started', at: startedAt, scheduledAt: item.startAt });
    const finish = setTimeout(() => {
      this.timers.splice(this.timers.indexOf(finish), 1);
      this.addEvent({ ...base, type: 'finished', at: Date.now(), durationMs: Date.now() - startedAt });
    }, ms);
    this.timers.push(finish);
    return true;
  }

  private addEvent(e: Omit<UnitEvent, 'seq'>): void {
    const event = { ...e, seq: ++this.seq } as UnitEvent;
    this.pending.push(event);
    this.sendEvents([event]);
  }

  private sendEvents(events: UnitEvent[]): void {
    for (let i = 0; i < events.length; i += EVENTS_BATCH) {
      const batch = events.slice(i, i + EVENTS_BATCH);
      this.counters.eventsSent += batch.length;
      this.publish(topics.events(this.opts.unit), { events: batch }, 1);
    }
  }

  private onAck(payload: Buffer): void {
    const ack = ackDecoder.decode(payload);
    if (!ack.ok) return this.opts.onBad(`${this.opts.unit}: bad events/ack: ${ack.error}`);
    this.counters.acks++;
    const { upTo } = ack.value;
    // The server may only acknowledge what it was sent; more would mean someone else's events.
    if (upTo > this.seq) this.opts.onBad(`${this.opts.unit}: events acknowledged up to #${upTo} of ${this.seq}`);
    this.ackedUpTo = Math.max(this.ackedUpTo, upTo);
    this.pending = this.pending.filter((e) => e.seq > upTo);
  }

  /** Leaves as a stopping agent does: the retained offline status, then a clean disconnect. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      const offline: StatusMessage = { online: false };
      await Promise.race([
        client.publishAsync(topics.status(this.opts.unit), JSON.stringify(offline), { qos: 1, retain: true }),
        new Promise((r) => setTimeout(r, 2000)),
      ]).catch(() => undefined);
    }
    await client.endAsync(true);
  }
}
