// A graceful close leaves keep-alive connections open: Node closes the idle ones when the close
// starts, but a response still being written then (an audio file, a report) leaves its connection
// idle a moment later, and nothing closes it before its keep-alive timeout (72 s in Fastify): the
// server's shutdown waited that long. So, once closing, each response that finishes closes the
// connections that have gone idle; main.ts still cuts whatever is left after 5 s.
import type { FastifyInstance } from 'fastify';

export function closeConnectionsOnceIdle(app: FastifyInstance): void {
  let closing = false;
  app.server.on('request', (_req, res) => {
    res.once('finish', () => {
      // Node marks the connection idle after 'finish' returns: look on the next turn.
      if (closing) setImmediate(() => app.server.closeIdleConnections());
    });
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
}
