import type { Queryable } from '../driver/queryable.js';
import type { PolicyCommand } from '../model/policy.js';
import { compareText, keyOf, qualifiedKey, type QualifiedName } from '../model/qualified-name.js';
import type { AclEntry, CatalogSchema, CatalogSnapshot, CatalogTable } from './catalog-snapshot.js';

/** pg_policy.polcmd letters. 'r' is SELECT (read), not "R". */
const POLICY_COMMAND_BY_LETTER: Record<string, PolicyCommand> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

/**
 * aclexplode() of an ACL without the owner's entries, grantee 0 spelled
 * 'public'. A NULL ACL means "owner only" for tables, sequences and schemas,
 * so it yields no entries. The owner's privileges are implicit and are never
 * something pg-access grants or revokes.
 */
const aclJson = (acl: string, owner: string) => `COALESCE((
  SELECT json_agg(json_build_array(
           CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END,
           a.privilege_type, a.is_grantable))
  FROM aclexplode(${acl}) a WHERE a.grantee <> ${owner}), '[]'::json)`;

const SERVER_SQL = `SELECT current_setting('server_version_num')::int AS version_num, current_user::text AS current_user, session_user::text AS session_user`;
const ROLES_SQL = `SELECT rolname::text AS name FROM pg_roles WHERE rolname = ANY($1::text[])`;
const SCHEMAS_SQL = `SELECT n.nspname::text AS name, pg_get_userbyid(n.nspowner)::text AS owner, ${aclJson('n.nspacl', 'n.nspowner')} AS acl
FROM pg_namespace n WHERE n.nspname = ANY($1::text[])`;
const TABLES_SQL = `SELECT c.oid::int8::text AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
  pg_get_userbyid(c.relowner)::text AS owner, c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
  ${aclJson('c.relacl', 'c.relowner')} AS acl
FROM unnest($1::text[], $2::text[]) AS w(schema, name)
JOIN pg_namespace n ON n.nspname = w.schema
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`;
// Sequences a table owns: serial columns depend on them automatically ('a'),
// identity columns internally ('i').
const SEQUENCES_SQL = `SELECT d.refobjid::int8::text AS table_oid, sn.nspname::text AS schema, s.relname::text AS name,
  pg_get_userbyid(s.relowner)::text AS owner, ${aclJson('s.relacl', 's.relowner')} AS acl
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[])`;
// polroles = {0} is PUBLIC.
const POLICIES_SQL = `SELECT p.polrelid::int8::text AS table_oid, p.polname::text AS name, p.polcmd::text AS cmd, p.polpermissive AS permissive,
  ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r) AS roles,
  pg_get_expr(p.polqual, p.polrelid) AS using_expr, pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_policy p WHERE p.polrelid = ANY($1::oid[])`;

export interface CatalogRequest {
  readonly tables: readonly QualifiedName[];
  readonly schemas: readonly string[];
  readonly roles: readonly string[];
}

/** Reads everything a plan needs in six queries, whatever the number of tables. */
export async function readCatalog(db: Queryable, request: CatalogRequest): Promise<CatalogSnapshot> {
  // Sequential on purpose: a single connection runs one query at a time.
  const serverRows = await db.query(SERVER_SQL);
  const roleRows = await db.query(ROLES_SQL, [[...request.roles]]);
  const schemaRows = await db.query(SCHEMAS_SQL, [[...request.schemas]]);
  const tableRows = await db.query(TABLES_SQL, [request.tables.map((t) => t.schema), request.tables.map((t) => t.name)]);
  const oids = tableRows.rows.map((r) => r.oid as string);
  const sequenceRows = await db.query(SEQUENCES_SQL, [oids]);
  const policyRows = await db.query(POLICIES_SQL, [oids]);

  const server = serverRows.rows[0]!;
  const sequencesByTable = new Map<string, CatalogTable['sequences'][number][]>();
  for (const r of sequenceRows.rows) {
    const list = sequencesByTable.get(r.table_oid) ?? [];
    list.push({ schema: r.schema, name: r.name, owner: r.owner, acl: mergeAcl(r.acl) });
    sequencesByTable.set(r.table_oid, list);
  }
  const tables = new Map<string, CatalogTable>();
  const tableByOid = new Map<string, CatalogTable>();
  for (const r of tableRows.rows) {
    const table: CatalogTable = {
      oid: Number(r.oid),
      schema: r.schema,
      name: r.name,
      kind: r.kind,
      owner: r.owner,
      rlsEnabled: r.rls_enabled,
      rlsForced: r.rls_forced,
      acl: mergeAcl(r.acl),
      sequences: (sequencesByTable.get(r.oid) ?? []).sort((a, b) => compareText(a.name, b.name)),
    };
    tables.set(qualifiedKey(table), table);
    tableByOid.set(r.oid, table);
  }
  const schemas = new Map<string, CatalogSchema>(schemaRows.rows.map((r) => [r.name, { name: r.name, owner: r.owner, acl: mergeAcl(r.acl) }]));
  const policies = policyRows.rows.map((r) => {
    const table = tableByOid.get(r.table_oid)!;
    return {
      schema: table.schema,
      table: table.name,
      name: r.name as string,
      command: POLICY_COMMAND_BY_LETTER[r.cmd]!,
      permissive: r.permissive as boolean,
      roles: [...new Set(r.roles as string[])].sort(compareText),
      using: (r.using_expr as string | null) ?? null,
      withCheck: (r.check_expr as string | null) ?? null,
    };
  });
  return {
    server: { versionNum: server.version_num, currentUser: server.current_user, sessionUser: server.session_user },
    existingRoles: new Set(roleRows.rows.map((r) => r.name as string)),
    schemas,
    tables,
    policies,
    roundTrips: 6,
  };
}

/** The same (grantee, privilege) can appear once per grantor; it is held, and grantable if any grantor gave the option. */
function mergeAcl(raw: unknown): AclEntry[] {
  const rows = (typeof raw === 'string' ? JSON.parse(raw) : raw) as [string, string, boolean][];
  const merged = new Map<string, AclEntry>();
  for (const [grantee, privilege, grantable] of rows) {
    const key = keyOf(grantee, privilege);
    const prior = merged.get(key);
    merged.set(key, { grantee, privilege, grantable: grantable || (prior?.grantable ?? false) });
  }
  return [...merged.values()];
}
