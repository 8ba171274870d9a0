// A simulated unit for the failure drills (issue #10): a real MQTT client with the unit's own
// credentials, speaking protocol v1 the way the agent does (agent/src/mqtt/link.ts,
// agent/src/events/event-publisher.ts) for what the drills watch:
// - the retained will `{online:false}`, and the retained online status (with the plan version it
//   holds) on every connect, before subscribing to its plan and its event acknowledgements;
// - every plan message counted, with its retain flag, after checking the Ed25519 envelope: a drill
//   asserts on how often the server (re)publishes to units that did nothing;
// - play events numbered 1, 2, 3 … and kept until acknowledged: new ones go at once, the whole
//   backlog from the oldest again on every connect and every `resendMs`;
// - `cutLink()` drops the TCP connection without a DISCONNECT, as a 4G link that falls does.
// The benchmark's unit (scripts/bench/lib/fleet-unit.ts) also fetches media, but counts neither
// republished plans nor event acknowledgement delays, which the drills need.
import type { KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { EventsAckMessage, PlanBody, decoder, topics, type StatusMessage, type UnitEvent } from '@loa/shared';
import { openEnvelope } from '@loa/shared/envelope';

const planDecoder = decoder(PlanBody);
const ackDecoder = decoder(EventsAckMessage);
/** As the agent's event publisher. */
const BATCH = 100;

export interface DrillUnitOptions {
  url: string;
  unit: string;
  secret: string;
  keys: ReadonlyMap<string, KeyObject>;
  /** Delay before each reconnect; the agent's first step is ~1 s (0.8–1.2 s). */
  reconnectMs?: number;
  /** The agent resends its backlog every 10 s; a shorter period keeps drills short. */
  resendMs?: number;
}

export interface PlanReceipt {
  version: number;
  retain: boolean;
  at: number;
}

export class DrillUnit {
  private client: MqttClient | undefined;
  private resendTimer: NodeJS.Timeout | undefined;
  private pending: UnitEvent[] = [];
  private sentUpTo = 0;
  /** Every event this unit made, by sequence number, with the instant it was made. */
  readonly made = new Map<number, UnitEvent>();
  /** When each acknowledged event was made, and how long until its acknowledgement came, ms. */
  readonly ackDelays: Array<{ madeAt: number; ms: number }> = [];
  readonly plans: PlanReceipt[] = [];
  /** Anything an agent would log as wrong: a refused plan, an acknowledgement of unsent events. */
  readonly bad: string[] = [];
  plan: PlanBody | undefined;
  seq = 0;
  ackedUpTo = 0;
  connects = 0;
  private plays = 0;

  constructor(private readonly opts: DrillUnitOptions) {}

  get id(): string {
    return this.opts.unit;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects; resolves once connected and subscribed the first time (it reconnects by itself after). */
  async start(): Promise<void> {
    const { unit, secret, url } = this.opts;
    const offline: StatusMessage = { online: false };
    const client = mqtt.connect(url, {
      clientId: `loa-unit-${unit}`,
      username: unit,
      password: secret,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: this.opts.reconnectMs ?? 1000,
      resubscribe: false,
      will: { topic: topics.status(unit), payload: Buffer.from(JSON.stringify(offline)), qos: 1, retain: true },
    });
    this.client = client;
    client.on('error', () => undefined); // it reconnects; a refused login shows as never connected
    client.on('message', (topic, payload, packet) => {
      if (topic === topics.plan(unit)) this.onPlan(payload, packet.retain);
      else if (topic === topics.eventsAck(unit)) this.onAck(payload);
    });
    const ready = new Promise<void>((resolve) => client.on('connect', () => void this.onConnect().then(resolve)));
    this.resendTimer = setInterval(() => this.send(false), this.opts.resendMs ?? 5000);
    await ready;
  }

  private async onConnect(): Promise<void> {
    const client = this.client!;
    this.connects++;
    this.sentUpTo = 0;
    this.publishStatus();
    try {
      await client.subscribeAsync([topics.plan(this.id), topics.eventsAck(this.id)], { qos: 1 });
    } catch {
      return; // the link fell again; the next connect subscribes
    }
    this.send(false);
  }

  private publishStatus(): void {
    const status: StatusMessage = {
      online: true,
      agentVersion: 'drill-sim',
      scheduleVersion: this.plan?.version ?? null,
      since: Date.now(),
    };
    this.client?.publish(topics.status(this.id), JSON.stringify(status), { qos: 1, retain: true });
  }

  private onPlan(payload: Buffer, retain: boolean): void {
    if (payload.length === 0) return; // a cleared retained plan
    const opened = openEnvelope(payload, this.opts.keys, planDecoder);
    if (!opened.ok) return void this.bad.push(`plan refused: ${opened.error}`);
    const plan = opened.value;
    if (plan.unit !== this.id) return void this.bad.push(`plan for ${plan.unit}`);
    this.plans.push({ version: plan.version, retain, at: Date.now() });
    if (this.plan && plan.version < this.plan.version) this.bad.push(`older plan v${plan.version}`);
    if (this.plan && plan.version <= this.plan.version) return;
    this.plan = plan;
    this.publishStatus(); // the acknowledgement: the server reads the version from the status
  }

  /** Plays the plan's next item in a moment: its `started` and `finished` events, sent as one message. */
  play(): boolean {
    const items = this.plan?.items ?? [];
    if (items.length === 0) return false;
    const item = items[this.plays++ % items.length]!;
    const base = {
      itemId: item.id,
      bulletinId: item.bulletinId,
      sha256: item.media.sha256,
      planVersion: this.plan!.version,
    };
    const at = Date.now();
    this.add({ ...base, type: 'started', at, scheduledAt: item.startAt });
    this.add({ ...base, type: 'finished', at: at + 1, durationMs: 1 });
    this.send(true);
    return true;
  }

  private add(e: Omit<UnitEvent, 'seq'>): void {
    const event = { ...e, seq: ++this.seq } as UnitEvent;
    this.made.set(event.seq, event);
    this.pending.push(event);
  }

  /** The unsent events only, or the whole backlog from the oldest (a resend round). */
  private send(onlyNew: boolean): void {
    const client = this.client;
    if (!client?.connected) return;
    const events = this.pending.filter((e) => !onlyNew || e.seq > this.sentUpTo);
    for (let i = 0; i < events.length; i += BATCH) {
      const batch = events.slice(i, i + BATCH);
      client.publish(topics.events(this.id), JSON.stringify({ events: batch }), { qos: 1 });
      this.sentUpTo = Math.max(this.sentUpTo, batch[batch.length - 1]!.seq);
    }
  }

  private onAck(payload: Buffer): void {
    const ack = ackDecoder.decode(payload);
    if (!ack.ok) return void this.bad.push(`bad events/ack: ${ack.error}`);
    const { upTo } = ack.value;
    // The server may only acknowledge what it was sent.
    if (upTo > this.seq) this.bad.push(`events acknowledged up to #${upTo} of ${this.seq}`);
    const now = Date.now();
    for (let s = this.ackedUpTo + 1; s <= upTo; s++) {
      const e = this.made.get(s);
      if (e) this.ackDelays.push({ madeAt: e.at, ms: now - e.at });
    }
    this.ackedUpTo = Math.max(this.ackedUpTo, upTo);
    this.pending = this.pending.filter((e) => e.seq > upTo);
  }

  /** Drops the connection without a DISCONNECT (the broker publishes the will); it reconnects by itself. */
  cutLink(): void {
    this.client?.stream.destroy();
  }

  /** Leaves as a stopping agent does: the retained offline status, then a clean disconnect. */
  async close(): Promise<void> {
    clearInterval(this.resendTimer);
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      const offline: StatusMessage = { online: false };
      await Promise.race([
        client.publishAsync(topics.status(this.id), JSON.stringify(offline), { qos: 1, retain: true }),
        new Promise((r) => setTimeout(r, 1000)),
      ]).catch(() => undefined);
    }
    await client.endAsync(true);
  }
}
