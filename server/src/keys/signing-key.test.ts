// The server's Ed25519 key (DESIGN §7, issue #4): made once, private key readable by the server's
// user alone (0600, in a 0700 directory), and the same key after a restart — or every agent, which
// holds the public key from enrollment, would drop every plan from then on.
import { generateKeyPairSync, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { loadOrCreateSigner } from './signing-key.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the signing key', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'loa-key-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is written 0600 in a 0700 directory, and read back the same', () => {
    const dir = dataDir();
    const first = loadOrCreateSigner(dir);
    const file = join(dir, 'keys', 'server-ed25519.pem');
    expect(mode(file)).toBe(0o600);
    expect(mode(join(dir, 'keys'))).toBe(0o700);
    const again = loadOrCreateSigner(dir);
    expect(again.kid).toBe(first.kid);
    expect(again.publicKeyPem).toBe(first.publicKeyPem);
    const env = first.sign({ unit: 'thon-a', version: 1 });
    expect(verify(null, Buffer.from(env.body, 'utf8'), again.publicKey, Buffer.from(env.sig, 'base64'))).toBe(true);
  });

  it('makes a key file others could read private again, and refuses a key of another kind', () => {
    const dir = dataDir();
    const kid = loadOrCreateSigner(dir).kid;
    const file = join(dir, 'keys', 'server-ed25519.pem');
    chmodSync(file, 0o644);
    expect(loadOrCreateSigner(dir).kid).toBe(kid);
    expect(mode(file)).toBe(0o600);

    const rsa = dataDir();
    loadOrCreateSigner(rsa);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(join(rsa, 'keys', 'server-ed25519.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => loadOrCreateSigner(rsa)).toThrow(/Ed25519/);
  });

  it('is the key the server finds in its data dir when it starts again', async () => {
    const dir = dataDir();
    const kid = loadOrCreateSigner(dir).kid; // what an earlier start left there
    const config = loadConfig({ DATA_DIR: dir, PORT: '0', MQTT_PORT: '0', MQTT_HOST: '127.0.0.1', LOG_LEVEL: 'error' });
    const app = await buildApp(config);
    try {
      await app.ready();
      expect(app.signer.kid).toBe(kid);
      expect(mode(join(dir, 'keys', 'server-ed25519.pem'))).toBe(0o600);
    } finally {
      await app.close();
    }
  });
});
