// The audit log (DESIGN §7, issue #4): every change that can make a loudspeaker speak or stop —
// bulletins, windows, zones, commands, live sessions, emergencies, unit secrets — and every change
// to accounts. Rather than trusting each feature to remember, one hook records every successful
// POST/PUT/PATCH/DELETE under /api/ (who, what, where, when); a route may name its action
// (`config: { audit: 'bulletin.approve' }`) and a handler may add detail through `req.audit`.
import fp from 'fastify-plugin';
import type { Principal } from '../auth/permissions.js';
import { auditRepo, type AuditFilter, type AuditRow } from './audit.repo.js';

export interface AuditNote {
  action?: string;
  subject?: string | null;
  communeId?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditEntry {
  action: string;
  who: Principal | null;
  subject?: string | null;
  communeId?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown> | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    audit: {
      record(entry: AuditEntry): number;
      list(filter: AuditFilter): ReturnType<typeof toAuditView>[];
    };
  }
  interface FastifyRequest {
    /** What a handler adds to this request's audit entry. */
    audit: AuditNote | null;
    /** The commune the request was about, when the scope check found one. */
    communeId: string | null;
  }
  interface FastifyContextConfig {
    /** The audit action of this route (default `METHOD /url/:pattern`), or false for none. */
    audit?: string | false;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SECRET_KEY = /pass(word)?|secret|token|key$/i;
const MAX_STRING = 2000;

/** A copy safe to keep: no passwords, secrets or tokens, long texts cut, depth bounded. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function toAuditView(r: AuditRow) {
  return {
    id: r.id,
    at: r.at,
    userId: r.user_id,
    username: r.username,
    via: r.via,
    action: r.action,
    subject: r.subject,
    communeId: r.commune_id,
    ip: r.ip,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
  };
}

/** What the response says about the thing changed: its id and commune, when the request did not. */
function fromResponse(payload: unknown): { subject: string | null; communeId: string | null } {
  const none = { subject: null, communeId: null };
  if (typeof payload !== 'string' || payload.length > 256 * 1024 || !payload.startsWith('{')) return none;
  try {
    const body = JSON.parse(payload) as Record<string, unknown>;
    const inner = [body, body.unit, body.user, body.apiToken].filter(
      (x): x is Record<string, unknown> => typeof x === 'object' && x !== null,
    );
    const subject = inner.map((x) => x.id ?? x.sha256).find((v) => typeof v === 'string' || typeof v === 'number');
    const communeId = inner.map((x) => x.communeId).find((v) => typeof v === 'string');
    return { subject: subject === undefined ? null : String(subject), communeId: (communeId as string) ?? null };
  } catch {
    return none; // not JSON
  }
}

export default fp(
  async (app) => {
    const repo = auditRepo(app.db);
    const log = app.log.child({ name: 'audit' });

    function record(e: AuditEntry): number {
      const detail = e.detail ? JSON.stringify(redact(e.detail)) : null;
      const id = repo.insert({
        at: Date.now(),
        userId: e.who?.id ?? null,
        username: e.who?.username ?? null,
        via: e.who ? (e.who.via === 'token' ? `token:${e.who.tokenId}` : 'session') : 'system',
        action: e.action,
        subject: e.subject ?? null,
        communeId: e.communeId ?? null,
        ip: e.ip ?? null,
        detail,
      });
      return id;
    }
    app.decorate('audit', { record, list: (f: AuditFilter) => repo.list(f).map(toAuditView) });
    app.decorateRequest('audit', null);
    app.decorateRequest('communeId', null);

    app.addHook('onSend', async (req, reply, payload) => {
      const config = req.routeOptions.config;
      if (!MUTATING.has(req.method) || !req.routeOptions.url?.startsWith('/api/') || config?.audit === false)
        return payload;
      if (reply.statusCode < 200 || reply.statusCode >= 300) return payload;
      const note = req.audit ?? {};
      const body = req.isMultipart?.() ? { multipart: true } : (req.body ?? null);
      const communeFromBody =
        body && typeof body === 'object' && typeof (body as { communeId?: unknown }).communeId === 'string'
          ? (body as { communeId: string }).communeId
          : null;
      const params = req.params as Record<string, unknown> | undefined;
      const response = fromResponse(payload);
      try {
        record({
          action:
            note.action ?? (typeof config?.audit === 'string' ? config.audit : `${req.method} ${req.routeOptions.url}`),
          who: req.user,
          subject:
            note.subject !== undefined
              ? note.subject
              : typeof params?.id === 'string' || typeof params?.id === 'number'
                ? String(params.id)
                : response.subject,
          communeId:
            note.communeId !== undefined ? note.communeId : (req.communeId ?? communeFromBody ?? response.communeId),
          ip: req.ip,
          detail: { status: reply.statusCode, params: req.params, body, ...note.detail },
        });
      } catch (err) {
        // The change is made; losing its audit line is a fault to see, not a reason to lie to the client.
        log.error({ err, url: req.url }, 'audit: could not record');
      }
      return payload;
    });
  },
  { name: 'audit', dependencies: ['db'] },
);
