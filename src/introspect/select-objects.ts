/**
 * What bulk selectors (tables(allIn('app')), ...) match: the tables (not
 * partitions: access goes through their parent), sequences and routines
 * (functions and procedures) of the named schemas that no extension owns,
 * and routine signatures as written resolved by PostgreSQL's own parser.
 * One read-only catalog query; no lock on any user table.
 */
import type { SelectedObjects } from '../declare/selectors.js';
import type { CatalogQuery } from './catalog-query.js';

const SELECT_SQL = `WITH s AS (SELECT n.oid, n.nspname::text AS name FROM pg_namespace n WHERE n.nspname = ANY($1::text[])),
ext AS (SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e')
SELECT
  (SELECT json_agg(s.name ORDER BY s.name) FROM s)::text AS schemas,
  (SELECT json_agg(json_build_array(s.name, c.relname::text, c.relkind::text) ORDER BY s.name, c.relname)
    FROM pg_class c JOIN s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'S') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid))::text AS relations,
  (SELECT json_agg(json_build_array(s.name, p.proname::text, quote_ident(s.name) || '.' || quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')')
      ORDER BY s.name, p.proname, pg_catalog.oidvectortypes(p.proargtypes))
    FROM pg_proc p JOIN s ON s.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p')
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid))::text AS routines,
  (SELECT json_agg(json_build_array(w.text, quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'))
    FROM unnest($2::text[]) AS w(text)
    JOIN pg_proc p ON p.oid = to_regprocedure(w.text) JOIN pg_namespace n ON n.oid = p.pronamespace)::text AS signatures`;

const parse = <T>(text: string | null): T[] => (text === null ? [] : (JSON.parse(text) as T[]));

export async function readSelectedObjects(query: CatalogQuery, request: { schemas: readonly string[]; signatures: readonly string[] }): Promise<SelectedObjects> {
  // to_regprocedure raises on text that is not a signature at all ('app.f(' ...): such text matches nothing, and the declaration says so.
  const [row] = await query(SELECT_SQL, [[...request.schemas], request.signatures.filter((s) => /^[^()]+\(.*\)$/s.test(s.trim()))]);
  const relations = parse<[string, string, string]>(row.relations);
  return {
    schemas: new Set(parse<string>(row.schemas)),
    tables: relations.filter(([, , kind]) => kind !== 'S').map(([schema, name]) => ({ schema, name })),
    sequences: relations.filter(([, , kind]) => kind === 'S').map(([schema, name]) => ({ schema, name })),
    routines: parse<[string, string, string]>(row.routines).map(([schema, name, signature]) => ({ schema, name, signature })),
    signatures: new Map(parse<[string, string]>(row.signatures)),
  };
}
