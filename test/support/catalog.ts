/**
 * What the catalogs say, independent of pg-access's own introspection code,
 * so tests never check pg-access against itself: policies from the
 * pg_policies view, RLS flags, and every ACL (schemas, tables, sequences) of
 * the user schemas, exploded and sorted (test databases use the C collation).
 *
 * A NULL ACL is read as the defaults it stands for (acldefault): PostgreSQL
 * never turns an ACL back into NULL, so after GRANT + REVOKE the owner's
 * implicit privileges are written out; both mean exactly the same access.
 */
import type pg from 'pg';

export interface CatalogPolicy {
  schema: string;
  table: string;
  name: string;
  permissive: string;
  cmd: string;
  roles: string[];
  qual: string | null;
  with_check: string | null;
}

export interface AccessSnapshot {
  schemas: { name: string; acl: string[] }[];
  relations: { schema: string; name: string; kind: string; rls: boolean; force: boolean; acl: string[]; columnAcl: string[] }[];
  policies: CatalogPolicy[];
  /** Functions and procedures of the user schemas: `name(args)` and their ACL (NULL read as PUBLIC EXECUTE + owner). */
  routines: { signature: string; acl: string[] }[];
  /** The current database's ACL (NULL read as PUBLIC CONNECT, TEMPORARY + owner). */
  database: string[];
  /** Every pg_default_acl row of this database: `role|schema or -|objtype` and its ACL. */
  defaultAcls: { key: string; acl: string[] }[];
}

const SNAPSHOT_SQL = `
WITH user_schemas AS (
  SELECT oid, nspname, nspacl, nspowner FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
)
SELECT json_build_object(
  'schemas', COALESCE((SELECT json_agg(json_build_object('name', s.nspname, 'acl', ARRAY(
      SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
      FROM aclexplode(COALESCE(s.nspacl, acldefault('n', s.nspowner))) a ORDER BY 1)) ORDER BY s.nspname COLLATE "C") FROM user_schemas s), '[]'),
  'relations', COALESCE((SELECT json_agg(json_build_object('schema', s.nspname, 'name', c.relname, 'kind', c.relkind,
      'rls', c.relrowsecurity, 'force', c.relforcerowsecurity, 'acl', ARRAY(
      SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
      FROM aclexplode(COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a ORDER BY 1),
      'columnAcl', ARRAY(
      SELECT t.attname || ' ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
      FROM pg_attribute t, aclexplode(t.attacl) a WHERE t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped ORDER BY 1))
      ORDER BY s.nspname COLLATE "C", c.relname COLLATE "C")
    FROM pg_class c JOIN user_schemas s ON s.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')), '[]'),
  'policies', COALESCE((SELECT json_agg(json_build_object('schema', p.schemaname, 'table', p.tablename, 'name', p.policyname,
      'permissive', p.permissive, 'cmd', p.cmd, 'roles', ARRAY(SELECT r FROM unnest(p.roles) r ORDER BY 1), 'qual', p.qual, 'with_check', p.with_check)
      ORDER BY p.schemaname COLLATE "C", p.tablename COLLATE "C", p.policyname COLLATE "C") FROM pg_policies p), '[]'),
  'routines', COALESCE((SELECT json_agg(json_build_object('signature', s.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', 'acl', ARRAY(
      SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
      FROM aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a ORDER BY 1))
      ORDER BY s.nspname COLLATE "C", p.proname COLLATE "C", pg_get_function_identity_arguments(p.oid) COLLATE "C")
    FROM pg_proc p JOIN user_schemas s ON s.oid = p.pronamespace), '[]'),
  'database', (SELECT ARRAY(
      SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
      FROM aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a ORDER BY 1) FROM pg_database d WHERE d.datname = current_database()),
  'defaultAcls', COALESCE((SELECT json_agg(json_build_object('key', pg_get_userbyid(d.defaclrole) || '|' || COALESCE(n.nspname, '-') || '|' || d.defaclobjtype::text, 'acl', ARRAY(
      SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END
      FROM aclexplode(d.defaclacl) a ORDER BY 1))
      ORDER BY pg_get_userbyid(d.defaclrole) COLLATE "C", n.nspname COLLATE "C" NULLS FIRST, d.defaclobjtype) FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace), '[]')
) AS snapshot`;

export interface RoleFacts {
  name: string;
  login: boolean;
  inherit: boolean;
  bypassRls: boolean;
  createDb: boolean;
  createRole: boolean;
  connectionLimit: number;
  validUntil: string | null;
  comment: string | null;
  /** `group` or, on PostgreSQL 16+, `group admin=.. inherit=.. set=..` (on 14-15: `group admin=..`). */
  memberOf: string[];
}

/** Roles are shared by every database of the server: read only the named ones (tests run in parallel). */
export async function rolesSnapshot(db: pg.Pool | pg.PoolClient, names: readonly string[]): Promise<RoleFacts[]> {
  const v16 = Number((await db.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v) >= 160000;
  const { rows } = await db.query(
    `SELECT r.rolname AS name, r.rolcanlogin AS login, r.rolinherit AS inherit, r.rolbypassrls AS "bypassRls", r.rolcreatedb AS "createDb",
       r.rolcreaterole AS "createRole", r.rolconnlimit AS "connectionLimit", r.rolvaliduntil::text AS "validUntil",
       shobj_description(r.oid, 'pg_authid') AS comment,
       ARRAY(SELECT g.rolname || ' admin=' || m.admin_option ${v16 ? `|| ' inherit=' || m.inherit_option || ' set=' || m.set_option` : ''}
             FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS "memberOf"
     FROM pg_roles r WHERE r.rolname = ANY($1::text[]) ORDER BY r.rolname COLLATE "C"`,
    [names],
  );
  return rows as RoleFacts[];
}

export async function accessSnapshot(db: pg.Pool | pg.PoolClient): Promise<AccessSnapshot> {
  const { rows } = await db.query(SNAPSHOT_SQL);
  return rows[0].snapshot as AccessSnapshot;
}

export function relation(snapshot: AccessSnapshot, schema: string, name: string) {
  const found = snapshot.relations.find((r) => r.schema === schema && r.name === name);
  if (!found) throw new Error(`relation ${schema}.${name} not in snapshot`);
  return found;
}

export function policiesOf(snapshot: AccessSnapshot, schema: string, table: string): CatalogPolicy[] {
  return snapshot.policies.filter((p) => p.schema === schema && p.table === table);
}

/** Runs a plan's statements the way a migration file would, one by one, in a transaction. */
export async function runStatements(pool: pg.Pool, statements: readonly string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const s of statements) await client.query(s);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** The descriptions of a changed policy's operations: its old version dropped, its new one created (ops/policy.op's changePolicy). */
export function changedPolicy(name: string, on: string): string[] {
  return [`drop the old version of policy "${name}" on ${on}`, `create the new version of policy "${name}" on ${on}`];
}
