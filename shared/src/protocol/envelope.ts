// The signed envelope of DESIGN §7: `{body, sig, kid}` where `sig` is the Ed25519 signature of the
// UTF-8 bytes of `body`, the exact JSON text of a plan or command. Signing the text avoids any
// canonical-JSON question; the receiver verifies first and parses `body` only after.
// Kept out of the package's main entry because it needs node:crypto (the web app never signs).
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Static, TSchema } from 'typebox';
import { decoder, type Decoded, type Decoder } from './decode.js';
import { Envelope } from './messages.js';

const envelopeDecoder = decoder(Envelope);

/** Key id: the first 16 hex digits of the SHA-256 of the public key's DER (SPKI) bytes. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the server key is not an Ed25519 key');
  return key;
}

export function signEnvelope(body: unknown, privateKey: KeyObject, kid: string): Static<typeof Envelope> {
  const text = JSON.stringify(body);
  const sig = sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64');
  return { body: text, sig, kid };
}

/**
 * Verifies an envelope against the trusted keys and only then parses and checks its body.
 * Every failure comes back as a reason, for the log, never as an exception.
 */
export function openEnvelope<S extends TSchema>(
  payload: Uint8Array | string,
  trusted: ReadonlyMap<string, KeyObject>,
  body: Decoder<S>,
  maxBytes = 4 * 1024 * 1024 + 1024,
): Decoded<Static<S>> {
  const env = envelopeDecoder.decode(payload, maxBytes);
  if (!env.ok) return { ok: false, error: `not an envelope: ${env.error}` };
  const key = trusted.get(env.value.kid);
  if (!key) return { ok: false, error: `unknown signing key ${JSON.stringify(env.value.kid.slice(0, 20))}` };
  let good = false;
  try {
    good = verify(null, Buffer.from(env.value.body, 'utf8'), key, Buffer.from(env.value.sig, 'base64'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, error: 'bad signature' };
  return body.decode(env.value.body, maxBytes);
}
