// Commune scoping (issue #4): a user scoped to some communes sees and changes only those. Routes
// about one thing (`/api/units/:id…`, `/api/zones/:id`, `/api/bulletins/:id…`, `/api/communes/:id…`)
// are checked in one place from the route's URL; list routes filter with `inScope`.
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import { HttpError } from '../http-error.js';
import { inScope } from './permissions.js';

export type ScopedKind = 'unit' | 'zone' | 'bulletin' | 'commune';

/** How a route ties to a commune, when the URL alone does not say (see `ruleFor`). */
export type ScopeRule =
  | { param: string; kind: ScopedKind }
  /** Only principals over every commune (creating communes, managing accounts and tokens). */
  | 'province'
  /** Nothing commune-bound in the path (the route filters by itself, or has no commune). */
  | 'none';

const BY_PREFIX: Record<string, ScopedKind> = {
  units: 'unit',
  zones: 'zone',
  bulletins: 'bulletin',
  communes: 'commune',
};

/** The rule a route follows: its declared one, else the one its URL implies. */
export function ruleFor(url: string | undefined, declared: ScopeRule | undefined): ScopeRule {
  if (declared) return declared;
  const m = url ? /^\/api\/(units|zones|bulletins|communes)\/:([A-Za-z]+)(\/|$)/.exec(url) : null;
  if (!m) return 'none';
  return { param: m[2]!, kind: BY_PREFIX[m[1]!]! };
}

export const NOT_FOUND_CODE: Record<ScopedKind, string> = {
  unit: 'unit-not-found',
  zone: 'zone-not-found',
  bulletin: 'bulletin-not-found',
  commune: 'commune-not-found',
};

export function communeResolver(db: Db) {
  const queries: Record<ScopedKind, ReturnType<Db['prepare']>> = {
    unit: db.prepare('SELECT commune_id AS c FROM units WHERE id = ?'),
    zone: db.prepare('SELECT commune_id AS c FROM zones WHERE id = ?'),
    bulletin: db.prepare('SELECT commune_id AS c FROM bulletins WHERE id = ?'),
    commune: db.prepare('SELECT id AS c FROM communes WHERE id = ?'),
  };
  /** The commune of a thing, or undefined when there is no such thing. */
  return (kind: ScopedKind, id: string): string | undefined => (queries[kind].get(id) as { c: string } | undefined)?.c;
}
export type CommuneResolver = ReturnType<typeof communeResolver>;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function bodyTakesCommune(req: FastifyRequest): boolean {
  const schema = req.routeOptions.schema?.body as { properties?: Record<string, unknown> } | undefined;
  return Boolean(schema?.properties && 'communeId' in schema.properties);
}

/**
 * The preHandler (after validation) that keeps a commune-scoped principal inside its communes:
 * the thing in the path, `?communeId=` / `?unitId=` filters, and `communeId` in a body.
 */
export function scopeGuard(communeOf: CommuneResolver) {
  return async (req: FastifyRequest): Promise<void> => {
    const who = req.user;
    if (!who || !req.routeOptions.url?.startsWith('/api/') || req.routeOptions.config?.public) return;
    const rule = ruleFor(req.routeOptions.url, req.routeOptions.config?.scope);
    if (rule === 'province') {
      if (who.communeIds !== null)
        throw new HttpError(
          403,
          'forbidden',
          'Only an account over every commune may do this. Ask a province administrator.',
        );
      return;
    }
    if (typeof rule === 'object') {
      const id = (req.params as Record<string, unknown> | undefined)?.[rule.param];
      const commune = typeof id === 'string' ? communeOf(rule.kind, id) : undefined;
      if (commune !== undefined) {
        // Outside one's communes, a thing does not exist: the same answer as for a missing one.
        if (!inScope(who, commune))
          throw new HttpError(404, NOT_FOUND_CODE[rule.kind], `There is no ${rule.kind} ${String(id)}.`);
        req.communeId = commune;
      }
    }
    // Filters in the query string (`?communeId=`, `?unitId=`) of list and report routes.
    const query = req.query as Record<string, unknown> | undefined;
    if (typeof query?.communeId === 'string' && !inScope(who, query.communeId))
      throw new HttpError(404, 'commune-not-found', `There is no commune ${query.communeId}.`, 'communeId');
    if (typeof query?.unitId === 'string') {
      const commune = communeOf('unit', query.unitId);
      if (commune !== undefined && !inScope(who, commune))
        throw new HttpError(404, 'unit-not-found', `There is no unit ${query.unitId}.`, 'unitId');
    }
    const body = req.body as Record<string, unknown> | null | undefined;
    if (!MUTATING.has(req.method) || !body || typeof body !== 'object' || Array.isArray(body)) return;
    if (typeof body.communeId === 'string') {
      if (!inScope(who, body.communeId))
        throw new HttpError(
          403,
          'outside-scope',
          `Your account does not cover commune ${body.communeId}.`,
          'communeId',
        );
      req.communeId ??= body.communeId;
    } else if (who.communeIds !== null && bodyTakesCommune(req)) {
      // A scoped user never falls back on "the only commune" of the whole server.
      if (who.communeIds.length !== 1)
        throw new HttpError(
          400,
          'commune-required',
          'Name the commune (communeId): your account covers several.',
          'communeId',
        );
      body.communeId = who.communeIds[0];
      req.communeId = who.communeIds[0]!;
    }
  };
}
