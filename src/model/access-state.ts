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
  /** Schemas of declared tables plus declared schemas: USAGE/CREATE for managed grantees. */
  readonly schemas: readonly string[];
  /** Grantees whose grants on in-scope objects are managed ('public' when PUBLIC is). */
  readonly grantees: readonly string[];
}
