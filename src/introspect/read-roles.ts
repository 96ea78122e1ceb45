import type { Membership } from '../model/membership.js';
import { keyOf } from '../model/qualified-name.js';
import { createdRoleComment } from '../render/sql/render-role.js';
import type { CatalogQuery } from './catalog-query.js';
import type { CatalogRole, RoleDependency } from './catalog-snapshot.js';

// Requested roles, and every role whose comment marks it as created by
// pg-access for this database (candidates for --allow-drop-roles).
const ROLES_SQL = `SELECT r.oid::int8::text AS oid, r.rolname::text AS name, r.rolcanlogin AS login, r.rolinherit AS inherit, r.rolbypassrls AS bypass_rls,
  r.rolcreatedb AS create_db, r.rolcreaterole AS create_role, r.rolconnlimit AS connection_limit, r.rolsuper AS superuser,
  CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL
       ELSE to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END AS valid_until,
  COALESCE(d.description = $2, false) AS created_by_pg_access
FROM pg_roles r
LEFT JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
WHERE r.rolname = ANY($1::text[]) OR d.description = $2`;

// PostgreSQL 16 added per-membership INHERIT and SET options.
const MEMBERSHIPS_SQL = (v16: boolean) => `SELECT pg_get_userbyid(m.roleid)::text AS role, pg_get_userbyid(m.member)::text AS member, m.admin_option AS admin,
  ${v16 ? 'm.inherit_option' : 'NULL::bool'} AS inherit, ${v16 ? 'm.set_option' : 'NULL::bool'} AS set
FROM pg_auth_members m
WHERE m.member IN (SELECT oid FROM pg_roles WHERE rolname = ANY($1::text[])) OR m.roleid IN (SELECT oid FROM pg_roles WHERE rolname = ANY($2::text[]))`;

// Every membership of the cluster, as (group, member) pairs: a new membership
// must not close a loop through ones nobody declared. pg_auth_members is small.
const MEMBERSHIP_EDGES_SQL = `SELECT DISTINCT pg_get_userbyid(roleid)::text AS role, pg_get_userbyid(member)::text AS member FROM pg_auth_members`;

// What still refers to a role pg-access is about to drop. Objects of other
// databases cannot be described from here; their database is named instead.
const ROLE_DEPENDENCIES_SQL = `SELECT pg_get_userbyid(d.refobjid)::text AS role, d.deptype::text AS type, d.classid::regclass::text AS class_id,
  d.objid::int8::text AS objid, d.dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())) AS here,
  CASE WHEN d.dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
       THEN pg_describe_object(d.classid, d.objid, d.objsubid)
       ELSE 'objects in database ' || quote_ident((SELECT datname FROM pg_database WHERE oid = d.dbid)) END AS description,
  CASE WHEN d.classid = 'pg_policy'::regclass AND d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       THEN (SELECT p.polrelid::int8::text FROM pg_policy p WHERE p.oid = d.objid) END AS policy_table
FROM pg_shdepend d
WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid IN (SELECT oid FROM pg_roles WHERE rolname = ANY($1::text[]))`;

/** The named roles, and every role pg-access created for this database. */
export async function readRoles(query: CatalogQuery, names: readonly string[], database: string): Promise<Map<string, CatalogRole>> {
  const rows = await query(ROLES_SQL, [[...names], createdRoleComment(database)]);
  return new Map(rows.map((r) => [r.name as string, toRole(r)]));
}

/** Memberships whose member is in `members` or whose group is in `groups`, merged over grantors. */
export async function readMemberships(query: CatalogQuery, versionNum: number, members: readonly string[], groups: readonly string[]): Promise<Membership[]> {
  return mergeMemberships(await query(MEMBERSHIPS_SQL(versionNum >= 160000), [[...members], [...groups]]));
}

export async function readMembershipEdges(query: CatalogQuery): Promise<{ role: string; member: string }[]> {
  return (await query(MEMBERSHIP_EDGES_SQL)).map((r) => ({ role: r.role, member: r.member }));
}

export async function readRoleDependencies(query: CatalogQuery, roles: readonly string[]): Promise<RoleDependency[]> {
  return (await query(ROLE_DEPENDENCIES_SQL, [[...roles]])).map((r) => ({
    role: r.role,
    type: r.type,
    classId: r.class_id,
    objectOid: Number(r.objid),
    description: r.description,
    inThisDatabase: r.here,
    policyTable: r.policy_table === null ? null : Number(r.policy_table),
  }));
}

function toRole(r: Record<string, any>): CatalogRole {
  return {
    oid: Number(r.oid),
    name: r.name,
    login: r.login,
    inherit: r.inherit,
    bypassRls: r.bypass_rls,
    createDb: r.create_db,
    createRole: r.create_role,
    connectionLimit: r.connection_limit,
    validUntil: r.valid_until,
    superuser: r.superuser,
    createdByPgAccess: r.created_by_pg_access,
  };
}

/** PostgreSQL 16+ keeps one row per grantor; the membership holds each option if any grantor gave it. */
function mergeMemberships(rows: readonly Record<string, any>[]): Membership[] {
  const merged = new Map<string, Membership>();
  for (const r of rows) {
    const key = keyOf(r.role, r.member);
    const prior = merged.get(key);
    merged.set(key, {
      role: r.role,
      member: r.member,
      admin: r.admin || (prior?.admin ?? false),
      inherit: r.inherit === null ? null : r.inherit || (prior?.inherit ?? false),
      set: r.set === null ? null : r.set || (prior?.set ?? false),
    });
  }
  return [...merged.values()];
}
