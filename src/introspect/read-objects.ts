import { PgAccessError } from '../errors.js';
import type { DefaultObjectType } from '../model/grant.js';
import { aclItems, mergeAcl } from './acl-json.js';
import type { CatalogQuery } from './catalog-query.js';
import type { CatalogDatabase, CatalogDefaultAcl, CatalogRoutine } from './catalog-snapshot.js';

/** pg_default_acl.defaclobjtype letters, and acldefault()'s letters for the built-in global defaults. */
const DEFAULT_ACL_TYPE: Record<DefaultObjectType, { stored: string; builtin: string }> = {
  tables: { stored: 'r', builtin: 'r' },
  sequences: { stored: 'S', builtin: 's' },
  functions: { stored: 'f', builtin: 'f' },
  types: { stored: 'T', builtin: 'T' },
  schemas: { stored: 'n', builtin: 'n' },
};

// to_regprocedure() parses the declared signature with PostgreSQL's own rules
// (search_path, type names, aliases) and returns NULL when nothing matches.
const ROUTINES_SQL = `SELECT w.signature, p.oid::int8::text AS oid, n.nspname::text AS schema, p.proname::text AS name,
  pg_get_function_identity_arguments(p.oid) AS args, p.prokind::text AS prokind, pg_get_userbyid(p.proowner)::text AS owner,
  ${aclItems("COALESCE(p.proacl, acldefault('f', p.proowner))")} AS acl
FROM unnest($1::text[]) AS w(signature)
JOIN pg_proc p ON p.oid = to_regprocedure(w.signature)
JOIN pg_namespace n ON n.oid = p.pronamespace`;

const DATABASE_SQL = `SELECT d.oid::int8::text AS oid, d.datname::text AS name, pg_get_userbyid(d.datdba)::text AS owner,
  ${aclItems("COALESCE(d.datacl, acldefault('d', d.datdba))")} AS acl
FROM pg_database d WHERE d.datname = current_database()`;

// A global entry without a row means PostgreSQL's built-in defaults
// (acldefault: PUBLIC may EXECUTE functions and USE types); a per-schema
// entry without a row means nothing is added.
const DEFAULT_ACLS_SQL = `SELECT w.owner, w.schema, w.objects, d.oid::int8::text AS oid,
  ${aclItems("COALESCE(d.defaclacl, CASE WHEN w.schema IS NULL THEN acldefault(w.builtin::\"char\", r.oid) END)")} AS acl
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS w(owner, schema, objects, stored, builtin)
JOIN pg_roles r ON r.rolname = w.owner
LEFT JOIN pg_namespace n ON n.nspname = w.schema
LEFT JOIN pg_default_acl d ON d.defaclrole = r.oid AND d.defaclobjtype = w.stored::"char"
  AND d.defaclnamespace = CASE WHEN w.schema IS NULL THEN 0 ELSE n.oid END`;

/** Keyed by the declared signature text; a signature nothing matches is missing. */
export async function readRoutines(query: CatalogQuery, signatures: readonly string[]): Promise<Map<string, CatalogRoutine>> {
  const rows = await query(ROUTINES_SQL, [[...signatures]]).catch((cause) => Promise.reject(signatureError(cause, signatures)));
  return new Map(
    rows.map((r) => [
      r.signature as string,
      { oid: Number(r.oid), schema: r.schema, name: r.name, args: r.args, routine: r.prokind === 'p' ? 'PROCEDURE' : 'FUNCTION', owner: r.owner, acl: mergeAcl(r.acl, r.owner) },
    ]),
  );
}

/** The database pg-access is connected to. */
export async function readDatabase(query: CatalogQuery): Promise<CatalogDatabase | null> {
  const [row] = await query(DATABASE_SQL);
  return row ? { oid: Number(row.oid), name: row.name, owner: row.owner, acl: mergeAcl(row.acl, row.owner) } : null;
}

export interface DefaultAclKey {
  readonly owner: string;
  readonly schema: string | null;
  readonly objects: DefaultObjectType;
}

/**
 * The requested default-privilege entries. An owner that does not exist yet
 * (created by this plan) has no row; its global entry is still PostgreSQL's
 * built-in default.
 */
export async function readDefaultAcls(query: CatalogQuery, wanted: readonly DefaultAclKey[], existingRoles: ReadonlyMap<string, unknown>): Promise<CatalogDefaultAcl[]> {
  const rows = await query(DEFAULT_ACLS_SQL, [
    wanted.map((d) => d.owner),
    wanted.map((d) => d.schema),
    wanted.map((d) => d.objects),
    wanted.map((d) => DEFAULT_ACL_TYPE[d.objects].stored),
    wanted.map((d) => DEFAULT_ACL_TYPE[d.objects].builtin),
  ]);
  const acls: CatalogDefaultAcl[] = rows.map((r) => ({ oid: r.oid === null ? null : Number(r.oid), owner: r.owner, schema: r.schema, objects: r.objects, acl: mergeAcl(r.acl, r.owner) }));
  for (const d of wanted) {
    if (d.schema !== null || existingRoles.has(d.owner) || acls.some((a) => a.owner === d.owner && a.schema === null && a.objects === d.objects)) continue;
    const builtin = d.objects === 'functions' ? 'EXECUTE' : d.objects === 'types' ? 'USAGE' : null;
    acls.push({ oid: null, owner: d.owner, schema: null, objects: d.objects, acl: builtin ? [{ grantee: 'public', privilege: builtin, grantable: false }] : [] });
  }
  return acls;
}

/**
 * Before PostgreSQL 16, to_regprocedure() raises an error (instead of
 * returning NULL) for text it cannot parse or a type that does not exist.
 */
function signatureError(cause: unknown, signatures: readonly string[]): unknown {
  const e = cause as { code?: string; message?: string };
  if (!e.code || !['42602', '22P02', '42704', '42601', '42P01', '3F000'].includes(e.code)) return cause;
  return new PgAccessError(
    'DECLARATION_DOES_NOT_MATCH_DATABASE',
    `PostgreSQL cannot read one of the declared routine signatures (${e.message}); nothing was changed. Declared: ${signatures.map((s) => JSON.stringify(s)).join(', ')}. Write 'schema.name(argument types)' with existing types.`,
  );
}
