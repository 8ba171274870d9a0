import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { drainBody } from './drain-body.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Sends `chunks` with a pause between them; answers with what drainBody said. */
async function send(chunks: Buffer[], maxBytes: number, ms: number) {
  let drained: boolean | undefined;
  server = createServer(async (req, res) => {
    drained = await drainBody(req, maxBytes, ms);
    res.end('no');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const status = await new Promise<number | string>((resolve) => {
    const req = request({ port, method: 'POST', host: '127.0.0.1' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? 'error'));
    void (async () => {
      for (const c of chunks) {
        if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        await new Promise((r) => setTimeout(r, 20));
      }
      req.end();
    })();
  });
  return { drained, status };
}

describe('drainBody', () => {
  it('reads what is left of a small body, so the answer reaches the client', async () => {
    const { drained, status } = await send([Buffer.alloc(1000), Buffer.alloc(1000), Buffer.alloc(1000)], 10_000, 2000);
    expect(drained).toBe(true);
    expect(status).toBe(200);
  });

  it('gives up on a body over the limit', async () => {
    const { drained } = await send([Buffer.alloc(6000), Buffer.alloc(6000), Buffer.alloc(6000)], 10_000, 2000);
    expect(drained).toBe(false);
  });

  it('gives up on a client that stops sending', async () => {
    let drained: boolean | undefined;
    server = createServer(async (req, res) => {
      drained = await drainBody(req, 10_000, 200);
      res.end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const req = request({ port, method: 'POST', host: '127.0.0.1', headers: { 'content-length': '5000' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(100));
    await new Promise((r) => setTimeout(r, 500));
    expect(drained).toBe(false);
    req.destroy();
  });
});
