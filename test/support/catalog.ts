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
  relations: { schema: string; name: string; kind: string; rls: boolean; force: boolean; acl: string[] }[];
  policies: CatalogPolicy[];
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
      FROM aclexplode(COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a ORDER BY 1)) ORDER BY s.nspname COLLATE "C", c.relname COLLATE "C")
    FROM pg_class c JOIN user_schemas s ON s.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')), '[]'),
  'policies', COALESCE((SELECT json_agg(json_build_object('schema', p.schemaname, 'table', p.tablename, 'name', p.policyname,
      'permissive', p.permissive, 'cmd', p.cmd, 'roles', ARRAY(SELECT r FROM unnest(p.roles) r ORDER BY 1), 'qual', p.qual, 'with_check', p.with_check)
      ORDER BY p.schemaname COLLATE "C", p.tablename COLLATE "C", p.policyname COLLATE "C") FROM pg_policies p), '[]')
) AS snapshot`;

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
