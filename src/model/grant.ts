import type { Grantee } from './grantee.js';
import type { Privilege } from './privileges.js';
import { keyOf } from './qualified-name.js';

/** The object kinds `ALTER DEFAULT PRIVILEGES ... ON <kind>` covers. */
export type DefaultObjectType = 'tables' | 'sequences' | 'functions' | 'types' | 'schemas';

/**
 * What an ACL entry is attached to. Functions carry the identity argument list
 * PostgreSQL itself prints (pg_get_function_identity_arguments), never the
 * user's text, so a signature cannot carry SQL into a statement.
 * `default` is a default-privileges entry (pg_default_acl): privileges that
 * objects `owner` creates later (in `schema`, or anywhere when null) receive.
 */
export type GrantTarget =
  | { readonly kind: 'table'; readonly schema: string; readonly name: string }
  | { readonly kind: 'column'; readonly schema: string; readonly table: string; readonly column: string }
  | { readonly kind: 'sequence'; readonly schema: string; readonly name: string }
  | { readonly kind: 'schema'; readonly name: string }
  | { readonly kind: 'function'; readonly schema: string; readonly name: string; readonly args: string; readonly routine: 'FUNCTION' | 'PROCEDURE' }
  | { readonly kind: 'database'; readonly name: string }
  | { readonly kind: 'default'; readonly owner: string; readonly schema: string | null; readonly objects: DefaultObjectType };

export type GrantTargetKind = GrantTarget['kind'];

/**
 * One ACL entry: a privilege held by a grantee on an object. PostgreSQL's ACLs
 * are sets of (grantee, privilege, grantable) per grantor; pg-access compares
 * them per (object, grantee, privilege) and ignores the object owner, whose
 * privileges are implicit and never something to grant or revoke.
 * Column privileges are separate entries (pg_attribute.attacl): PostgreSQL
 * keeps a table-level SELECT and a column-level SELECT apart.
 */
export interface Grant {
  readonly target: GrantTarget;
  readonly grantee: Grantee;
  readonly privilege: Privilege;
  readonly grantable: boolean;
}

/**
 * Target objects are shared by every entry on one object and never mutated,
 * so each one's key is computed once: a plan at 10,000 tables looks keys up
 * for hundreds of thousands of entries, and building them again each time
 * was most of what planning allocated.
 */
const targetKeys = new WeakMap<GrantTarget, string>();

export function targetKey(t: GrantTarget): string {
  let key = targetKeys.get(t);
  if (key === undefined) {
    key = computeTargetKey(t);
    targetKeys.set(t, key);
  }
  return key;
}

function computeTargetKey(t: GrantTarget): string {
  switch (t.kind) {
    case 'schema':
    case 'database':
      return keyOf(t.kind, t.name);
    case 'table':
    case 'sequence':
      return relationKey(t.kind, t.schema, t.name);
    case 'column':
      return keyOf(t.kind, t.schema, t.table, t.column);
    case 'function':
      return keyOf(t.kind, t.schema, t.name, t.args);
    case 'default':
      // A NUL-free marker for "global" that cannot collide with a schema name.
      return keyOf(t.kind, t.owner, t.schema === null ? '' : `s:${t.schema}`, t.objects);
  }
}

/** targetKey of a table or sequence from its names, for sets that targetKey results are looked up in. */
export function relationKey(kind: 'table' | 'sequence', schema: string, name: string): string {
  return keyOf(kind, schema, name);
}

/** The object a grant is on: a column's table, any other target itself (its targetKey). */
export function objectKey(t: GrantTarget): string {
  return t.kind === 'column' ? relationKey('table', t.schema, t.table) : targetKey(t);
}

/** keyOf(targetKey(target), grantee, privilege), without the intermediate array. */
export function grantKey(g: Pick<Grant, 'target' | 'grantee' | 'privilege'>): string {
  return `${targetKey(g.target)}\0${g.grantee}\0${g.privilege}`;
}

export function describeTarget(t: GrantTarget): string {
  switch (t.kind) {
    case 'schema':
    case 'database':
      return `${t.kind} ${t.name}`;
    case 'table':
    case 'sequence':
      return `${t.kind} ${t.schema}.${t.name}`;
    case 'column':
      return `column ${t.schema}.${t.table}.${t.column}`;
    case 'function':
      return `${t.routine.toLowerCase()} ${t.schema}.${t.name}(${t.args})`;
    case 'default':
      return `default privileges for ${t.objects} created by ${t.owner}${t.schema === null ? '' : ` in schema ${t.schema}`}`;
  }
}
