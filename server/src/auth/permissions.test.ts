// The role table of the contract shared with the web app (orientation, issue #4), stated once more
// by hand so that a change to permissions.ts is a change someone meant.
import { describe, expect, it } from 'vitest';
import {
  can,
  effectivePermissions,
  inScope,
  intersectScopes,
  ROLE_PERMISSIONS,
  type Principal,
} from './permissions.js';

const READ = [
  'alerts:read',
  'audit:read',
  'bulletins:read',
  'media:read',
  'playlog:read',
  'schedule:read',
  'units:read',
];
const sorted = (s: ReadonlySet<string>) => [...s].sort();

describe('roles', () => {
  it('give each role exactly its permissions', () => {
    expect(ROLE_PERMISSIONS.admin.size).toBe(18);
    expect(sorted(ROLE_PERMISSIONS.editor)).toEqual([...READ, 'bulletins:write', 'media:upload'].sort());
    expect(sorted(ROLE_PERMISSIONS.approver)).toEqual([...READ, 'bulletins:approve', 'emergency', 'live'].sort());
    expect(sorted(ROLE_PERMISSIONS.technician)).toEqual(
      [...READ, 'alerts:manage', 'units:command', 'units:manage'].sort(),
    );
    expect(sorted(ROLE_PERMISSIONS.viewer)).toEqual(READ);
  });

  it('never let a token carry more than its account’s role, nor unknown names', () => {
    expect(sorted(effectivePermissions('editor', ['bulletins:write', 'bulletins:approve', 'nonsense']))).toEqual([
      'bulletins:write',
    ]);
    expect(effectivePermissions('viewer', null)).toEqual(ROLE_PERMISSIONS.viewer);
  });

  it('scope communes: null is all, and intersections never widen', () => {
    const who = (communeIds: string[] | null): Principal => ({
      id: 1,
      username: 'u',
      role: 'viewer',
      communeIds,
      permissions: ROLE_PERMISSIONS.viewer,
      via: 'session',
    });
    expect(inScope(who(null), 'a')).toBe(true);
    expect(inScope(who(['a']), 'a')).toBe(true);
    expect(inScope(who(['a']), 'b')).toBe(false);
    expect(inScope(who(['a']), null)).toBe(false);
    expect(inScope(null, 'a')).toBe(false);
    expect(intersectScopes(null, null)).toBeNull();
    expect(intersectScopes(['a', 'b'], null)).toEqual(['a', 'b']);
    expect(intersectScopes(['a', 'b'], ['b', 'c'])).toEqual(['b']);
    expect(can(who(null), 'self')).toBe(true);
    expect(can(who(null), 'units:manage')).toBe(false);
    expect(can(null, 'self')).toBe(false);
  });
});
