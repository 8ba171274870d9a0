// Who may do what (DESIGN §7, issue #4). Every route declares one permission in its config
// (`config: { permission: 'bulletins:approve' }`) or says it is public; one hook in auth.plugin.ts
// checks it before anything else runs. The names are a contract with the web app, which shows or
// hides controls from the `permissions` of GET /api/auth/me.

export const PERMISSIONS = [
  'units:read',
  'units:manage',
  'units:command',
  'media:read',
  'media:upload',
  'bulletins:read',
  'bulletins:write',
  'bulletins:approve',
  'emergency',
  'live',
  'schedule:read',
  'schedule:manage',
  'playlog:read',
  'alerts:read',
  'alerts:manage',
  'users:manage',
  'tokens:manage',
  'audit:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * Not a permission anyone is granted: routes about one's own account (who am I, sign out, change
 * my password) declare it, and every signed-in person passes.
 */
export const SELF = 'self';
export type RoutePermission = Permission | typeof SELF;

export const ROLES = ['admin', 'editor', 'approver', 'technician', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const READ: Permission[] = PERMISSIONS.filter((p) => p.endsWith(':read'));

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(PERMISSIONS),
  // The commune radio operator (biên tập): writes and submits bulletins, uploads their audio.
  editor: new Set([...READ, 'media:upload', 'bulletins:write']),
  // The leader (lãnh đạo duyệt): approves, and alone may sound an emergency or go live.
  approver: new Set([...READ, 'bulletins:approve', 'emergency', 'live']),
  // Keeps the clusters alive: units, their secrets and commands, alerts.
  technician: new Set([...READ, 'units:manage', 'units:command', 'alerts:manage']),
  viewer: new Set(READ),
};

export function isPermission(name: string): name is Permission {
  return (PERMISSIONS as readonly string[]).includes(name);
}

export function isRole(name: string): name is Role {
  return (ROLES as readonly string[]).includes(name);
}

/**
 * Who is asking: a person signed in with a session, or a machine with an API token acting for the
 * person (account) that owns it, limited to the token's permissions and communes.
 */
export interface Principal {
  id: number;
  username: string;
  role: Role;
  /** null: every commune (a province user). */
  communeIds: string[] | null;
  permissions: ReadonlySet<Permission>;
  via: 'session' | 'token';
  tokenId?: number;
  /** Who made the token (an administrator may make one for another account). */
  tokenCreatedBy?: number | null;
  /** Signed in with a password someone else chose: nothing but changing it until then. */
  mustChangePassword?: boolean;
}

export function can(who: Principal | null | undefined, permission: RoutePermission): boolean {
  if (!who) return false;
  if (permission === SELF) return true;
  return who.permissions.has(permission);
}

/** Whether a commune is within what the principal may see and change. */
export function inScope(who: Principal | null | undefined, communeId: string | null | undefined): boolean {
  if (!who) return false;
  if (who.communeIds === null) return true;
  return communeId != null && who.communeIds.includes(communeId);
}

/**
 * What only the person may hold, never a token someone else made for their account: approving,
 * sounding an emergency, speaking live (Thông tư 39 names a person for each), and handing out
 * accounts or tokens (which would let the token's maker mint one of these in that person's name).
 */
export const PERSONAL_PERMISSIONS: ReadonlySet<Permission> = new Set([
  'bulletins:approve',
  'emergency',
  'live',
  'users:manage',
  'tokens:manage',
]);

/** The permissions a token for this role may carry: never more than the role has. */
export function effectivePermissions(role: Role, tokenPermissions?: readonly string[] | null): Set<Permission> {
  const own = ROLE_PERMISSIONS[role];
  if (!tokenPermissions) return new Set(own);
  return new Set(tokenPermissions.filter((p): p is Permission => isPermission(p) && own.has(p)));
}

/** The intersection of two commune scopes (null = all). */
export function intersectScopes(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b === null ? null : [...b];
  if (b === null) return [...a];
  return a.filter((c) => b.includes(c));
}
