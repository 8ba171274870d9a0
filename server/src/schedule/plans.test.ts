// Plans are derived, versioned, signed, and published only when their content changed.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanBody, decoder } from '@loa/shared';
import { openEnvelope } from '@loa/shared/envelope';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('published plans', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('publishes a signed, retained plan per unit, and nothing when a re-plan changes nothing', async () => {
    const res = await server.admin.post<{ secret: string }>('/api/units', { id: 'cum-plan', name: 'Cụm' });
    await server.app.services.plans.idle();
    await server.app.services.plans.replanAll();
    const first = server.app.services.plans.body('cum-plan');
    expect(first?.version).toBeGreaterThanOrEqual(1);
    expect(await server.app.services.plans.replanAll()).toMatchObject({ published: 0 });
    expect(server.app.services.plans.body('cum-plan')?.version).toBe(first?.version);

    // A unit that connects later gets the retained plan, and it verifies with the server's key.
    const client = await mqtt.connectAsync(server.mqttUrl, {
      clientId: 'loa-unit-cum-plan',
      username: 'cum-plan',
      password: res.body.secret,
      reconnectPeriod: 0,
    });
    const got = new Promise<Buffer>((resolve) => client.once('message', (_t, p) => resolve(p)));
    await client.subscribeAsync('loa/v1/units/cum-plan/plan', { qos: 1 });
    const plan = openEnvelope(
      await got,
      new Map([[server.app.signer.kid, server.app.signer.publicKey]]),
      decoder(PlanBody),
    );
    expect(plan.ok && plan.value.version).toBe(first?.version);
    await client.endAsync();

    // Changing the windows changes the content: a new version.
    await server.admin.put('/api/communes/default/windows', {
      windows: [{ id: 'morning', start: '05:30', end: '07:00' }],
    });
    await new Promise((r) => setTimeout(r, 300));
    await server.app.services.plans.idle();
    expect(server.app.services.plans.body('cum-plan')?.version).toBe(first!.version + 1);
  });

  it('says it is busy from a change until its plans are out (the media distributor waits on it)', async () => {
    const plans = server.app.services.plans;
    await plans.idle();
    expect(plans.busy()).toBe(false);
    plans.schedule(50); // a change: a re-plan is coming
    expect(plans.busy()).toBe(true);
    await new Promise((r) => setTimeout(r, 60)); // the re-plan runs now
    const run = plans.replanAll(); // and another queued behind it
    expect(plans.busy()).toBe(true);
    await run;
    expect(plans.busy()).toBe(false);
  });
});
