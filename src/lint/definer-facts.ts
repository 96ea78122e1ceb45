import type { Queryable } from '../driver/queryable.js';

/*
 * What the definer rules read besides the access snapshot, in one query:
 * the SECURITY DEFINER routines of the selected schemas (whether they pin
 * search_path, who may execute them) and the views that run as their owner
 * over tables with row-level security (not security_invoker, which exists
 * from PostgreSQL 15), with the roles that may read them.
 */

export interface DefinerRoutine {
  readonly schema: string;
  /** name(argument types), types only, as routine() and to_regprocedure() read them. */
  readonly signature: string;
  readonly owner: string;
  /** The search_path the routine sets (proconfig), or null. */
  readonly searchPath: string | null;
  /** Roles (and 'public') holding EXECUTE, the owner excepted. */
  readonly executors: readonly string[];
}

export interface OwnerRightsView {
  readonly schema: string;
  readonly name: string;
  readonly owner: string;
  /** Tables with RLS enabled the view reads, as schema.name. */
  readonly rlsTables: readonly string[];
  /** Roles (and 'public') holding SELECT on the view, the owner excepted. */
  readonly readers: readonly string[];
}

export interface DefinerFacts {
  readonly routines: readonly DefinerRoutine[];
  readonly views: readonly OwnerRightsView[];
}

const grantees = (acl: string, owner: string, privilege: string) => `ARRAY(SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END
    FROM aclexplode(${acl}) a WHERE a.privilege_type = '${privilege}' AND a.grantee <> ${owner} ORDER BY 1)`;

const DEFINER_SQL = (v15: boolean) => `SELECT
  (SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'signature', quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')',
      'owner', pg_get_userbyid(p.proowner), 'searchPath', (SELECT substr(c, 13) FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%' LIMIT 1),
      'executors', ${grantees("coalesce(p.proacl, acldefault('f', p.proowner))", 'p.proowner', 'EXECUTE')}) ORDER BY n.nspname, p.proname, p.oid), '[]')
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.prosecdef AND n.nspname = ANY($1::text[])
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'))::text AS routines,
  (SELECT coalesce(json_agg(json_build_object('schema', n.nspname, 'name', v.relname, 'owner', pg_get_userbyid(v.relowner),
      'rlsTables', t.tables, 'readers', ${grantees("coalesce(v.relacl, acldefault('r', v.relowner))", 'v.relowner', 'SELECT')}) ORDER BY n.nspname, v.relname), '[]')
    FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace,
    LATERAL (SELECT array_agg(DISTINCT tn.nspname || '.' || tc.relname) AS tables
      FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
      JOIN pg_class tc ON tc.oid = d.refobjid AND tc.relrowsecurity AND tc.oid <> v.oid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE r.ev_class = v.oid) t
    WHERE v.relkind = 'v' AND n.nspname = ANY($1::text[]) AND t.tables IS NOT NULL
      ${v15 ? `AND NOT coalesce((SELECT option_value::bool FROM pg_options_to_table(v.reloptions) WHERE option_name = 'security_invoker'), false)` : ''})::text AS views`;

export async function definerFacts(db: Queryable, schemas: readonly string[], versionNum: number): Promise<DefinerFacts> {
  const { rows } = await db.query(DEFINER_SQL(versionNum >= 150000), [[...schemas]]);
  return { routines: JSON.parse(rows[0].routines), views: JSON.parse(rows[0].views) };
}

/**
 * Whether a routine's search_path is safe for SECURITY DEFINER: set, and
 * naming pg_temp last. Otherwise pg_temp is searched first for tables (even
 * with search_path = ''), where any caller can create one.
 */
export function pinsSearchPath(searchPath: string | null): boolean {
  if (searchPath === null) return false;
  const parts = searchPath.split(',').map((p) => p.trim().replace(/^"(.*)"$/, '$1'));
  return parts[parts.length - 1] === 'pg_temp';
}
