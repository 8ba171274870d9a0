// The server's Ed25519 key pair (DESIGN §7): made at first start, private key kept in DATA_DIR with
// mode 0600. Plans and commands are signed with it; agents hold the public key from enrollment.
import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf, signEnvelope } from '@loa/shared/envelope';
import type { Envelope } from '@loa/shared';

export interface Signer {
  kid: string;
  publicKeyPem: string;
  publicKey: KeyObject;
  sign(body: unknown): Envelope;
}

export function loadOrCreateSigner(dataDir: string): Signer {
  const dir = join(dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'server-ed25519.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    renameSync(tmp, file);
  }
  chmodSync(file, 0o600);
  const privateKey = createPrivateKey(readFileSync(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} does not hold an Ed25519 private key`);
  const publicKey = createPublicKey(privateKey);
  const kid = keyIdOf(publicKey);
  return {
    kid,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (body) => signEnvelope(body, privateKey, kid),
  };
}
