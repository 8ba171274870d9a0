// Large JSON answers gzipped for clients that accept it (issue #10: a province's units list is
// ~2 MB per dashboard reload, much of a phone's mobile data), the same bytes as ever otherwise.
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';
import { GZIP_MIN_BYTES, acceptsGzip } from './gzip-json.js';

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as RFC 9110 says', () => {
    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true);
    expect(acceptsGzip('br;q=1.0, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('x-gzip')).toBe(true);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('br, deflate')).toBe(false);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('gzip;q=0.000, *')).toBe(false);
    expect(acceptsGzip('*;q=0')).toBe(false);
    expect(acceptsGzip('gzip;q=nonsense')).toBe(false);
  });
});

describe('GET /api/units, large', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  /** The raw answer, undecoded (fetch would gunzip it on the way). */
  const raw = (acceptEncoding?: string) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const url = new URL('/api/units', server.base);
      const headers: Record<string, string> = { cookie: server.admin.cookie };
      if (acceptEncoding !== undefined) headers['accept-encoding'] = acceptEncoding;
      const req = request(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

  it('is gzipped for a browser when large, as it was for a client that does not accept gzip, and both say the same', async () => {
    // A commune's few units: sent as they are, whatever the client accepts.
    const small = await raw('gzip');
    expect(small.status).toBe(200);
    expect(small.body.length).toBeLessThan(GZIP_MIN_BYTES);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString())).toEqual({ units: [] });

    const insert = server.app.db.prepare(
      "INSERT INTO units (id, commune_id, name, secret_hash, created_at) VALUES (?, 'default', ?, 'x', 0)",
    );
    for (let i = 0; i < 200; i++) insert.run(`thon-${String(i).padStart(3, '0')}`, `Cụm loa thôn ${i}`);
    const plain = await raw();
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(GZIP_MIN_BYTES);
    const units = (JSON.parse(plain.body.toString()) as { units: Array<{ id: string }> }).units;
    expect(units).toHaveLength(200);

    const zipped = await raw('gzip, deflate, br');
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toMatch(/accept-encoding/i);
    expect(zipped.headers['content-type']).toMatch(/^application\/json/);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 5);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);

    // Refused by weight: the plain bytes.
    const refused = await raw('gzip;q=0, identity');
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(plain.body)).toBe(true);
  });

  it('is refused, not gzipped, without a session', async () => {
    const res = await fetch(new URL('/api/units', server.base), { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(401);
  });
});
