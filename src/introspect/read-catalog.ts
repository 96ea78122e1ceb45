import type { Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import type { DefaultObjectType } from '../model/grant.js';
import type { Membership } from '../model/membership.js';
import type { PolicyCommand } from '../model/policy.js';
import { compareText, keyOf, qualifiedKey, type QualifiedName } from '../model/qualified-name.js';
import { createdRoleComment } from '../render/sql/render-role.js';
import type {
  AclEntry,
  CatalogDatabase,
  CatalogDefaultAcl,
  CatalogRole,
  CatalogRoutine,
  CatalogSchema,
  CatalogSequence,
  CatalogSnapshot,
  CatalogTable,
  RoleDependency,
} from './catalog-snapshot.js';

/** pg_policy.polcmd letters. 'r' is SELECT (read), not "R". */
const POLICY_COMMAND_BY_LETTER: Record<string, PolicyCommand> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

/** pg_default_acl.defaclobjtype letters, and acldefault()'s letters for the built-in global defaults. */
const DEFAULT_ACL_TYPE: Record<DefaultObjectType, { stored: string; builtin: string }> = {
  tables: { stored: 'r', builtin: 'r' },
  sequences: { stored: 'S', builtin: 's' },
  functions: { stored: 'f', builtin: 'f' },
  types: { stored: 'T', builtin: 'T' },
  schemas: { stored: 'n', builtin: 'n' },
};

/**
 * aclexplode() of an ACL without the owner's entries, grantee 0 spelled
 * 'public'. Callers pass `COALESCE(acl, acldefault(...))` where a NULL ACL
 * means more than "owner only" (functions: PUBLIC EXECUTE; databases: PUBLIC
 * CONNECT and TEMPORARY). The owner's privileges are implicit and are never
 * something pg-access grants or revokes.
 */
const aclJson = (acl: string, owner: string) => `COALESCE((
  SELECT json_agg(json_build_array(
           CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END,
           a.privilege_type, a.is_grantable))
  FROM aclexplode(${acl}) a WHERE a.grantee <> ${owner}), '[]'::json)`;

const SERVER_SQL = `SELECT current_setting('server_version_num')::int AS version_num, current_user::text AS current_user,
  session_user::text AS session_user, current_database()::text AS database`;
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
// to_regprocedure() parses the declared signature with PostgreSQL's own rules
// (search_path, type names, aliases) and returns NULL when nothing matches.
const ROUTINES_SQL = `SELECT w.signature, p.oid::int8::text AS oid, n.nspname::text AS schema, p.proname::text AS name,
  pg_get_function_identity_arguments(p.oid) AS args, p.prokind::text AS prokind, pg_get_userbyid(p.proowner)::text AS owner,
  ${aclJson("COALESCE(p.proacl, acldefault('f', p.proowner))", 'p.proowner')} AS acl
FROM unnest($1::text[]) AS w(signature)
JOIN pg_proc p ON p.oid = to_regprocedure(w.signature)
JOIN pg_namespace n ON n.oid = p.pronamespace`;
const DATABASE_SQL = `SELECT d.oid::int8::text AS oid, d.datname::text AS name, pg_get_userbyid(d.datdba)::text AS owner,
  ${aclJson("COALESCE(d.datacl, acldefault('d', d.datdba))", 'd.datdba')} AS acl
FROM pg_database d WHERE d.datname = current_database()`;
// A global entry without a row means PostgreSQL's built-in defaults
// (acldefault: PUBLIC may EXECUTE functions and USE types); a per-schema
// entry without a row means nothing is added.
const DEFAULT_ACLS_SQL = `SELECT w.owner, w.schema, w.objects, d.oid::int8::text AS oid,
  ${aclJson("COALESCE(d.defaclacl, CASE WHEN w.schema IS NULL THEN acldefault(w.builtin::\"char\", r.oid) END)", 'r.oid')} AS acl
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS w(owner, schema, objects, stored, builtin)
JOIN pg_roles r ON r.rolname = w.owner
LEFT JOIN pg_namespace n ON n.nspname = w.schema
LEFT JOIN pg_default_acl d ON d.defaclrole = r.oid AND d.defaclobjtype = w.stored::"char"
  AND d.defaclnamespace = CASE WHEN w.schema IS NULL THEN 0 ELSE n.oid END`;
// What still refers to a role pg-access is about to drop. Objects of other
// databases cannot be described from here; their database is named instead.
const ROLE_DEPENDENCIES_SQL = `SELECT pg_get_userbyid(d.refobjid)::text AS role, d.deptype::text AS type, d.classid::regclass::text AS class_id,
  d.objid::int8::text AS objid, d.dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())) AS here,
  CASE WHEN d.dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
       THEN pg_describe_object(d.classid, d.objid, d.objsubid)
       ELSE 'objects in database ' || quote_ident((SELECT datname FROM pg_database WHERE oid = d.dbid)) END AS description
FROM pg_shdepend d
WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid IN (SELECT oid FROM pg_roles WHERE rolname = ANY($1::text[]))`;
// polroles = {0} is PUBLIC.
const POLICIES_SQL = `SELECT p.oid::int8::text AS oid, p.polrelid::int8::text AS table_oid, p.polname::text AS name, p.polcmd::text AS cmd, p.polpermissive AS permissive,
  ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r) AS roles,
  pg_get_expr(p.polqual, p.polrelid) AS using_expr, pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_policy p WHERE p.polrelid = ANY($1::oid[])`;

export interface DefaultAclRequest {
  /** null: the connected role. */
  readonly owner: string | null;
  readonly schema: string | null;
  readonly objects: DefaultObjectType;
}

export interface CatalogRequest {
  readonly tables: readonly QualifiedName[];
  readonly schemas: readonly string[];
  /** Every role name the declaration uses (attributes are read for all of them). */
  readonly roles: readonly string[];
  /** Roles whose memberships (as a member) are compared. */
  readonly membershipMembers: readonly string[];
  readonly sequences: readonly QualifiedName[];
  readonly routines: readonly string[];
  readonly database: boolean;
  readonly defaultAcls: readonly DefaultAclRequest[];
  /** Read what refers to these roles (pg_shdepend); roles pg-access created are added when `dropCreatedRoles`. */
  readonly dropCreatedRoles: boolean;
}

/**
 * Reads everything a plan needs with a fixed number of queries whatever the
 * number of objects: six for tables, policies and grants, plus one per
 * further kind the declaration uses.
 */
export async function readCatalog(db: Queryable, request: CatalogRequest): Promise<CatalogSnapshot> {
  // Sequential on purpose: a single connection runs one query at a time.
  let roundTrips = 0;
  const query = async (sql: string, params?: unknown[]) => {
    roundTrips++;
    return (await db.query(sql, params)).rows;
  };
  const server = (await query(SERVER_SQL))[0]!;
  const roleRows = await query(ROLES_SQL, [[...request.roles], createdRoleComment(server.database)]);
  const routineRows = request.routines.length ? await query(ROUTINES_SQL, [[...request.routines]]).catch((cause) => Promise.reject(signatureError(cause, request.routines))) : [];
  // A routine's schema is known only once its signature is resolved: read it
  // too, so the USAGE a grantee needs there is compared with what it has
  // (otherwise it would be granted on every plan, and revoked by the downgrade
  // even when the grantee held it before).
  const schemaNames = new Set([...request.schemas, ...routineRows.map((r) => r.schema as string)]);
  const schemaRows = await query(SCHEMAS_SQL, [[...schemaNames]]);
  const tableRows = await query(TABLES_SQL, [request.tables.map((t) => t.schema), request.tables.map((t) => t.name)]);
  const oids = tableRows.map((r) => r.oid as string);
  const ownedSequenceRows = await query(OWNED_SEQUENCES_SQL, [oids]);
  const policyRows = await query(POLICIES_SQL, [oids]);

  const roles = new Map<string, CatalogRole>(roleRows.map((r) => [r.name, toRole(r)]));
  const droppable = request.dropCreatedRoles ? [...roles.values()].filter((r) => r.createdByPgAccess && !request.roles.includes(r.name)).map((r) => r.name) : [];
  const members = [...new Set([...request.membershipMembers, ...droppable])];
  const membershipRows = members.length ? await query(MEMBERSHIPS_SQL(server.version_num >= 160000), [members, droppable]) : [];
  const edgeRows = members.length ? await query(MEMBERSHIP_EDGES_SQL) : [];
  const declaredSequenceRows = request.sequences.length
    ? await query(DECLARED_SEQUENCES_SQL, [request.sequences.map((s) => s.schema), request.sequences.map((s) => s.name)])
    : [];
  const databaseRows = request.database ? await query(DATABASE_SQL) : [];
  const defaults = request.defaultAcls.map((d) => ({ ...d, owner: d.owner ?? (server.current_user as string) }));
  const defaultRows = defaults.length
    ? await query(DEFAULT_ACLS_SQL, [
        defaults.map((d) => d.owner),
        defaults.map((d) => d.schema),
        defaults.map((d) => d.objects),
        defaults.map((d) => DEFAULT_ACL_TYPE[d.objects].stored),
        defaults.map((d) => DEFAULT_ACL_TYPE[d.objects].builtin),
      ])
    : [];
  const dependencyRows = droppable.length ? await query(ROLE_DEPENDENCIES_SQL, [droppable]) : [];

  const sequencesByTable = new Map<string, CatalogSequence[]>();
  for (const r of ownedSequenceRows) {
    const list = sequencesByTable.get(r.table_oid) ?? [];
    list.push(toSequence(r));
    sequencesByTable.set(r.table_oid, list);
  }
  const tables = new Map<string, CatalogTable>();
  const tableByOid = new Map<string, CatalogTable>();
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
    tableByOid.set(r.oid, table);
  }
  const schemas = new Map<string, CatalogSchema>(schemaRows.map((r) => [r.name, { oid: Number(r.oid), name: r.name, owner: r.owner, acl: mergeAcl(r.acl) }]));
  const policies = policyRows.map((r) => {
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
  const routines = new Map<string, CatalogRoutine>(
    routineRows.map((r) => [
      r.signature,
      { oid: Number(r.oid), schema: r.schema, name: r.name, args: r.args, routine: r.prokind === 'p' ? 'PROCEDURE' : 'FUNCTION', owner: r.owner, acl: mergeAcl(r.acl) },
    ]),
  );
  const database: CatalogDatabase | null = databaseRows[0]
    ? { oid: Number(databaseRows[0].oid), name: databaseRows[0].name, owner: databaseRows[0].owner, acl: mergeAcl(databaseRows[0].acl) }
    : null;
  const defaultAcls: CatalogDefaultAcl[] = defaultRows.map((r) => ({ oid: r.oid === null ? null : Number(r.oid), owner: r.owner, schema: r.schema, objects: r.objects, acl: mergeAcl(r.acl) }));
  // An owner that does not exist yet (created by this plan) has no row; its
  // global entry is still PostgreSQL's built-in default.
  for (const d of defaults) {
    if (d.schema !== null || roles.has(d.owner) || defaultAcls.some((a) => a.owner === d.owner && a.schema === null && a.objects === d.objects)) continue;
    const builtin = d.objects === 'functions' ? 'EXECUTE' : d.objects === 'types' ? 'USAGE' : null;
    defaultAcls.push({ oid: null, owner: d.owner, schema: null, objects: d.objects, acl: builtin ? [{ grantee: 'public', privilege: builtin, grantable: false }] : [] });
  }
  const roleDependencies: RoleDependency[] = dependencyRows.map((r) => ({
    role: r.role,
    type: r.type,
    classId: r.class_id,
    objectOid: Number(r.objid),
    description: r.description,
    inThisDatabase: r.here,
  }));

  return {
    server: { versionNum: server.version_num, currentUser: server.current_user, sessionUser: server.session_user, database: server.database },
    roles,
    memberships: mergeMemberships(membershipRows),
    membershipEdges: edgeRows.map((r) => ({ role: r.role, member: r.member })),
    schemas,
    tables,
    policies,
    sequences: new Map(declaredSequenceRows.map((r) => [keyOf(r.schema, r.name), toSequence(r)])),
    routines,
    database,
    defaultAcls,
    roleDependencies,
    policyOids: new Set(policyRows.map((r) => Number(r.oid))),
    roundTrips,
  };
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

function toSequence(r: Record<string, any>): CatalogSequence {
  return { oid: Number(r.oid), schema: r.schema, name: r.name, owner: r.owner, acl: mergeAcl(r.acl) };
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

function mergeColumnAcl(raw: unknown): (AclEntry & { column: string })[] {
  const rows = (typeof raw === 'string' ? JSON.parse(raw) : raw) as [string, string, string, boolean][];
  const merged = new Map<string, AclEntry & { column: string }>();
  for (const [column, grantee, privilege, grantable] of rows) {
    const key = keyOf(column, grantee, privilege);
    const prior = merged.get(key);
    merged.set(key, { column, grantee, privilege, grantable: grantable || (prior?.grantable ?? false) });
  }
  return [...merged.values()];
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
