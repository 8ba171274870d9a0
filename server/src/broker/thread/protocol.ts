// Messages between the control plane (main thread) and the embedded broker in its worker thread
// (broker-thread.ts, worker.ts). Payloads travel as Uint8Array copies: a message is small, and a
// media chunk crosses once, however many units it then goes to.

export interface BrokerThreadSettings {
  port: number;
  host: string;
  tls?: { cert: Uint8Array; key: Uint8Array; port: number; host: string };
}

/** From the control plane to the broker's thread. */
export type ToBroker =
  | { type: 'publish'; id: number; topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean }
  | { type: 'verified'; id: number; ok: boolean }
  | { type: 'disconnect'; unit: string }
  | { type: 'close' };

/** From the broker's thread to the control plane. */
export type FromBroker =
  | { type: 'ready'; port: number; tlsPort: number | undefined }
  | { type: 'failed'; message: string; code: string | undefined }
  | { type: 'message'; topic: string; payload: Uint8Array }
  | { type: 'want'; topic: string; payload: Uint8Array; clientId: string }
  | { type: 'published'; id: number; error: string | undefined }
  | { type: 'verify'; id: number; unit: string; secret: string }
  | { type: 'clients'; count: number }
  | { type: 'lag'; p99Ms: number; maxMs: number; heapUsedBytes: number; heapTotalBytes: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; obj: object; msg: string }
  | { type: 'closed' };

/**
 * The bytes alone: a Buffer is often a view into a larger pool or socket chunk, and structured
 * cloning a view copies its whole underlying ArrayBuffer.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
