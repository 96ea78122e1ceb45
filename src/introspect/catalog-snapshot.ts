import type { DefaultObjectType } from '../model/grant.js';
import type { Membership } from '../model/membership.js';
import type { Policy } from '../model/policy.js';
import type { Role } from '../model/role.js';

/** One ACL entry of a non-owner grantee, merged over grantors (grantable if any grantor gave the option). */
export interface AclEntry {
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

export interface CatalogSequence {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly owner: string;
  readonly acl: readonly AclEntry[];
  /** Owned by an identity column: inserts take its values without any privilege on it (a serial column's default needs USAGE). */
  readonly identity?: true;
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
  /** Column-level ACL entries (pg_attribute.attacl) of non-owner grantees. */
  readonly columnAcl: readonly (AclEntry & { readonly column: string })[];
  /** Column names (not dropped), to check declared column grants; read only for tables whose grants name columns, null otherwise. */
  readonly columns: readonly string[] | null;
  /** Sequences the table owns (serial columns, identity columns). */
  readonly sequences: readonly CatalogSequence[];
}

export interface CatalogSchema {
  readonly oid: number;
  readonly name: string;
  readonly owner: string;
  readonly acl: readonly AclEntry[];
}

export interface ServerFacts {
  readonly versionNum: number;
  readonly currentUser: string;
  readonly sessionUser: string;
  readonly database: string;
  /** current_setting('search_path'): names in expressions resolve, and print, relative to it. */
  readonly searchPath: string;
  /** pg_is_in_recovery(): a hot standby. */
  readonly inRecovery: boolean;
}

export interface CatalogRole extends Role {
  readonly oid: number;
  readonly superuser: boolean;
  /** Carries the comment pg-access puts on roles it creates, for this database. */
  readonly createdByPgAccess: boolean;
}

export interface CatalogRoutine {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** pg_get_function_identity_arguments(): how statements name it. */
  readonly args: string;
  readonly routine: 'FUNCTION' | 'PROCEDURE';
  readonly owner: string;
  /** With PostgreSQL's default (PUBLIC EXECUTE) filled in for a NULL ACL. */
  readonly acl: readonly AclEntry[];
}

export interface CatalogDatabase {
  readonly oid: number;
  readonly name: string;
  readonly owner: string;
  /** With PostgreSQL's default (PUBLIC CONNECT, TEMPORARY) filled in for a NULL ACL. */
  readonly acl: readonly AclEntry[];
}

/** One pg_default_acl entry, or the built-in default for a global entry that has no row. */
export interface CatalogDefaultAcl {
  /** pg_default_acl row; null for the built-in default of a global entry. */
  readonly oid: number | null;
  readonly owner: string;
  readonly schema: string | null;
  readonly objects: DefaultObjectType;
  readonly acl: readonly AclEntry[];
}

/** A pg_shdepend row naming a role pg-access may drop: what still refers to it. */
export interface RoleDependency {
  readonly role: string;
  /** o owner, a ACL entry, r policy, i initial privileges, ... */
  readonly type: string;
  readonly classId: string;
  readonly objectOid: number;
  /** pg_describe_object() when the object is in this database or shared; else the database's name. */
  readonly description: string;
  readonly inThisDatabase: boolean;
  /** For a policy (classId pg_policy) in this database: the OID of its table. */
  readonly policyTable: number | null;
}

/**
 * What the catalogs say about the objects a declaration names, but the
 * policies: everything resolving the declaration needs, available while the
 * policies (most of the read) are still being read.
 */
export interface CatalogStructure {
  readonly server: ServerFacts;
  /** Attributes of requested roles and of every role pg-access created for this database. */
  readonly roles: ReadonlyMap<string, CatalogRole>;
  /** Memberships whose member is a requested member, merged over grantors. */
  readonly memberships: readonly Membership[];
  /** Every (group, member) pair of the cluster, read when the declaration has memberships (for the cycle check). */
  readonly membershipEdges: readonly { readonly role: string; readonly member: string }[];
  /** Keyed by qualifiedKey: sequences declared with sequence(). */
  readonly sequences: ReadonlyMap<string, CatalogSequence>;
  /** Keyed by the declared signature text; missing when to_regprocedure() found nothing. */
  readonly routines: ReadonlyMap<string, CatalogRoutine>;
  readonly database: CatalogDatabase | null;
  readonly defaultAcls: readonly CatalogDefaultAcl[];
  readonly roleDependencies: readonly RoleDependency[];
  readonly schemas: ReadonlyMap<string, CatalogSchema>;
  /** Keyed by qualifiedKey. */
  readonly tables: ReadonlyMap<string, CatalogTable>;
}

/** What the catalogs say about the objects a declaration names. Read with a fixed number of queries. */
export interface CatalogSnapshot extends CatalogStructure {
  readonly policies: readonly Policy[];
  /** How many SQL round trips reading took (reported by the benchmark). */
  readonly roundTrips: number;
}
