// Events from a unit over the real broker: stored once each, folded into the play log, acknowledged.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('units/{id}/events', () => {
  let server: TestServer;
  let client: MqttClient;
  const acks: number[] = [];
  const unit = 'thon-nuoc-nong';

  const nextAck = (min: number) =>
    new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ack >= ${min}; got ${acks.join(',')}`)), 5000);
      const check = () => {
        const hit = acks.find((a) => a >= min);
        if (hit !== undefined) {
          clearTimeout(t);
          resolve(hit);
        } else setTimeout(check, 20);
      };
      check();
    });

  beforeAll(async () => {
    server = await startServer();
    const res = await server.admin.post<{ secret: string }>('/api/units', { id: unit, name: 'Thôn Nước Nóng' });
    client = await mqtt.connectAsync(server.mqttUrl, {
      clientId: `loa-unit-${unit}`,
      username: unit,
      password: res.body.secret,
      reconnectPeriod: 0,
    });
    client.on('message', (_t, p) => acks.push((JSON.parse(p.toString()) as { upTo: number }).upTo));
    await client.subscribeAsync(`loa/v1/units/${unit}/events/ack`, { qos: 1 });
  });
  afterAll(async () => {
    await client?.endAsync();
    await server?.close();
  });

  const ev = (seq: number, type: string, itemId: string, extra: object = {}) => ({
    seq,
    at: 1_800_000_000_000 + seq * 1000,
    type,
    itemId,
    bulletinId: 'b-1',
    scheduledAt: 1_800_000_000_000,
    ...extra,
  });
  const send = (events: object[]) =>
    client.publishAsync(`loa/v1/units/${unit}/events`, JSON.stringify({ events }), { qos: 1 });

  it('acknowledges the highest stored number and stores a resent event once', async () => {
    await send([
      ev(1, 'started', 'i1'),
      ev(2, 'finished', 'i1', { durationMs: 5000 }),
      ev(3, 'skipped', 'i2', { reason: 'media missing' }),
    ]);
    expect(await nextAck(3)).toBe(3);
    // The link dropped before the ack arrived: the agent sends 2..4 again.
    await send([
      ev(2, 'finished', 'i1', { durationMs: 5000 }),
      ev(3, 'skipped', 'i2', { reason: 'media missing' }),
      ev(4, 'started', 'i3'),
    ]);
    expect(await nextAck(4)).toBe(4);
    const log = await server.admin.get<{
      entries: Array<{ itemId: string; outcome: string; durationMs: number | null }>;
    }>(`/api/units/${unit}/play-log`);
    expect(log.body.entries.map((e) => [e.itemId, e.outcome])).toEqual([
      ['i1', 'finished'],
      ['i2', 'skipped'],
      ['i3', 'playing'],
    ]);
    const count = server.app.db.prepare('SELECT COUNT(*) AS n FROM unit_events WHERE unit_id = ?').get(unit) as {
      n: number;
    };
    expect(count.n).toBe(4);
  });

  it('drops a malformed batch without acknowledging it, and keeps serving', async () => {
    const before = acks.length;
    await client.publishAsync(`loa/v1/units/${unit}/events`, '{"events":[{"seq":"five"}]}', { qos: 1 });
    await client.publishAsync(`loa/v1/units/${unit}/events`, Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(acks.length).toBe(before);
    await send([ev(5, 'finished', 'i3', { durationMs: 1000 })]);
    expect(await nextAck(5)).toBe(5);
  });
});
