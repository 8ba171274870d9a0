// GET /api/ws: the live feed of the web app (issue #5). The socket is opened only with a valid
// session (the auth hook answers 401 before any upgrade), only from our own origin, and it is
// closed (code 4401) as soon as the session ends. What a person may see is read from
// GET /api/auth/me through the same auth path as every other request, so roles and commune scopes
// (issue #4) apply here without a second copy of those rules.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { HttpError } from '../http-error.js';
import { liveFanout, type ClientScope } from './live-fanout.js';

/** How often a socket's session is checked again, and the socket pinged. */
const RECHECK_MS = 30_000;

interface MeBody {
  user?: { id?: unknown; communeIds?: unknown; permissions?: unknown };
}

/** Forwards the caller's credentials to /api/auth/me; undefined when they no longer sign anyone in. */
export async function scopeOf(app: FastifyInstance, req: FastifyRequest): Promise<ClientScope | undefined> {
  const headers: Record<string, string> = {};
  if (req.headers.cookie) headers.cookie = req.headers.cookie;
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  const res = await app.inject({ method: 'GET', url: '/api/auth/me', headers });
  if (res.statusCode !== 200) return undefined;
  const { user } = res.json<MeBody>();
  if (!user || typeof user.id !== 'number') return undefined;
  const communeIds = Array.isArray(user.communeIds) ? user.communeIds.map(String) : null;
  // Before roles existed every signed-in person could do everything; a server that names
  // permissions is taken at its word.
  const permissions = Array.isArray(user.permissions) ? new Set(user.permissions.map(String)) : null;
  return { userId: user.id, communeIds, can: (p) => permissions === null || permissions.has(p) };
}

/** A browser opening the socket from another site is refused: SameSite cookies are not enough alone. */
export async function sameOrigin(req: FastifyRequest, _reply: FastifyReply) {
  const origin = req.headers.origin;
  if (!origin) return; // not a browser (tests, tools); the session check still applies
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  if (host !== req.headers.host) {
    throw new HttpError(403, 'forbidden-origin', 'This socket opens only from the Loa web app itself.');
  }
}

/**
 * An upgrade refused with an HTTP answer (401, 403) leaves a socket Node's HTTP server no longer
 * watches, half-open forever once the browser hangs up: end it, or every retry of a browser whose
 * session expired would leak one.
 */
export async function closeRefusedUpgrade(req: FastifyRequest, reply: FastifyReply) {
  // Not `req.ws`: the websocket plugin marks it in an onRequest hook that a refusal never reaches.
  if (req.headers.upgrade?.toLowerCase() === 'websocket' && reply.statusCode !== 101) req.raw.socket.end();
}

export default async function dashboardRoutes(app: FastifyInstance) {
  const fanout = liveFanout(app.hub, { communeOf: (unitId) => app.services.units.communeOf(unitId) });
  app.addHook('onClose', async () => fanout.stop());

  app.get(
    '/api/ws',
    {
      websocket: true,
      onRequest: sameOrigin,
      onResponse: closeRefusedUpgrade,
      // Any signed-in person (or API token) may open the feed; each event is then filtered by the
      // permission it needs and the person's communes (live-fanout.ts).
      config: { permission: 'self', scope: 'none' },
    },
    async (socket: WebSocket, req: FastifyRequest) => {
      const log = req.log.child({ name: 'dashboard' });
      let scope: ClientScope | undefined;
      try {
        scope = await scopeOf(app, req);
      } catch (err) {
        log.warn({ err }, 'dashboard: could not read the session');
      }
      if (!scope) return socket.close(4401, 'sign in again');
      if (socket.readyState !== socket.OPEN) return; // gone while the session was read
      // A burst of messages in one turn of the event loop (a slice of telemetry, thousands of
      // units' events) goes out in one write: the TCP socket is corked at the first and uncorked
      // once the turn ends, instead of one system call per message (issue #10).
      const tcp = req.raw.socket;
      let corked = false;
      const client = {
        scope,
        bufferedAmount: () => socket.bufferedAmount,
        send: (text: string) => {
          if (!corked) {
            corked = true;
            tcp.cork();
            process.nextTick(() => {
              corked = false;
              tcp.uncork();
            });
          }
          socket.send(text);
        },
        close: (code: number, reason: string) => socket.close(code, reason),
      };
      const remove = fanout.add(client);
      socket.send(JSON.stringify({ type: 'hello', at: Date.now() }));

      let alive = true;
      socket.on('pong', () => (alive = true));
      const timer = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
        scopeOf(app, req).then(
          (next) => {
            if (!next) socket.close(4401, 'sign in again');
            else client.scope = next;
          },
          (err: unknown) => log.warn({ err }, 'dashboard: could not recheck the session'),
        );
      }, RECHECK_MS);
      timer.unref();
      socket.on('close', () => {
        clearInterval(timer);
        remove();
      });
      // The feed is one-way; anything a client sends is ignored (commands go through the HTTP API).
      socket.on('message', () => undefined);
    },
  );
}
