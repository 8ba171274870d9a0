// Issue #4's bad input at the broker and the agent, with a real agent process: a forged plan sent
// with a unit credential, a replayed old plan, a command past its expiry, a revoked or rotated unit
// secret; and TLS (HTTPS and MQTTS) with a self-signed certificate made here by openssl.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { AedesPublishPacket } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandBody } from '@loa/shared';
import { signEnvelope } from '@loa/shared/envelope';
import { startAgent, type AgentProcess } from './support/agent.js';
import { startServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';
import { mosquittoPub } from '../server/src/testing/mqtt-probe.js';
import type {} from '../server/src/broker/broker.plugin.js';
import type { InlineBroker } from '../server/src/broker/local-broker.js';
import type {} from '../server/src/services.plugin.js';

interface UnitView {
  online: boolean;
  reportedPlanVersion: number | null;
  revokedAt: number | null;
}

describe('a unit that trusts only what the server signed', () => {
  let server: TestServer;
  let agent: AgentProcess;
  let unit: { id: string; secret: string; key: string };
  let other: { id: string; secret: string };
  const acks: Array<{ id: string; ok: boolean }> = [];
  const unitView = async () => (await server.admin.get<UnitView>(`/api/units/${unit.id}`)).body;
  /** The volume the unit keeps (state.json), or its default before any command. */
  const readVolume = () => {
    try {
      return (JSON.parse(readFileSync(join(agent.dataDir, 'state.json'), 'utf8')) as { volume: number }).volume;
    } catch {
      return 100;
    }
  };

  beforeAll(async () => {
    // The broker in this process (not its own thread), so that the test can see every ack on the
    // wire, even those of commands the server's own table never held.
    server = await startServer({ MQTT_BROKER_THREAD: 'off' });
    const created = await server.admin.post<{ unit: { id: string }; secret: string; serverPublicKey: string }>(
      '/api/units',
      { id: 'thon-tin-cay', name: 'Thôn Tin Cậy' },
    );
    unit = { id: created.body.unit.id, secret: created.body.secret, key: created.body.serverPublicKey };
    const o = await server.admin.post<{ secret: string }>('/api/units', { id: 'thon-khac', name: 'Thôn Khác' });
    other = { id: 'thon-khac', secret: o.body.secret };
    (server.app.embeddedBroker as InlineBroker).aedes.subscribe(
      topics.cmdAck('+'),
      (packet: AedesPublishPacket, cb: () => void) => {
        acks.push(JSON.parse(packet.payload.toString()) as { id: string; ok: boolean });
        cb();
      },
      () => undefined,
    );
    agent = startAgent({ mqttUrl: server.mqttUrl, unit: unit.id, secret: unit.secret, serverKeyPem: unit.key });
    await waitFor('the unit online with plan v1', async () => {
      const u = await unitView();
      return u.online && u.reportedPlanVersion === 1 ? true : undefined;
    });
  });
  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await server?.close();
  });

  it('drops a replayed old plan and keeps the newer one', async () => {
    const v1 = server.app.services.plans.envelope(unit.id)!;
    // Any change to the windows makes a new plan, v2.
    const windows = [
      { id: 'morning', start: '05:00', end: '07:00' },
      { id: 'evening', start: '17:00', end: '19:00' },
    ];
    expect((await server.admin.put('/api/communes/default/windows', { windows })).status).toBe(200);
    await waitFor('plan v2 on the unit', async () => ((await unitView()).reportedPlanVersion === 2 ? true : undefined));
    const v2 = server.app.services.plans.envelope(unit.id)!;
    // Only a holder of the server's own broker login can publish there (a unit cannot: acl.ts).
    await server.app.bus.publish(topics.plan(unit.id), v1, { qos: 1, retain: true });
    await waitFor('the replay dropped', () =>
      agent.lines.some((l) => l.includes('dropped plan v1: not newer than v2 held')) ? true : undefined,
    );
    expect((await unitView()).reportedPlanVersion).toBe(2);
    await server.app.bus.publish(topics.plan(unit.id), v2, { qos: 1, retain: true });
  });

  it('never delivers a plan forged with another unit’s credential, and drops one signed by another key', async () => {
    const before = agent.lines.filter((l) => /dropped plan/.test(l)).length;
    const body = { ...server.app.services.plans.body(unit.id)!, version: 99, issuedAt: Date.now() };
    const forged = JSON.stringify(signEnvelope(body, generateKeyPairSync('ed25519').privateKey, server.app.signer.kid));
    // With a real unit credential, through the broker: never delivered.
    await mosquittoPub(
      { port: server.mqttPort, username: other.id, password: other.secret },
      topics.plan(unit.id),
      forged,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(agent.lines.filter((l) => /dropped plan/.test(l)).length).toBe(before);
    // Even delivered (a broker taken over), the signature does not hold.
    await server.app.bus.publish(topics.plan(unit.id), forged, { qos: 1 });
    await waitFor('the forged plan dropped', () =>
      agent.lines.some((l) => l.includes('dropped plan: bad signature')) ? true : undefined,
    );
    expect((await unitView()).reportedPlanVersion).toBe(2);
  });

  it('drops a command past its expiry, runs a fresh one once, and never gets one from a unit', async () => {
    const now = Date.now();
    const command = (id: string, v: number, expiresAt: number): CommandBody => ({
      unit: unit.id,
      id,
      type: 'volume',
      args: { volume: v },
      issuedAt: now - 120_000,
      expiresAt,
    });
    const send = (c: CommandBody) =>
      server.app.bus.publish(topics.cmd(unit.id), JSON.stringify(server.app.signer.sign(c)), { qos: 1 });
    const start = readVolume();
    await send(command('c-old', 11, now - 60_000));
    await waitFor('the expired command dropped', () =>
      agent.lines.some((l) => l.includes('dropped command c-old: expired')) ? true : undefined,
    );
    expect(acks.some((a) => a.id === 'c-old')).toBe(false);
    expect(readVolume()).toBe(start);
    // A command forged with another unit's credential never reaches the unit.
    await mosquittoPub(
      { port: server.mqttPort, username: other.id, password: other.secret },
      topics.cmd(unit.id),
      JSON.stringify(server.app.signer.sign(command('c-forged', 12, now + 60_000))),
    );
    const fresh = command('c-fresh', 35, Date.now() + 60_000);
    await send(fresh);
    await waitFor('the fresh command acknowledged', () =>
      acks.some((a) => a.id === 'c-fresh' && a.ok) ? true : undefined,
    );
    expect(readVolume()).toBe(35);
    expect(agent.lines.some((l) => l.includes('c-forged'))).toBe(false);
    // The same command again (a replay): acknowledged, not run twice.
    await send({ ...fresh, args: { volume: 36 } });
    await waitFor('the replayed command refused', () =>
      agent.lines.some((l) => l.includes('dropped command c-fresh: already seen')) ? true : undefined,
    );
    expect(readVolume()).toBe(35);
  });

  it('disconnects a revoked unit at once and refuses it after; a new secret brings it back', async () => {
    const tech = await server.userClient('technician');
    const t0 = Date.now();
    const revoked = await tech.post<UnitView & { brokerApplied: boolean }>(`/api/units/${unit.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeGreaterThan(0);
    expect(revoked.body.brokerApplied).toBe(true); // the embedded broker disconnects it itself
    await waitFor('the unit offline', async () => ((await unitView()).online ? undefined : true), 5000, 50);
    expect(Date.now() - t0).toBeLessThan(3000);
    await waitFor('the agent refused', () =>
      agent.lines.some((l) => /the broker refused unit thon-tin-cay/.test(l)) ? true : undefined,
    );
    const rotated = await tech.post<{ secret: string }>(`/api/units/${unit.id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(unit.secret);
    await agent.kill('SIGKILL');
    agent = startAgent({
      mqttUrl: server.mqttUrl,
      unit: unit.id,
      secret: rotated.body.secret,
      serverKeyPem: unit.key,
      dataDir: agent.dataDir,
    });
    await waitFor('the unit online again', async () => ((await unitView()).online ? true : undefined));
    // Rotating again cuts off the secret in use at once.
    await tech.post(`/api/units/${unit.id}/secret`);
    await waitFor(
      'the unit offline after rotation',
      async () => ((await unitView()).online ? undefined : true),
      5000,
      50,
    );
    const audit = await server.admin.get<{ entries: Array<{ action: string; username: string; subject: string }> }>(
      `/api/audit?subject=${unit.id}&action=unit.*`,
    );
    expect(audit.body.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['unit.revoke', 'unit.secret-rotate']),
    );
    expect(JSON.stringify(audit.body)).not.toContain(rotated.body.secret);
  });
});

describe('TLS with a certificate made by the test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loa-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let server: TestServer;
  let agent: AgentProcess | undefined;
  let ca: Buffer;

  /** HTTPS with the test's CA; the session and CSRF cookies are kept as a browser would. */
  const cookies = new Map<string, string>();
  function https<T>(method: string, path: string, body?: unknown, trust = true) {
    return new Promise<{ status: number; body: T; setCookie: string[] }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${server.base}${path}`,
        {
          method,
          ...(trust ? { ca } : {}),
          headers: {
            ...(payload ? { 'content-type': 'application/json' } : {}),
            ...(cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
            ...(cookies.has('loa_csrf') && method !== 'GET' ? { 'x-csrf-token': cookies.get('loa_csrf')! } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            const setCookie = res.headers['set-cookie'] ?? [];
            for (const c of setCookie) {
              const [pair] = c.split(';');
              const [k, v] = pair!.split('=');
              cookies.set(k!, v!);
            }
            resolve({ status: res.statusCode!, body: (text ? JSON.parse(text) : null) as T, setCookie });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=loa-test',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' }); // prettier-ignore
    ca = readFileSync(cert);
    server = await startServer({ TLS_CERT: cert, TLS_KEY: key, MQTTS_PORT: '0', MQTTS_HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await agent?.kill('SIGKILL');
    await server?.close();
  });

  it('serves the API over HTTPS only, with Secure cookies', async () => {
    expect(server.base.startsWith('https://')).toBe(true);
    await expect(https('GET', '/api/health', undefined, false)).rejects.toThrow(/self[- ]signed/i);
    await expect(fetch(server.base.replace('https:', 'http:') + '/api/health')).rejects.toThrow();
    const login = await https<{ user: { username: string } }>('POST', '/api/auth/login', {
      username: server.app.firstAdmin!.username,
      password: server.app.firstAdmin!.password,
    });
    expect(login.status).toBe(200);
    for (const c of login.setCookie) expect(c).toMatch(/;\s*Secure/i);
    expect((await https('GET', '/api/auth/me')).status).toBe(200);
  });

  it('lets an agent in over MQTTS, and refuses a client that does not trust the certificate', async () => {
    const tlsPort = server.app.embeddedBroker!.tlsPort!;
    const created = await https<{ unit: { id: string }; secret: string; serverPublicKey: string }>(
      'POST',
      '/api/units',
      { id: 'thon-tls', name: 'Thôn TLS' },
    );
    expect(created.status).toBe(201);
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
        username: 'thon-tls',
        password: created.body.secret,
        clientId: 'loa-unit-thon-tls',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/self[- ]signed/i);
    // The agent trusts the test's CA the way a board would: NODE_EXTRA_CA_CERTS.
    process.env.NODE_EXTRA_CA_CERTS = cert;
    try {
      agent = startAgent({
        mqttUrl: `mqtts://127.0.0.1:${tlsPort}`,
        unit: 'thon-tls',
        secret: created.body.secret,
        serverKeyPem: created.body.serverPublicKey,
      });
    } finally {
      delete process.env.NODE_EXTRA_CA_CERTS;
    }
    await waitFor('the unit online over MQTTS', async () =>
      (await https<UnitView>('GET', '/api/units/thon-tls')).body.online ? true : undefined,
    );
    expect(agent.lines.some((l) => l.includes(`connected to mqtts://127.0.0.1:${tlsPort}`))).toBe(true);
  });
});
