// The server's public keys the agent trusts (DESIGN §7). One PEM file may hold several keys, so a
// key rotation can ship the new key to boards before the server starts signing with it.
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { keyIdOf, publicKeyFromPem } from '@loa/shared/envelope';

export async function loadTrustedKeys(pemPath: string): Promise<Map<string, KeyObject>> {
  let text: string;
  try {
    text = await readFile(pemPath, 'utf8');
  } catch (err) {
    throw new Error(`--server-key ${pemPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
  if (!blocks.length) throw new Error(`--server-key ${pemPath}: no PEM block found`);
  const keys = new Map<string, KeyObject>();
  for (const block of blocks) {
    try {
      const key = publicKeyFromPem(block);
      keys.set(keyIdOf(key), key);
    } catch (err) {
      throw new Error(`--server-key ${pemPath}: ${(err as Error).message}`);
    }
  }
  return keys;
}
