import type { Policy, PolicyCommand } from '../model/policy.js';
import { compareText, keyOf, qualifiedKey, type QualifiedName } from '../model/qualified-name.js';
import { aclJson, mergeAcl, mergeColumnAcl } from './acl-json.js';
import type { CatalogQuery } from './catalog-query.js';
import type { CatalogSchema, CatalogSequence, CatalogTable } from './catalog-snapshot.js';

/** pg_policy.polcmd letters. 'r' is SELECT (read), not "R". */
const POLICY_COMMAND_BY_LETTER: Record<string, PolicyCommand> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

const SCHEMAS_SQL = `SELECT n.oid::int8::text AS oid, n.nspname::text AS name, pg_get_userbyid(n.nspowner)::text AS owner, ${aclJson('n.nspacl', 'n.nspowner')} AS acl
FROM pg_namespace n WHERE n.nspname = ANY($1::text[])`;

const TABLES_SQL = `SELECT c.oid::int8::text AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
  pg_get_userbyid(c.relowner)::text AS owner, c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
  ${aclJson('c.relacl', 'c.relowner')} AS acl,
  ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
  COALESCE((SELECT json_agg(json_build_array(a.attname::text,
             CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee)::text END, x.privilege_type, x.is_grantable))
            FROM pg_attribute a, aclexplode(a.attacl) x
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL AND x.grantee <> c.relowner), '[]'::json) AS column_acl
FROM unnest($1::text[], $2::text[]) AS w(schema, name)
JOIN pg_namespace n ON n.nspname = w.schema
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`;

// Sequences a table owns: serial columns depend on them automatically ('a'),
// identity columns internally ('i').
const OWNED_SEQUENCES_SQL = `SELECT d.refobjid::int8::text AS table_oid, s.oid::int8::text AS oid, sn.nspname::text AS schema, s.relname::text AS name,
  pg_get_userbyid(s.relowner)::text AS owner, ${aclJson('s.relacl', 's.relowner')} AS acl
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[])`;

const DECLARED_SEQUENCES_SQL = `SELECT s.oid::int8::text AS oid, n.nspname::text AS schema, s.relname::text AS name,
  pg_get_userbyid(s.relowner)::text AS owner, ${aclJson('s.relacl', 's.relowner')} AS acl
FROM unnest($1::text[], $2::text[]) AS w(schema, name)
JOIN pg_namespace n ON n.nspname = w.schema
JOIN pg_class s ON s.relnamespace = n.oid AND s.relname = w.name AND s.relkind = 'S'`;

// polroles = {0} is PUBLIC.
const POLICIES_SQL = `SELECT p.oid::int8::text AS oid, p.polrelid::int8::text AS table_oid, p.polname::text AS name, p.polcmd::text AS cmd, p.polpermissive AS permissive,
  ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r) AS roles,
  pg_get_expr(p.polqual, p.polrelid) AS using_expr, pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_policy p WHERE p.polrelid = ANY($1::oid[])`;

export async function readSchemas(query: CatalogQuery, names: readonly string[]): Promise<Map<string, CatalogSchema>> {
  const rows = await query(SCHEMAS_SQL, [[...names]]);
  return new Map(rows.map((r) => [r.name as string, { oid: Number(r.oid), name: r.name, owner: r.owner, acl: mergeAcl(r.acl) }]));
}

/** The named tables (and views, materialized views, foreign tables) with their column ACLs and the sequences they own: two queries. */
export async function readTables(query: CatalogQuery, wanted: readonly QualifiedName[]): Promise<{ tables: Map<string, CatalogTable>; byOid: Map<string, CatalogTable> }> {
  const tableRows = await query(TABLES_SQL, [wanted.map((t) => t.schema), wanted.map((t) => t.name)]);
  const ownedSequenceRows = await query(OWNED_SEQUENCES_SQL, [tableRows.map((r) => r.oid as string)]);
  const sequencesByTable = new Map<string, CatalogSequence[]>();
  for (const r of ownedSequenceRows) {
    const list = sequencesByTable.get(r.table_oid) ?? [];
    list.push(toSequence(r));
    sequencesByTable.set(r.table_oid, list);
  }
  const tables = new Map<string, CatalogTable>();
  const byOid = new Map<string, CatalogTable>();
  for (const r of tableRows) {
    const table: CatalogTable = {
      oid: Number(r.oid),
      schema: r.schema,
      name: r.name,
      kind: r.kind,
      owner: r.owner,
      rlsEnabled: r.rls_enabled,
      rlsForced: r.rls_forced,
      acl: mergeAcl(r.acl),
      columns: r.columns,
      columnAcl: mergeColumnAcl(r.column_acl),
      sequences: (sequencesByTable.get(r.oid) ?? []).sort((a, b) => compareText(a.name, b.name)),
    };
    tables.set(qualifiedKey(table), table);
    byOid.set(r.oid, table);
  }
  return { tables, byOid };
}

export async function readPolicies(query: CatalogQuery, tableByOid: ReadonlyMap<string, CatalogTable>): Promise<{ policies: Policy[]; policyOids: Set<number> }> {
  const rows = await query(POLICIES_SQL, [[...tableByOid.keys()]]);
  const policies = rows.map((r): Policy => {
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
  return { policies, policyOids: new Set(rows.map((r) => Number(r.oid))) };
}

/** Sequences declared with sequence(), keyed by qualifiedKey. */
export async function readDeclaredSequences(query: CatalogQuery, wanted: readonly QualifiedName[]): Promise<Map<string, CatalogSequence>> {
  const rows = await query(DECLARED_SEQUENCES_SQL, [wanted.map((s) => s.schema), wanted.map((s) => s.name)]);
  return new Map(rows.map((r) => [keyOf(r.schema, r.name), toSequence(r)]));
}

function toSequence(r: Record<string, any>): CatalogSequence {
  return { oid: Number(r.oid), schema: r.schema, name: r.name, owner: r.owner, acl: mergeAcl(r.acl) };
}
