import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { closeConnectionsOnceIdle } from './close-when-idle.js';

/** A server with one answer that takes `ms`, and a keep-alive client that asks for it. */
async function slowAnswer(withHelper: boolean, ms: number) {
  const app = Fastify({ keepAliveTimeout: 30_000 });
  if (withHelper) closeConnectionsOnceIdle(app);
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, ms));
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/slow', agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
  await new Promise((r) => setTimeout(r, 50)); // the request is being answered
  return { app, agent, answer };
}

describe('closeConnectionsOnceIdle', () => {
  it('lets an answer in progress finish, then closes its connection at once', async () => {
    const { app, agent, answer } = await slowAnswer(true, 300);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await answer).toEqual({ status: 200, body: '{"ok":true}' });
    agent.destroy();
  });

  it('without it, the close waits for the keep-alive timeout (what this mends)', async () => {
    const { app, agent, answer } = await slowAnswer(false, 300);
    const closed = app.close().then(() => 'closed');
    expect(await answer).toEqual({ status: 200, body: '{"ok":true}' });
    const first = await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 2_000))]);
    expect(first).toBe('still open');
    agent.destroy(); // the client lets go of the connection: now the close ends
    expect(await closed).toBe('closed');
  });
});
