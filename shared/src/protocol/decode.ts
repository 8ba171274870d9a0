// Runtime checks at the trust boundary: every MQTT payload is parsed and validated here before any
// handler sees it. A failure is a value, never an exception, so a malformed message is logged and
// dropped and no process crashes (DESIGN §3).
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** Payloads above this size are refused before JSON parsing (a 10 MB JSON bomb costs nothing). */
export const MAX_JSON_PAYLOAD_BYTES = 1024 * 1024;

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Decoder<S extends TSchema> {
  /** Parses JSON text or bytes and checks them against the schema. */
  decode(payload: Uint8Array | string, maxBytes?: number): Decoded<Static<S>>;
  /** Checks an already-parsed value. */
  check(value: unknown): Decoded<Static<S>>;
}

export function decoder<S extends TSchema>(schema: S): Decoder<S> {
  const validator = Compile(schema);
  const check = (value: unknown): Decoded<Static<S>> => {
    if (validator.Check(value)) return { ok: true, value: value as Static<S> };
    const errors = validator.Errors(value).slice(0, 3);
    const text = errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    return { ok: false, error: `invalid payload: ${text || 'does not match the schema'}` };
  };
  return {
    check,
    decode(payload, maxBytes = MAX_JSON_PAYLOAD_BYTES) {
      const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
      if (size > maxBytes) return { ok: false, error: `payload of ${size} bytes exceeds ${maxBytes}` };
      let parsed: unknown;
      try {
        const text = typeof payload === 'string' ? payload : new TextDecoder('utf-8', { fatal: true }).decode(payload);
        parsed = JSON.parse(text);
      } catch (err) {
        return { ok: false, error: `not JSON: ${(err as Error).message}` };
      }
      return check(parsed);
    },
  };
}
