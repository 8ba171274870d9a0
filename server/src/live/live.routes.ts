// Live broadcast API (issue #8). Starting and stopping need the `live` permission and are audited
// by the audit hook; the server's own ends (silence, the time limit) are audited by the service.
// The audio comes over a WebSocket: only the person who started the session, from our own origin,
// and only while they may still speak there (issue #4: signed out, deleted or demoted, it ends).
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WebSocket } from 'ws';
import { can, inScope } from '../auth/permissions.js';
import { closeRefusedUpgrade, sameOrigin, scopeOf } from '../dashboard/dashboard.routes.js';
import { HttpError } from '../http-error.js';
import { LiveParams, LiveRequest, LiveView } from './live.schemas.js';

/** Closed by the person (a stop, the page closed): the session ends with the socket. */
const NORMAL_CLOSURE = 1000;
/**
 * How often an open audio socket checks its credentials again (issue #4): a revoked API token or
 * an expired session stops speaking within this. A sign-out, a deletion or a demotion is checked
 * at once (app.sessions.onEnd).
 */
const RECHECK_MS = 5_000;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const live = app.services.live;

  app.post(
    '/api/live',
    {
      config: { permission: 'live', audit: 'live.start' },
      schema: { body: LiveRequest, response: { 201: LiveView } },
    },
    async (req, reply) => {
      app.services.communes.get(req.body.communeId);
      const user = req.user!;
      if (req.body.level === 'emergency' && !can(user, 'emergency'))
        throw new HttpError(
          403,
          'forbidden',
          `Your account (${user.role}) may not sound an emergency: it needs the emergency permission. Ask the leader.`,
          'level',
        );
      const started = await live.start(req.body, { id: user.id, name: user.username });
      req.audit = {
        subject: started.id,
        communeId: started.communeId,
        detail: {
          units: started.units.map((u) => u.unitId),
          level: started.level,
          volume: started.volume,
          title: started.title,
        },
      };
      return reply.code(201).send(started);
    },
  );

  app.post(
    '/api/live/:id/stop',
    {
      config: { permission: 'live', audit: 'live.stop', scope: 'none' },
      schema: { params: LiveParams, response: { 200: LiveView } },
    },
    async (req) => {
      live.get(req.params.id, (c) => inScope(req.user, c));
      const stopped = await live.stop(req.params.id, `stopped by ${req.user!.username}`, req.user!);
      req.audit = { subject: stopped.id, communeId: stopped.communeId, detail: { frames: stopped.frames } };
      return stopped;
    },
  );

  app.get(
    '/api/live',
    {
      config: { permission: 'bulletins:read', scope: 'none' },
      schema: { response: { 200: Type.Object({ sessions: Type.Array(LiveView) }) } },
    },
    async (req) => ({ sessions: live.list((c) => inScope(req.user, c)) }),
  );

  app.get(
    '/api/live/:id',
    {
      config: { permission: 'bulletins:read', scope: 'none' },
      schema: { params: LiveParams, response: { 200: LiveView } },
    },
    async (req) => live.get(req.params.id, (c) => inScope(req.user, c)),
  );

  app.get(
    '/api/live/:id/audio',
    {
      websocket: true,
      onRequest: sameOrigin,
      onResponse: closeRefusedUpgrade,
      config: { permission: 'live', scope: 'none' },
      schema: { params: LiveParams },
    },
    (socket: WebSocket, req) => {
      const { id } = req.params as { id: string };
      const user = req.user;
      const say = (msg: unknown) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
      };
      let attached: { detach(): void };
      let communeId: string;
      try {
        if (!user) throw new HttpError(401, 'unauthenticated', 'Sign in first.');
        communeId = live.get(id, (c) => inScope(user, c)).communeId;
        attached = live.attach(id, user.id, (notice) => {
          say(notice);
          if (notice.type === 'ended') socket.close(NORMAL_CLOSURE, 'session ended');
        });
      } catch (err) {
        const e = err as HttpError;
        say({ type: 'ended', reason: e.message });
        // 4000 + the HTTP status: the page tells "ended" (4410) from "not yours" (4403).
        socket.close(4000 + (e.statusCode ?? 500), (e.code ?? 'error').slice(0, 100));
        return;
      }
      // The person must still be allowed to speak here, as the dashboard socket checks its reader.
      const speaker = user;
      let revoked = false;
      const recheck = () =>
        scopeOf(app, req).then(
          (now) => {
            const still =
              now?.userId === speaker.id &&
              now.can('live') &&
              (now.communeIds === null || now.communeIds.includes(communeId));
            if (still || revoked) return;
            revoked = true;
            const reason = `${speaker.username} may no longer speak live (signed out, account deleted or its rights changed)`;
            attached.detach();
            say({ type: 'ended', reason });
            socket.close(4401, 'sign in again');
            void live.stop(id, reason, null).catch(() => undefined);
          },
          (err: unknown) => req.log.warn({ err }, 'live: could not recheck the session'),
        );
      const offEnd = app.sessions.onEnd((userId) => {
        if (userId === speaker.id) void recheck();
      });
      const timer = setInterval(() => void recheck(), RECHECK_MS);
      timer.unref();
      say({ type: 'ready' });
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (revoked) return;
        if (!isBinary) {
          say({ type: 'dropped', seq: null, reason: 'text message; the audio goes in binary messages' });
          return;
        }
        live.frame(id, data);
      });
      socket.on('close', (code) => {
        clearInterval(timer);
        offEnd();
        attached.detach();
        // A dropped link (1006) or a refused oversized message (1009) keeps the session for a
        // reconnect; it ends anyway once silent for the idle time.
        if (code === NORMAL_CLOSURE)
          void live.stop(id, `${speaker.username} closed the live page`, speaker).catch(() => undefined);
      });
    },
  );
};
export default routes;
