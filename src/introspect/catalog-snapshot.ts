import type { Policy } from '../model/policy.js';

/** One ACL entry of a non-owner grantee, merged over grantors (grantable if any grantor gave the option). */
export interface AclEntry {
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

export interface CatalogSequence {
  readonly schema: string;
  readonly name: string;
  readonly owner: string;
  readonly acl: readonly AclEntry[];
}

export interface CatalogTable {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** pg_class.relkind: r table, p partitioned, v view, m materialized view, f foreign table. */
  readonly kind: string;
  readonly owner: string;
  readonly rlsEnabled: boolean;
  readonly rlsForced: boolean;
  readonly acl: readonly AclEntry[];
  /** Sequences the table owns (serial columns, identity columns). */
  readonly sequences: readonly CatalogSequence[];
}

export interface CatalogSchema {
  readonly name: string;
  readonly owner: string;
  readonly acl: readonly AclEntry[];
}

export interface ServerFacts {
  readonly versionNum: number;
  readonly currentUser: string;
  readonly sessionUser: string;
}

/** What the catalogs say about the objects a declaration names. Read with a fixed number of queries. */
export interface CatalogSnapshot {
  readonly server: ServerFacts;
  readonly existingRoles: ReadonlySet<string>;
  readonly schemas: ReadonlyMap<string, CatalogSchema>;
  /** Keyed by qualifiedKey. */
  readonly tables: ReadonlyMap<string, CatalogTable>;
  readonly policies: readonly Policy[];
  /** How many SQL round trips reading took (reported by the benchmark). */
  readonly roundTrips: number;
}
