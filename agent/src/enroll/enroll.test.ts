import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { runEnroll } from './enroll.js';

const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
let dir: string;
let http: Server;
let base: string;
let reply: { status: number; body: unknown };
let received: Array<{ url?: string; method?: string; body: unknown }>;

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const code = await runEnroll(args, env, (l) => out.push(l));
  return { code, out: out.join('\n') };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loa-enroll-'));
  received = [];
  reply = {
    status: 200,
    body: { unitId: 'thon-moi-1', secret: 's3cret-value', serverPublicKey: pem, mqttUrl: 'mqtt://loa.example:1883' },
  };
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ url: req.url, method: req.method, body: JSON.parse(body || 'null') as unknown });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => http.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('loa-agent enroll', () => {
  it('stores the unit id, secret and server key with 0600, keeping the settings already there', async () => {
    const config = join(dir, 'etc', 'config.json');
    await run(['--server', base, '--token', 'x', '--config', config]); // creates the directory
    await writeFile(config, JSON.stringify({ version: 1, sink: 'alsa:hw:1,0', relay: 'gpio:gpiochip0:17' }));
    const r = await run(['--server', `${base}/`, '--config', config], { LOA_ENROLL_TOKEN: 'tok-123' });
    expect(r).toEqual({
      code: 0,
      out: `enrolled as unit thon-moi-1; broker mqtt://loa.example:1883; config ${config}, server key ${join(dir, 'etc', 'server-key.pem')}`,
    });
    expect(r.out).not.toContain('s3cret');
    expect(received.at(-1)).toEqual({ url: '/api/enroll', method: 'POST', body: { token: 'tok-123' } });
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'etc', 'server-key.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'etc', 'server-key.pem'), 'utf8')).toBe(pem);
    // The agent starts from that file alone.
    const loaded = loadConfig(['--config', config], {});
    expect(loaded.ok && loaded.config).toMatchObject({
      server: 'mqtt://loa.example:1883',
      unit: 'thon-moi-1',
      secret: 's3cret-value',
      serverKey: join(dir, 'etc', 'server-key.pem'),
      sink: 'alsa:hw:1,0',
      relay: 'gpio:gpiochip0:17',
    });
  });

  it('takes a token that starts with a dash', async () => {
    const config = join(dir, 'c.json');
    expect((await run(['--server', base, '--token', '-tok_9', '--config', config])).code).toBe(0);
    expect(received.at(-1)?.body).toEqual({ token: '-tok_9' });
  });

  it('says why the server refused, and writes nothing', async () => {
    reply = {
      status: 401,
      body: {
        error: 'invalid-enrollment-token',
        message: 'This enrollment token is unknown, expired or already used.',
      },
    };
    const config = join(dir, 'config.json');
    expect(await run(['--server', base, '--token', 'used', '--config', config])).toEqual({
      code: 1,
      out: 'enrollment failed: the server refused the enrollment (HTTP 401): This enrollment token is unknown, expired or already used.',
    });
    await expect(stat(config)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses an answer that is not an enrollment, or a key that is not Ed25519', async () => {
    const config = join(dir, 'config.json');
    reply = { status: 200, body: '<html>captive portal</html>' };
    expect((await run(['--server', base, '--token', 't', '--config', config])).out).toMatch(
      /^enrollment failed: unexpected answer from http:\/\/127\.0\.0\.1:\d+\/api\/enroll: not JSON/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    reply = { status: 200, body: { unitId: 'thon-a', secret: 's', serverPublicKey: rsa, mqttUrl: 'mqtt://h:1883' } };
    expect((await run(['--server', base, '--token', 't', '--config', config])).out).toBe(
      "enrollment failed: the server's public key is not usable: the server key is not an Ed25519 key",
    );
  });

  it('explains its usage, and a server it cannot reach', async () => {
    expect((await run(['--token', 't'])).code).toBe(2);
    expect((await run(['--server', 'ftp://x', '--token', 't'])).code).toBe(2);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await run(['--server', `http://127.0.0.1:${port}`, '--token', 't', '--config', join(dir, 'c.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      new RegExp(`^enrollment failed: cannot reach http://127\\.0\\.0\\.1:${port}/api/enroll: ECONNREFUSED`),
    );
  });
});
