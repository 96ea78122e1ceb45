/**
 * ACL arithmetic for the expected catalogs, on the access snapshot's
 * `<grantee>:<PRIVILEGE>[*]` entries (PUBLIC spelled 'PUBLIC').
 */
import type { GrantSpec } from './access-spec.js';

export type AclMap = Map<string, Map<string, boolean>>; // grantee label → privilege → grantable

export interface AclEntry {
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

export function parseAcl(entries: readonly string[]): AclEntry[] {
  return entries.map((e) => {
    const at = e.lastIndexOf(':');
    const privilege = e.slice(at + 1);
    return { grantee: e.slice(0, at), privilege: privilege.replace('*', ''), grantable: privilege.endsWith('*') };
  });
}

export const entry = (grantee: string, privilege: string, grantable: boolean) => `${grantee}:${privilege}${grantable ? '*' : ''}`;
export const byText = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Adds entries to a map: held if any says so, grantable if any is. */
export function addTo(acl: AclMap, grantee: string, privilege: string, grantable: boolean): AclMap {
  const privileges = acl.get(grantee) ?? new Map<string, boolean>();
  privileges.set(privilege, (privileges.get(privilege) ?? false) || grantable);
  acl.set(grantee, privileges);
  return acl;
}

/** Declared grants merged per (grantee, privilege), 'ALL' being `all`, grants to `skip` (the owner) left out. */
export function merge(grants: readonly GrantSpec[], all: readonly string[], skip: string | undefined, label: (g: string) => string): AclMap {
  const acl: AclMap = new Map();
  for (const g of grants) {
    for (const to of g.to.map(label)) {
      if (to === skip) continue;
      for (const p of g.privileges === 'ALL' ? all : g.privileges) addTo(acl, to, p, g.withGrantOption);
    }
  }
  return acl;
}

export const flatten = (acl: AclMap) => [...acl].flatMap(([grantee, privileges]) => [...privileges].map(([p, grantable]) => entry(grantee, p, grantable)));

/**
 * `kept` entries (as they are: one per grantor) plus the declared ones that
 * are not among them (only PUBLIC, where a grant is only added, can be in
 * both; PUBLIC never holds a grant option), sorted.
 */
export function combine(kept: readonly AclEntry[], declared: AclMap): string[] {
  const held = new Set(kept.map((e) => `${e.grantee}:${e.privilege}`));
  const added = flatten(declared).filter((e) => !held.has(e.replace(/\*$/, '')));
  return [...kept.map((e) => entry(e.grantee, e.privilege, e.grantable)), ...added].sort(byText);
}
