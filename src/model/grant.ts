import type { Grantee } from './grantee.js';
import type { Privilege } from './privileges.js';
import { keyOf } from './qualified-name.js';

export type GrantTarget =
  | { readonly kind: 'table'; readonly schema: string; readonly name: string }
  | { readonly kind: 'sequence'; readonly schema: string; readonly name: string }
  | { readonly kind: 'schema'; readonly name: string };

/**
 * One ACL entry: a privilege held by a grantee on an object. PostgreSQL's ACLs
 * are sets of (grantee, privilege, grantable) per grantor; pg-access compares
 * them per (object, grantee, privilege) and ignores the object owner, whose
 * privileges are implicit and never something to grant or revoke.
 */
export interface Grant {
  readonly target: GrantTarget;
  readonly grantee: Grantee;
  readonly privilege: Privilege;
  readonly grantable: boolean;
}

export function targetKey(t: GrantTarget): string {
  return t.kind === 'schema' ? keyOf(t.kind, t.name) : keyOf(t.kind, t.schema, t.name);
}

export function grantKey(g: Pick<Grant, 'target' | 'grantee' | 'privilege'>): string {
  return keyOf(targetKey(g.target), g.grantee, g.privilege);
}

export function describeTarget(t: GrantTarget): string {
  return t.kind === 'schema' ? `schema ${t.name}` : `${t.kind} ${t.schema}.${t.name}`;
}
