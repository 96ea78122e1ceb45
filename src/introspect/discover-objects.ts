import type { DefaultObjectType } from '../model/grant.js';
import type { CatalogQuery } from './catalog-query.js';
import type { CatalogRequest, DefaultAclRequest } from './read-catalog.js';

/**
 * Discovery: which objects a database has, so that the declared-mode reader
 * can read them (pull, audit and lint read what is there rather than what a
 * declaration names). One query lists them; the read that follows is the
 * declared mode's, so both describe an object the same way.
 */

/** Which schemas to discover; null: every schema but the system ones and those an extension owns. */
export interface SchemaSelection {
  readonly schemas: readonly string[] | null;
}

/** What discovery found, besides the request it makes of the reader. */
export interface DiscoveredObjects {
  readonly schemas: readonly string[];
  /** Requested schemas that do not exist. */
  readonly missingSchemas: readonly string[];
  /** Every schema there is to pull (not a system schema, not an extension's), for messages. */
  readonly userSchemas: readonly string[];
  /** Sequences no table owns (owned ones are read with their table). */
  readonly sequences: readonly { readonly schema: string; readonly name: string }[];
  /** Objects whose owner revoked some of its own privileges: kind, name, owner, the privileges it gave up. */
  readonly ownerRevoked: readonly { readonly kind: string; readonly name: string; readonly owner: string; readonly privileges: readonly string[] }[];
  /** Routines with a non-default ACL, by their identity signature, as the reader keys them. */
  readonly routines: readonly string[];
}

/** pg_default_acl.defaclobjtype letters. */
const DEFAULT_OBJECTS_BY_LETTER: Record<string, DefaultObjectType> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas' };

/**
 * The privileges an object's owner holds by default but not in its ACL (it
 * revoked them from itself), as a JSON array, or NULL: what a declaration
 * cannot say, since pg-access never manages an owner's own privileges.
 */
function ownerMissing(type: string, owner: string, acl: string): string {
  return `(SELECT json_agg(builtin.privilege_type ORDER BY builtin.privilege_type) FROM aclexplode(acldefault(${type}, ${owner})) builtin
    WHERE builtin.grantee = ${owner} AND NOT EXISTS (SELECT 1 FROM aclexplode(${acl}) held WHERE held.grantee = ${owner} AND held.privilege_type = builtin.privilege_type))`;
}

// Extension members (pg_depend deptype 'e') are the extension's, created by
// CREATE EXTENSION and not declared. Routines with a NULL ACL hold
// PostgreSQL's default (PUBLIC may execute) and are left out: there is
// nothing to declare (aggregates included: GRANT ... ON FUNCTION takes them). A routine is named by its identity signature, which
// to_regprocedure() reads back (types printed as the search_path sees them).
const DISCOVER_SQL = `WITH user_schemas AS (
  SELECT n.oid, n.nspname::text AS name FROM pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname !~ '^pg_(toast_)?temp_'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
), s AS (
  SELECT n.oid, n.nspname::text AS name FROM pg_namespace n
  WHERE CASE WHEN $1::text[] IS NULL THEN n.oid IN (SELECT oid FROM user_schemas) ELSE n.nspname = ANY($1::text[]) END
), ext AS (SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e')
SELECT
  (SELECT json_agg(s.name ORDER BY s.name) FROM s)::text AS schemas,
  (SELECT json_agg(u.name ORDER BY u.name) FROM user_schemas u)::text AS user_schemas,
  (SELECT json_agg(json_build_array(s.name, c.relname::text,
      EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL)) ORDER BY s.name, c.relname)
    FROM pg_class c JOIN s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid))::text AS tables,
  (SELECT json_agg(json_build_array(s.name, c.relname::text) ORDER BY s.name, c.relname)
    FROM pg_class c JOIN s ON s.oid = c.relnamespace
    WHERE c.relkind = 'S'
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))::text AS sequences,
  (SELECT json_agg(quote_ident(s.name) || '.' || quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'
      ORDER BY s.name, p.proname, pg_catalog.oidvectortypes(p.proargtypes))
    FROM pg_proc p JOIN s ON s.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p', 'a') AND p.proacl IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid))::text AS routines,
  (SELECT json_agg(r.rolname::text ORDER BY r.rolname) FROM pg_roles r WHERE r.rolname !~ '^pg_')::text AS roles,
  (SELECT json_agg(x ORDER BY x::text) FROM (
    SELECT json_build_array(CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, quote_ident(s.name) || '.' || quote_ident(c.relname), pg_get_userbyid(c.relowner)::text,
        ${ownerMissing(`CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char"`, 'c.relowner', 'c.relacl')}) AS x
      FROM pg_class c JOIN s ON s.oid = c.relnamespace WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    UNION ALL SELECT json_build_array('schema', quote_ident(s.name), pg_get_userbyid(n.nspowner)::text, ${ownerMissing(`'n'`, 'n.nspowner', 'n.nspacl')})
      FROM pg_namespace n JOIN s ON s.oid = n.oid WHERE n.nspacl IS NOT NULL
    UNION ALL SELECT json_build_array('routine', quote_ident(s.name) || '.' || quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')', pg_get_userbyid(p.proowner)::text,
        ${ownerMissing(`'f'`, 'p.proowner', 'p.proacl')})
      FROM pg_proc p JOIN s ON s.oid = p.pronamespace WHERE p.proacl IS NOT NULL
    UNION ALL SELECT json_build_array('database', quote_ident(d.datname), pg_get_userbyid(d.datdba)::text, ${ownerMissing(`'d'`, 'd.datdba', 'd.datacl')})
      FROM pg_database d WHERE d.datname = current_database() AND d.datacl IS NOT NULL
    UNION ALL SELECT json_build_array('default privileges', d.defaclobjtype::text, pg_get_userbyid(d.defaclrole)::text,
        ${ownerMissing(`translate(d.defaclobjtype::text, 'S', 's')::"char"`, 'd.defaclrole', 'd.defaclacl')})
      FROM pg_default_acl d WHERE d.defaclnamespace = 0
  ) owners WHERE x->>3 IS NOT NULL)::text AS owner_revoked,
  (SELECT json_agg(json_build_array(pg_get_userbyid(d.defaclrole)::text, s.name, d.defaclobjtype::text)
      ORDER BY pg_get_userbyid(d.defaclrole)::text, s.name NULLS FIRST, d.defaclobjtype::text)
    FROM pg_default_acl d LEFT JOIN s ON s.oid = d.defaclnamespace
    WHERE d.defaclnamespace = 0 OR s.oid IS NOT NULL)::text AS default_acls`;

const parse = <T>(text: string | null): T[] => (text === null ? [] : (JSON.parse(text) as T[]));

/** One query: the objects of the selected schemas, every role (but PostgreSQL's pg_ roles), the default-privilege entries. */
export async function discoverObjects(query: CatalogQuery, selection: SchemaSelection): Promise<{ request: CatalogRequest; found: DiscoveredObjects }> {
  const [row] = await query(DISCOVER_SQL, [selection.schemas === null ? null : [...selection.schemas]]);
  const schemas = parse<string>(row.schemas);
  const tables = parse<[string, string, boolean]>(row.tables).map(([schema, name, withColumns]) => ({ schema, name, withColumns }));
  const sequences = parse<[string, string]>(row.sequences).map(([schema, name]) => ({ schema, name }));
  const routines = parse<string>(row.routines);
  const roles = parse<string>(row.roles);
  const defaultAcls: DefaultAclRequest[] = parse<[string, string | null, string]>(row.default_acls).flatMap(([owner, schema, letter]) => {
    const objects = DEFAULT_OBJECTS_BY_LETTER[letter];
    return objects ? [{ owner, schema, objects }] : [];
  });
  const missingSchemas = selection.schemas === null ? [] : selection.schemas.filter((s) => !schemas.includes(s));
  return {
    request: { tables, schemas, roles, membershipMembers: roles, sequences, routines, database: true, defaultAcls, dropCreatedRoles: false },
    found: {
      schemas,
      missingSchemas,
      userSchemas: parse<string>(row.user_schemas),
      ownerRevoked: parse<[string, string, string, string[]]>(row.owner_revoked).map(([kind, name, owner, privileges]) => ({ kind, name, owner, privileges })),
      sequences,
      routines,
    },
  };
}
