// A lightweight simulated unit for fan-out tests and the fan-out benchmark: a real MQTT client
// speaking protocol v1 as an agent does for media (DESIGN §3) — connect with the unit's
// credentials, subscribe to the media's chunk topics, send `want {unit, have}` (again every few
// seconds while chunks are missing), assemble, and verify the whole file's SHA-256 (ChunkAssembler).
import mqtt, { type MqttClient } from 'mqtt';
import { parseTopic, topics } from '@loa/shared';
import { ChunkAssembler } from './chunk-assembler.js';

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
  private readonly chunks: ChunkAssembler;
  private timer: NodeJS.Timeout | undefined;
  verified = false;
  wantsSent = 0;
  bytesReceived = 0;
  mismatches = 0;

  constructor(private readonly opts: SimUnitOptions) {
    this.chunks = new ChunkAssembler(opts.sha256);
  }

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
    const body = JSON.stringify({ unit: this.opts.unit, have: this.chunks.have() });
    this.client.publish(topics.mediaWant(this.opts.sha256), body, { qos: 1 });
  }

  private onChunk(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (t?.kind !== 'media-chunk' || t.sha256 !== this.opts.sha256 || this.verified) return;
    this.bytesReceived += payload.length;
    const outcome = this.chunks.add(t.index, t.count, payload);
    if (outcome === 'verified') {
      this.verified = true;
      clearInterval(this.timer);
      this.opts.onVerified?.(this.opts.unit);
    } else if (typeof outcome === 'object') {
      // A bad copy: discard it all and ask again, as the agent does.
      this.mismatches++;
      this.opts.onMismatch?.(this.opts.unit, outcome.mismatch);
      this.want();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.endAsync(true);
  }
}
