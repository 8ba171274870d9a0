import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('GET /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('exposes units, plan publishes, media bytes, MQTT clients and event-loop lag', async () => {
    await server.admin.post('/api/units', { id: 'cum-metric', name: 'Cụm' });
    await server.app.services.plans.idle();
    await server.app.services.plans.replanAll();
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(text).toMatch(/^loa_units 1$/m);
    expect(text).toMatch(/^loa_units_online 0$/m);
    expect(Number(/^loa_plan_publishes_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^loa_media_bytes_published 0$/m);
    // The server's own bus is one client of the embedded broker.
    expect(text).toMatch(/^loa_mqtt_clients 1$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(text).toMatch(/^loa_ingest_jobs\{state="queued"\} 0$/m);
  });
});
