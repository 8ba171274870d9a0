// A signing key pair made for one test run, as the server would hold it, and the PEM file of the
// public key an enrolled board would hold.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandBody, PlanBody } from '@loa/shared';
import { keyIdOf, signEnvelope } from '@loa/shared/envelope';

export interface TestKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  pemPath: string;
  sign(body: PlanBody | CommandBody | unknown): string;
}

export async function makeKeys(dir: string): Promise<TestKeys> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = keyIdOf(publicKey);
  const pemPath = join(dir, 'server-key.pem');
  await writeFile(pemPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, kid, pemPath, sign: (body) => JSON.stringify(signEnvelope(body, privateKey, kid)) };
}
