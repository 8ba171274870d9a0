// A real Mosquitto on the exported configuration keeps a burst for a slow control plane (issue #10).
// With Mosquitto's defaults (20 in flight, 1,000 queued per client) the messages past that were
// dropped ("Outgoing messages are being dropped for client loa-server") once 2,000 units reported
// at once. Here the server's client stops reading while a unit sends 3,000 QoS 1 events; when it
// reads again, every one is there.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@loa/shared';
import { waitFor } from '../testing/wait.js';
import { SERVER_USERNAME } from './embedded.js';
import { MOSQUITTO_QUEUE, mosquittoAcl, mosquittoConf, mosquittoPasswordHash } from './mosquitto.js';
import { freePort } from '../testing/free-port.js';

const BURST = 3000;
const server = { username: SERVER_USERNAME, password: 'the-server-broker-password' };
const unit = { username: 'thon-a', password: 'the-secret-of-thon-a' };

describe('Mosquitto on the exported configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loa-mq-queue-'));
  let mosquitto: ChildProcess;
  let out = '';
  let url = '';
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    // The files broker:export writes (mosquitto.ts), for the server's account and one unit.
    const passwd = [server, unit].map((l) => `${l.username}:${mosquittoPasswordHash(l.password)}`);
    writeFileSync(join(dir, 'passwd'), passwd.join('\n') + '\n', { mode: 0o600 });
    writeFileSync(join(dir, 'acl'), mosquittoAcl(SERVER_USERNAME));
    // Run as this user (Mosquitto started as root would switch to `mosquitto`, who cannot read a temp dir).
    const user = process.getuid?.() === 0 ? 'user root\n' : '';
    writeFileSync(join(dir, 'mosquitto.conf'), mosquittoConf({ dir, port, host: '127.0.0.1' }) + user);
    mosquitto = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    mosquitto.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('Mosquitto running', () => /running/.test(out) || undefined, 10_000, 50);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    mosquitto?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('states the queue sized for a province', () => {
    const conf = mosquittoConf({ dir: '/etc/loa', port: 1883 }).split('\n');
    expect(conf).toEqual(
      expect.arrayContaining([
        `max_inflight_messages ${MOSQUITTO_QUEUE.maxInflightMessages}`,
        `max_queued_messages ${MOSQUITTO_QUEUE.maxQueuedMessages}`,
        `max_queued_bytes ${MOSQUITTO_QUEUE.maxQueuedBytes}`,
      ]),
    );
    // Global options: before any listener, where Mosquitto reads them for every client.
    const firstListener = conf.findIndex((l) => l.startsWith('listener'));
    expect(conf.findIndex((l) => l.startsWith('max_queued_messages'))).toBeLessThan(firstListener);
    expect(MOSQUITTO_QUEUE.maxQueuedMessages).toBeGreaterThanOrEqual(5000 * 10);
  });

  it(`keeps ${BURST} QoS 1 messages for a control plane that stops reading, and delivers them all`, async () => {
    const base = { protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 5000 };
    const slow = await mqtt.connectAsync(url, { ...base, ...server, clientId: 'loa-server-slow' });
    clients.push(slow);
    const got = new Set<string>();
    slow.on('message', (_t, payload) => got.add(payload.toString()));
    await slow.subscribeAsync(topics.events(unit.username), { qos: 1 });
    // It reads nothing more, so acknowledges nothing: Mosquitto must hold the whole burst.
    (slow.stream as Socket).pause();

    const sender = await mqtt.connectAsync(url, { ...base, ...unit, clientId: `loa-unit-${unit.username}` });
    clients.push(sender);
    const sent = Array.from({ length: BURST }, (_, i) => `event ${i}`);
    // Every PUBACK in: Mosquitto has taken each message.
    await Promise.all(sent.map((m) => sender.publishAsync(topics.events(unit.username), m, { qos: 1 })));

    (slow.stream as Socket).resume();
    await waitFor('the whole burst', () => (got.size === BURST ? true : undefined), 10_000).catch(() => undefined);
    expect(sent.filter((m) => !got.has(m)).length, 'messages lost').toBe(0);
    expect(out).not.toMatch(/dropped/i);
  }, 20_000);
});
