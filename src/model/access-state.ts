import type { Grant } from './grant.js';
import type { Policy } from './policy.js';
import type { QualifiedName } from './qualified-name.js';
import type { TableRls } from './table-rls.js';

/**
 * The canonical access state. The declaration side (desired) and the catalog
 * side (actual) both produce this shape, normalized the same way, so diffing
 * compares like with like.
 */
export interface AccessState {
  /** Schemas that exist (actual) or must exist (desired). */
  readonly schemas: readonly string[];
  readonly tables: readonly TableRls[];
  readonly policies: readonly Policy[];
  readonly grants: readonly Grant[];
}

/**
 * What pg-access manages. Everything outside is never touched: policies of
 * other tables, grants to roles not named in the declaration, other schemas.
 */
export interface Scope {
  /** Declared tables: their RLS flags and their whole policy set. */
  readonly tables: readonly QualifiedName[];
  /** Sequences owned by declared tables (serial/identity): USAGE for managed grantees. */
  readonly sequences: readonly QualifiedName[];
  /** Declared schemas: their whole ACL for managed grantees (USAGE, CREATE). */
  readonly schemas: readonly string[];
  /**
   * Schemas of declared tables that are not declared themselves: the USAGE a
   * table grant implies is added when missing, but nothing is ever revoked
   * there (the user said nothing about those schemas' ACLs).
   */
  readonly grantOnlySchemas: readonly string[];
  /** Grantees whose grants on in-scope objects are managed ('public' when PUBLIC is). */
  readonly grantees: readonly string[];
}
