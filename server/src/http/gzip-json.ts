// Large JSON answers gzipped for whoever accepts it (issue #10). The units list of a province is
// ~2 MB of JSON on every dashboard reload; gzipped it is a few percent of that, which matters on
// a technician's phone over mobile data more than anywhere, and the compression runs in libuv's
// thread pool, not on the event loop (~1 ms of the loop for 2 MB, the rest on another thread).
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const gzip = promisify(gzipCallback);

/** Below this, gzip's header and the thread hop cost more than the bytes saved. */
export const GZIP_MIN_BYTES = 16 * 1024;

/**
 * Whether an Accept-Encoding header lets gzip through (RFC 9110 §12.5.3): named with a weight
 * above 0, or left to a `*` above 0 without being refused by name.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    const allowed = Number.isFinite(weight) && weight > 0;
    if (name.trim() === 'gzip' || name.trim() === 'x-gzip') return allowed;
    if (name.trim() === '*') star = allowed;
  }
  return star;
}

/** Sends JSON bytes, gzipped when they are large and the client accepts it. */
export async function sendJson(req: FastifyRequest, reply: FastifyReply, body: Buffer): Promise<FastifyReply> {
  reply.type('application/json; charset=utf-8').header('vary', 'accept-encoding');
  if (body.length < GZIP_MIN_BYTES || !acceptsGzip(req.headers['accept-encoding'])) return reply.send(body);
  // Level 3: for this JSON nearly the size of the default level's output, in half its time.
  const zipped = await gzip(body, { level: 3, strategy: constants.Z_DEFAULT_STRATEGY });
  return reply.header('content-encoding', 'gzip').send(zipped);
}
