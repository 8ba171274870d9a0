// Issue #10: every unit starts the same item at the same instant, so events arrive in bursts.
// The burst is stored in slices (many units per transaction); each unit's batches must still be
// taken in order, acknowledged after they are stored, each event stored once.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';
import { waitFor } from '../testing/wait.js';

const UNITS = 60;

describe('a burst of events from many units at once', () => {
  let server: TestServer;
  const clients: Array<{ id: string; client: MqttClient; acks: number[] }> = [];

  beforeAll(async () => {
    server = await startServer();
    for (let i = 0; i < UNITS; i++) {
      const id = `cum-burst-${i}`;
      const res = await server.admin.post<{ secret: string }>('/api/units', { id, name: id });
      const client = await mqtt.connectAsync(server.mqttUrl, {
        clientId: `loa-unit-${id}`,
        username: id,
        password: res.body.secret,
        reconnectPeriod: 0,
      });
      const acks: number[] = [];
      client.on('message', (_t, p) => acks.push((JSON.parse(p.toString()) as { upTo: number }).upTo));
      await client.subscribeAsync(`loa/v1/units/${id}/events/ack`, { qos: 1 });
      clients.push({ id, client, acks });
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync()));
    await server?.close();
  });

  const ev = (seq: number, type: string, itemId: string) => ({ seq, at: 1_800_000_000_000 + seq, type, itemId });

  it('stores every event once and acknowledges each unit in order', async () => {
    // All at once: three batches per unit back to back, the middle one sent twice (a resend).
    await Promise.all(
      clients.map(async ({ id, client }) => {
        const topic = `loa/v1/units/${id}/events`;
        client.publish(topic, JSON.stringify({ events: [ev(1, 'started', 'a'), ev(2, 'finished', 'a')] }), { qos: 1 });
        client.publish(topic, JSON.stringify({ events: [ev(3, 'started', 'b')] }), { qos: 1 });
        client.publish(topic, JSON.stringify({ events: [ev(3, 'started', 'b')] }), { qos: 1 });
        await client.publishAsync(topic, JSON.stringify({ events: [ev(4, 'finished', 'b'), ev(5, 'started', 'c')] }), {
          qos: 1,
        });
      }),
    );
    await waitFor('every unit acknowledged up to 5', () =>
      clients.every((c) => c.acks.at(-1) === 5) ? true : undefined,
    );
    for (const c of clients) {
      // Batches are taken in the order each unit sent them: acknowledgements never go back.
      expect(c.acks, c.id).toEqual([2, 3, 3, 5]);
    }
    const rows = server.app.db
      .prepare(
        "SELECT unit_id AS unit, COUNT(*) AS n, MAX(seq) AS last FROM unit_events WHERE unit_id LIKE 'cum-burst-%' GROUP BY unit_id",
      )
      .all() as Array<{ unit: string; n: number; last: number }>;
    expect(rows).toHaveLength(UNITS);
    expect(rows.every((r) => r.n === 5 && r.last === 5)).toBe(true);
    const acked = server.app.db
      .prepare("SELECT COUNT(*) AS n FROM units WHERE id LIKE 'cum-burst-%' AND events_acked = 5")
      .get() as { n: number };
    expect(acked.n).toBe(UNITS);
  });
});
