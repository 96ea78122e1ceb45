import type { Policy, PolicyCommand } from '../model/policy.js';
import { compareText, keyOf, qualifiedKey, type QualifiedName } from '../model/qualified-name.js';
import { aclItems, mergeColumnAcl, parseJsonColumn, type Intern } from './acl-json.js';
import type { CatalogQuery } from './catalog-query.js';
import type { CatalogSchema, CatalogSequence, CatalogTable } from './catalog-snapshot.js';

/** pg_policy.polcmd letters. 'r' is SELECT (read), not "R". */
const POLICY_COMMAND_BY_LETTER: Record<string, PolicyCommand> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

const SCHEMAS_SQL = `SELECT n.oid::int8::text AS oid, n.nspname::text AS name, pg_get_userbyid(n.nspowner)::text AS owner, ${aclItems('n.nspacl')} AS acl
FROM pg_namespace n WHERE n.nspname = ANY($1::text[])`;

// The wanted list travels as one JSON parameter, typed text so that no client
// re-encodes it (JSON.stringify is far cheaper
// than node-postgres's text[] encoding at 10,000 names); column names are read
// only for the tables whose grants name columns.
const TABLES_SQL = `SELECT c.oid::int8::text AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
  pg_get_userbyid(c.relowner)::text AS owner, c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
  ${aclItems('c.relacl')} AS acl,
  CASE WHEN w.columns THEN array_to_json(ARRAY(SELECT a.attname::text FROM pg_attribute a
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum))::text END AS columns,
  (SELECT json_agg(json_build_array(a.attname::text, a.attacl::text[]))::text
    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL) AS column_acl
FROM json_to_recordset($1::text::json) AS w(schema text, name text, columns boolean)
JOIN pg_namespace n ON n.nspname = w.schema
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`;

// Sequences a table owns: serial columns depend on them automatically ('a'),
// identity columns internally ('i').
const OWNED_SEQUENCES_SQL = `SELECT d.refobjid::int8::text AS table_oid, s.oid::int8::text AS oid, sn.nspname::text AS schema, s.relname::text AS name,
  pg_get_userbyid(s.relowner)::text AS owner, ${aclItems('s.relacl')} AS acl, d.deptype = 'i' AS identity
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[])`;

const DECLARED_SEQUENCES_SQL = `SELECT s.oid::int8::text AS oid, n.nspname::text AS schema, s.relname::text AS name,
  pg_get_userbyid(s.relowner)::text AS owner, ${aclItems('s.relacl')} AS acl
FROM unnest($1::text[], $2::text[]) AS w(schema, name)
JOIN pg_namespace n ON n.nspname = w.schema
JOIN pg_class s ON s.relnamespace = n.oid AND s.relname = w.name AND s.relkind = 'S'`;

// The comment (it holds pg-access's normalization record) comes from a join:
// obj_description() per row took 300 ms at 40,000 policies, the join 70 ms.
// Roles come as their OIDs (polroles = {0} is PUBLIC), named from the roles
// already read: naming 40,000 policies' roles on the server took 190 ms.
// The tables are named as TABLES_SQL names them, so that a second
// connection can read its share before the session has read the tables.
//
// One row, a JSON array of one array per policy: the server computes every
// policy before it sends anything, so it does its part (pg_get_expr, most of
// a plan's server time) while the client resolves the declaration, where
// rows streamed as produced would stall once the socket is full; and one
// JSON.parse costs the client a third of decoding 40,000 rows.
const POLICIES_SQL = `SELECT json_agg(json_build_array(p.oid::int8::text, p.polrelid::int8::text, p.polname, p.polcmd, p.polpermissive,
  p.polroles::text, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), d.description))::text AS policies
FROM json_to_recordset($1::text::json) AS w(schema text, name text)
JOIN pg_namespace n ON n.nspname = w.schema
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
JOIN pg_policy p ON p.polrelid = c.oid
LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_policy'::regclass AND d.objsubid = 0`;

const ROLE_NAMES_SQL = `SELECT r.oid::int8::text AS oid, r.rolname::text AS name FROM pg_roles r WHERE r.oid = ANY($1::oid[])`;

export async function readSchemas(query: CatalogQuery, names: readonly string[], intern: Intern): Promise<Map<string, CatalogSchema>> {
  const rows = await query(SCHEMAS_SQL, [[...names]]);
  return new Map(rows.map((r) => [r.name as string, { oid: Number(r.oid), name: intern(r.name), owner: intern(r.owner), acl: intern.acl(r.acl, r.owner) }]));
}

/** A table to read; `withColumns` also reads its column names (to check column grants). */
export interface WantedTable extends QualifiedName {
  readonly withColumns: boolean;
}

/** The named tables (and views, materialized views, foreign tables) with their column ACLs and the sequences they own: two queries. */
export async function readTables(
  query: CatalogQuery,
  wanted: readonly WantedTable[],
  intern: Intern,
): Promise<{ tables: Map<string, CatalogTable>; byOid: Map<string, CatalogTable> }> {
  const tableRows = await query(TABLES_SQL, [JSON.stringify(wanted.map((t) => ({ schema: t.schema, name: t.name, columns: t.withColumns })))]);
  const ownedSequenceRows = await query(OWNED_SEQUENCES_SQL, [oidArray(tableRows.map((r) => r.oid as string))]);
  const sequencesByTable = new Map<string, CatalogSequence[]>();
  for (const r of ownedSequenceRows) {
    const list = sequencesByTable.get(r.table_oid) ?? [];
    list.push(toSequence(r, intern));
    sequencesByTable.set(r.table_oid, list);
  }
  const tables = new Map<string, CatalogTable>();
  const byOid = new Map<string, CatalogTable>();
  for (const r of tableRows) {
    const table: CatalogTable = {
      oid: Number(r.oid),
      schema: intern(r.schema),
      name: r.name,
      kind: intern(r.kind),
      owner: intern(r.owner),
      rlsEnabled: r.rls_enabled,
      rlsForced: r.rls_forced,
      acl: intern.acl(r.acl, r.owner),
      columns: r.columns === null ? null : parseJsonColumn<string[]>(r.columns),
      columnAcl: mergeColumnAcl(r.column_acl, r.owner, intern),
      sequences: (sequencesByTable.get(r.oid) ?? []).sort((a, b) => compareText(a.name, b.name)),
    };
    tables.set(qualifiedKey(table), table);
    byOid.set(r.oid, table);
  }
  return { tables, byOid };
}

/** A policy of a named table, as POLICIES_SQL returns it (toPolicies turns them into policies). */
export type PolicyRow = readonly [
  oid: string,
  tableOid: string,
  name: string,
  cmd: string,
  permissive: boolean,
  roles: string,
  using: string | null,
  withCheck: string | null,
  comment: string | null,
];

export async function readPolicyRows(query: CatalogQuery, tables: readonly QualifiedName[]): Promise<PolicyRow[]> {
  if (tables.length === 0) return [];
  const [row] = await query(POLICIES_SQL, [JSON.stringify(tables.map((t) => ({ schema: t.schema, name: t.name })))]);
  return row?.policies == null ? [] : parseJsonColumn<PolicyRow[]>(row.policies);
}

/**
 * The policies of the tables read, from their rows (read in the same
 * snapshot as the tables, on one connection or several). `roleNames` maps
 * role OIDs to names (the roles the declaration names); roles of policies
 * beyond those (drift) are named by one more query.
 */
export async function toPolicies(
  query: CatalogQuery,
  rows: readonly PolicyRow[],
  tableByOid: ReadonlyMap<string, CatalogTable>,
  roleNames: ReadonlyMap<string, string>,
  intern: Intern,
): Promise<Policy[]> {
  const names = new Map(roleNames).set('0', 'public');
  const unnamed = new Set<string>();
  for (const r of rows) for (const oid of oidList(r[5])) if (!names.has(oid)) unnamed.add(oid);
  if (unnamed.size) for (const r of await query(ROLE_NAMES_SQL, [oidArray(unnamed)])) names.set(r.oid, r.name);
  // As pg_get_userbyid() names a role that no longer exists.
  const nameOf = (oid: string) => names.get(oid) ?? `unknown (OID=${oid})`;
  return rows.map(([, tableOid, name, cmd, permissive, roles, using, withCheck, comment]): Policy => {
    const table = tableByOid.get(tableOid)!;
    return {
      schema: table.schema,
      table: table.name,
      name: intern(name),
      command: POLICY_COMMAND_BY_LETTER[cmd]!,
      permissive,
      roles: policyRoles(oidList(roles).map(nameOf), intern),
      // Tables often share their policies' expressions word for word.
      using: using === null ? null : intern(using),
      withCheck: withCheck === null ? null : intern(withCheck),
      ...(comment === null ? {} : { comment }),
    };
  });
}

/**
 * OIDs as one oid[] literal, sent as a string: node-postgres's array encoding
 * is far slower at 10,000 elements. The parameter must stay typed $1::oid[]
 * (not $1::text::oid[]): bound as an oid[] it is a constant the planner can
 * hash, where a cast from text is evaluated per row, and = ANY() over 10,000
 * elements for each of 40,000 policies took two minutes.
 */
function oidArray(oids: Iterable<string>): string {
  return `{${[...oids].join(',')}}`;
}

/** The elements of an oid[] in its text form, {16384,16385}. */
function oidList(text: string): string[] {
  return text.length <= 2 ? [] : text.slice(1, -1).split(',');
}

/** Sorted, without duplicates; a policy names one or two roles, so the common cases allocate nothing more. */
function policyRoles(roles: readonly string[], intern: Intern): string[] {
  if (roles.length === 1) return [intern(roles[0]!)];
  return [...new Set(roles)].sort(compareText).map(intern);
}

/** Sequences declared with sequence(), keyed by qualifiedKey. */
export async function readDeclaredSequences(query: CatalogQuery, wanted: readonly QualifiedName[], intern: Intern): Promise<Map<string, CatalogSequence>> {
  const rows = await query(DECLARED_SEQUENCES_SQL, [wanted.map((s) => s.schema), wanted.map((s) => s.name)]);
  return new Map(rows.map((r) => [keyOf(r.schema, r.name), toSequence(r, intern)]));
}

function toSequence(r: Record<string, any>, intern: Intern): CatalogSequence {
  return { oid: Number(r.oid), schema: intern(r.schema), name: r.name, owner: intern(r.owner), acl: intern.acl(r.acl, r.owner), ...(r.identity === true ? { identity: true } : {}) };
}
