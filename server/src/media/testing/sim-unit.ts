// A lightweight simulated unit for fan-out tests and the fan-out benchmark: a real MQTT client
// speaking protocol v1 as an agent does for media (DESIGN §3) — connect with the unit's
// credentials, subscribe to the media's chunk topics, send `want {unit, have}` (again every few
// seconds while chunks are missing), assemble, and verify the whole file's SHA-256. Chunks are
// hashed as they arrive in order, so thousands of units in one process hold almost nothing.
import { createHash, type Hash } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { parseTopic, topics } from '@loa/shared';

export interface SimUnitOptions {
  url: string;
  unit: string;
  secret: string;
  sha256: string;
  wantEveryMs?: number;
  onVerified?: (unit: string) => void;
  onMismatch?: (unit: string, actual: string) => void;
}

export class SimUnit {
  private client: MqttClient | undefined;
  private hash: Hash = createHash('sha256');
  private next = 0;
  private count: number | undefined;
  private readonly early = new Map<number, Buffer>();
  private readonly have = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  verified = false;
  wantsSent = 0;
  bytesReceived = 0;
  mismatches = 0;

  constructor(private readonly opts: SimUnitOptions) {}

  /** Connects and subscribes; resolves once the broker accepted both. */
  async connect(): Promise<void> {
    const { unit, secret } = this.opts;
    this.client = await mqtt.connectAsync(this.opts.url, {
      clientId: `loa-unit-${unit}`,
      username: unit,
      password: secret,
      protocolVersion: 4,
      clean: true,
      keepalive: 120,
      reconnectPeriod: 2000,
      connectTimeout: 60_000,
    });
    this.client.on('message', (topic, payload) => this.onChunk(topic, payload));
    const granted = await this.client.subscribeAsync(topics.mediaChunks(this.opts.sha256), { qos: 1 });
    if (granted[0]?.qos === 128) throw new Error(`${unit}: the broker refused the chunk subscription`);
  }

  /** Asks for what is missing now, and again every `wantEveryMs` until the file is verified. */
  start(): void {
    this.want();
    this.timer = setInterval(() => this.want(), this.opts.wantEveryMs ?? 5000);
  }

  private want(): void {
    if (this.verified || !this.client) return;
    this.wantsSent++;
    const body = JSON.stringify({ unit: this.opts.unit, have: [...this.have].sort((a, b) => a - b) });
    this.client.publish(topics.mediaWant(this.opts.sha256), body, { qos: 1 });
  }

  private onChunk(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (t?.kind !== 'media-chunk' || t.sha256 !== this.opts.sha256 || this.verified) return;
    this.bytesReceived += payload.length;
    if (this.count !== undefined && this.count !== t.count) this.reset();
    this.count = t.count;
    if (t.index < this.next || this.early.has(t.index)) return; // a copy of one already held
    this.have.add(t.index);
    this.early.set(t.index, payload);
    while (this.early.has(this.next)) {
      this.hash.update(this.early.get(this.next)!);
      this.early.delete(this.next++);
    }
    if (this.next < this.count) return;
    const actual = this.hash.digest('hex');
    if (actual === this.opts.sha256) {
      this.verified = true;
      clearInterval(this.timer);
      this.opts.onVerified?.(this.opts.unit);
    } else {
      // A bad copy: discard it all and ask again, as the agent does.
      this.mismatches++;
      this.opts.onMismatch?.(this.opts.unit, actual);
      this.reset();
      this.want();
    }
  }

  private reset(): void {
    this.hash = createHash('sha256');
    this.next = 0;
    this.early.clear();
    this.have.clear();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.endAsync(true);
  }
}
