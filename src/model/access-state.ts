import type { Grant } from './grant.js';
import type { Membership } from './membership.js';
import type { Policy } from './policy.js';
import type { QualifiedName } from './qualified-name.js';
import type { Role } from './role.js';
import type { TableRls } from './table-rls.js';

/**
 * The canonical access state. The declaration side (desired) and the catalog
 * side (actual) both produce this shape, normalized the same way, so diffing
 * compares like with like.
 */
export interface AccessState {
  /** Managed roles that exist (actual) or must exist (desired), with their attributes. */
  readonly roles: readonly Role[];
  readonly memberships: readonly Membership[];
  /** Schemas that exist (actual) or must exist (desired). */
  readonly schemas: readonly string[];
  readonly tables: readonly TableRls[];
  readonly policies: readonly Policy[];
  readonly grants: readonly Grant[];
}

/**
 * What pg-access manages. Everything outside is never touched: policies of
 * other tables, grants to roles not named in the declaration, other schemas,
 * roles that are not declared with role().
 */
export interface Scope {
  /** The database being planned (CREATE ROLE marks roles with it; database grants target it). */
  readonly database: string;
  /** Roles declared with role(): created when missing, attributes kept as declared. */
  readonly roles: readonly string[];
  /**
   * Roles pg-access created earlier that the declaration no longer lists, when
   * dropping them was allowed (--allow-drop-roles): desired absent, so dropped.
   */
  readonly droppedRoles: readonly string[];
  /** Members whose whole membership list is managed (managed and dropped roles). */
  readonly membershipMembers: readonly string[];
  /**
   * Existing roles declared with inRoles: their memberships in managed roles
   * are managed; memberships they are declared to have in other roles are
   * added when missing and never revoked.
   */
  readonly partialMembershipMembers: readonly string[];
  /** Declared tables: their RLS flags, their whole policy set, table- and column-level ACLs. */
  readonly tables: readonly QualifiedName[];
  /** Sequences owned by declared tables (serial/identity): USAGE for managed grantees. */
  readonly sequences: readonly QualifiedName[];
  /** Sequences declared with sequence(): their whole ACL for managed grantees. */
  readonly declaredSequences: readonly QualifiedName[];
  /** Declared schemas: their whole ACL for managed grantees (USAGE, CREATE). */
  readonly schemas: readonly string[];
  /**
   * Schemas of declared tables that are not declared themselves: the USAGE a
   * table grant implies is added when missing, but nothing is ever revoked
   * there (the user said nothing about those schemas' ACLs).
   */
  readonly grantOnlySchemas: readonly string[];
  /** targetKey of declared functions/procedures, the database, default-privilege entries. */
  readonly otherTargets: readonly string[];
  /**
   * targetKeys of objects where PostgreSQL gives PUBLIC privileges by default
   * (functions: EXECUTE; the database: CONNECT, TEMPORARY; global default
   * privileges for functions and types) and the declaration said `revokeFromPublic`:
   * only there is PUBLIC's entry managed. Elsewhere on those kinds a grant to
   * PUBLIC is added when missing and never revoked.
   */
  readonly publicControlled: readonly string[];
  /** Grantees whose grants on in-scope objects are managed ('public' when PUBLIC is). */
  readonly grantees: readonly string[];
  /** Roles declared with grants: 'unmanaged': named by policies, their grants left alone and not reported. */
  readonly unmanagedGrantees?: readonly string[];
  /**
   * Roles declared with grants: 'where-declared' (a provider's anon or
   * authenticated), each with the objects (objectKey) where the declaration
   * grants it something: only there are its privileges managed; elsewhere
   * they are left alone and not reported.
   */
  readonly grantedWhereDeclared?: Readonly<Record<string, readonly string[]>>;
}
