/**
 * The fixed database the property tests generate access states over: five
 * declarable relations (in public: a table with a serial column, a
 * partitioned table with a quoted name and quoted columns, and a view that
 * takes grants only; in the capitalised schema "Crm", owned by a managed
 * role: a table with an identity column owned by that role, and a plain
 * one), a baseline of policies and grants already on them, and an
 * out-of-scope sentinel that no declaration may touch (a table of its own
 * with policies and grants, the partition of the partitioned table, and
 * grants to an unmanaged role on declarable objects).
 *
 * Besides the tables: two routines (a function in public, a procedure with
 * a quoted name in "Crm" owned by a managed role), column grants, default
 * privileges, and a member role 'm' that the fixture creates for every run
 * (a member of 'x') and a declaration may declare with role(), with
 * memberships in 'a', 'b' and 'c'. The sentinel also has a routine, column
 * grants to 'x', and a default-privileges entry no declaration may touch.
 *
 * Roles are symbolic here ('a', 'b', 'c' are managed when a declaration
 * names them; 'x' is never named; 'm' is the member role) and resolved to
 * the per-file names the test creates (some of them with quotes, spaces
 * and capitals).
 */
import { quoteIdent } from '../support/database.js';

export type ManagedRole = 'a' | 'b' | 'c';
export type FixtureRole = ManagedRole | 'x' | 'm';
export type RoleNames = Record<FixtureRole, string>;

export const MANAGED_ROLES: readonly ManagedRole[] = ['a', 'b', 'c'];

export type FixtureTableId = 'docs' | 'orderItems' | 'docsView' | 'accounts' | 'tags';

export interface FixtureTable {
  readonly id: FixtureTableId;
  /** A view takes grants only (no RLS, no policies). */
  readonly kind: 'table' | 'view';
  readonly schema: string;
  readonly name: string;
  /** How a declaration names it (exercises unqualified names and quoting). */
  readonly declaredAs: string;
  /** Another way to name it that must mean the same. */
  readonly looseName: string;
  /** A managed role owning the table (its grants are left out); the test's own user otherwise. */
  readonly owner?: ManagedRole;
  /** Sequences the table owns (serial / identity), in the table's schema. */
  readonly sequences: readonly string[];
  /** Its columns (column grants pick from them). */
  readonly columns: readonly string[];
  /** Valid USING / WITH CHECK texts over this table's columns, simplest first. */
  readonly expressions: readonly string[];
}

/** Expressions every fixture table accepts: all have an int owner_id. */
const COMMON_EXPRESSIONS = [
  'true',
  'owner_id = 1',
  `owner_id = current_setting('app.user_id')::int`,
  `owner_id = current_setting('app.user_id', true)::integer -- the caller's own rows`,
  'owner_id IN (1, 2, 3) /* a block comment */',
  'CAST(owner_id AS bigint) > 0 OR owner_id IS NULL',
  `owner_id::text = '7'`,
  `current_setting('app.role', true) = 'admin''s -- not a comment'`,
  `owner_id = ANY (string_to_array(current_setting('app.ids', true), ',')::int[])`,
  `owner_id > -1 AND current_setting('app.note', true) <> ';'`,
  String.raw`current_setting('app.path', true) IS DISTINCT FROM E'C:\\tmp\\ it\'s )('`,
  `current_setting('app.tag', true) = $q$it's ; ) -- $q$ /* a /* nested */ comment */`,
];

export const FIXTURE_TABLES: readonly FixtureTable[] = [
  {
    id: 'docs',
    kind: 'table',
    schema: 'public',
    name: 'docs',
    declaredAs: 'docs',
    looseName: '"public"."docs"',
    sequences: ['docs_id_seq'],
    columns: ['id', 'owner_id', 'tenant', 'body', 'published'],
    expressions: [
      ...COMMON_EXPRESSIONS,
      `tenant = current_setting('app.tenant')`,
      `published AND body NOT LIKE '%secret%'`,
      `tenant = $$O'Brien$$`,
      'EXISTS (SELECT 1 FROM "Crm".tags t WHERE t.owner_id = docs.owner_id)',
    ],
  },
  {
    id: 'orderItems',
    kind: 'table',
    schema: 'public',
    name: 'Order Items',
    declaredAs: 'public."Order Items"',
    looseName: 'Order Items',
    sequences: [],
    columns: ['Order Id', 'owner_id', 'Qty', 'note', 'weird ) -- col'],
    expressions: [
      ...COMMON_EXPRESSIONS,
      `"Qty" > 0 AND note IS DISTINCT FROM 'x'`,
      `"weird ) -- col" IS NOT NULL`,
      '"Order Id" BETWEEN 1 AND 100',
      'EXISTS (SELECT 1 FROM public.docs d WHERE d.owner_id = "Order Items".owner_id AND d.published)',
    ],
  },
  {
    id: 'docsView',
    kind: 'view',
    schema: 'public',
    name: 'docs_view',
    declaredAs: 'public.docs_view',
    looseName: 'docs_view',
    sequences: [],
    columns: ['id', 'owner_id', 'tenant'],
    expressions: [],
  },
  {
    id: 'accounts',
    kind: 'table',
    schema: 'Crm',
    name: 'accounts',
    declaredAs: 'Crm.accounts',
    looseName: '"Crm"."accounts"',
    owner: 'c',
    sequences: ['accounts_id_seq'],
    columns: ['id', 'owner_id', 'region'],
    expressions: [...COMMON_EXPRESSIONS, `region = ANY (ARRAY['eu', 'us'])`, 'id > 0', 'EXISTS (SELECT 1 FROM "Crm".tags t WHERE t.owner_id = accounts.owner_id)'],
  },
  {
    id: 'tags',
    kind: 'table',
    schema: 'Crm',
    name: 'tags',
    declaredAs: '"Crm".tags',
    looseName: 'Crm.tags',
    sequences: [],
    columns: ['tag', 'owner_id'],
    expressions: [...COMMON_EXPRESSIONS, `tag ~ '^[a-z]+$'`, 'length(tag) < 10', 'EXISTS (SELECT 1 FROM public."Order Items" i WHERE i.owner_id = tags.owner_id)'],
  },
];

export function fixtureTable(id: FixtureTableId): FixtureTable {
  return FIXTURE_TABLES.find((t) => t.id === id)!;
}

/** A schema no fixture table lives in: declaring it creates it. */
export const EXTRA_SCHEMA = 'Reports "Q1"; --';
export const CRM = 'Crm';
/** The managed role owning "Crm" (grants to it there are left out, it needs no USAGE). */
export const CRM_OWNER: ManagedRole = 'c';

const columnsOf: Record<FixtureTableId, string> = {
  docs: 'id serial PRIMARY KEY, owner_id int NOT NULL, tenant text, body text, published boolean NOT NULL DEFAULT false',
  orderItems: '"Order Id" int, owner_id int, "Qty" int, note text, "weird ) -- col" text',
  docsView: '',
  accounts: 'id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner_id int, region text',
  tags: 'tag text, owner_id int',
};

export type FixtureRoutineId = 'touch' | 'archive';

export interface FixtureRoutine {
  readonly id: FixtureRoutineId;
  readonly schema: string;
  /** How a declaration names it. */
  readonly declaredAs: string;
  /** Another spelling PostgreSQL's to_regprocedure() reads the same way. */
  readonly looseName: string;
  /** As the access snapshot prints it: schema.name(identity arguments). */
  readonly signature: string;
  /** A managed role owning it (grants to it are left out); the test's own user otherwise. */
  readonly owner?: ManagedRole;
}

export const FIXTURE_ROUTINES: readonly FixtureRoutine[] = [
  { id: 'touch', schema: 'public', declaredAs: 'public.touch(integer)', looseName: 'touch(int4)', signature: 'public.touch(n integer)' },
  {
    id: 'archive',
    schema: 'Crm',
    declaredAs: '"Crm"."Archive ""it"""(text, integer)',
    looseName: '"Crm"."Archive ""it"""(pg_catalog.text, int)',
    signature: 'Crm.Archive "it"(reason text, days integer)',
    owner: 'c',
  },
];

export function fixtureRoutine(id: FixtureRoutineId): FixtureRoutine {
  return FIXTURE_ROUTINES.find((f) => f.id === id)!;
}

/** Schemas a defaultPrivileges({ inSchema }) may name. */
export const DEFAULT_PRIVILEGE_SCHEMAS = ['public', CRM] as const;

/**
 * Creates the fixture from nothing (the database's public schema untouched),
 * and the member role: batches to run one after the other. The objects are
 * created one statement each: one multi-statement transaction creating them
 * all took about twice as long (~20 ms instead of ~10 ms a pair).
 */
export function fixtureSql(r: RoleNames): string[] {
  const [a, b, c, x, m] = [r.a, r.b, r.c, r.x, r.m].map(quoteIdent);
  const [objects, ...access] = `
    CREATE TABLE public.docs (${columnsOf.docs});
    CREATE TABLE public."Order Items" (${columnsOf.orderItems}) PARTITION BY RANGE ("Order Id");
    CREATE TABLE public."Order Items 1" PARTITION OF public."Order Items" FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
    CREATE VIEW public.docs_view AS SELECT id, owner_id, tenant FROM public.docs;
    CREATE SCHEMA "Crm" AUTHORIZATION ${c};
    CREATE TABLE "Crm".accounts (${columnsOf.accounts});
    CREATE TABLE "Crm".tags (${columnsOf.tags});
    ALTER TABLE "Crm".accounts OWNER TO ${c};
    CREATE FUNCTION public.touch(n integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT n + 1';
    CREATE PROCEDURE "Crm"."Archive ""it"""(reason text, days integer) LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
    ALTER PROCEDURE "Crm"."Archive ""it"""(text, integer) OWNER TO ${c};
    CREATE ROLE ${m} NOLOGIN;
    GRANT ${x} TO ${m};

    -- Baseline access on declarable tables: a declaration replaces it (policies,
    -- grants of the roles it names) or leaves it (tables it does not list).
    ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own ON public.docs FOR SELECT TO ${x} USING (owner_id = 42);
    ALTER TABLE "Crm".tags ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    CREATE POLICY fence ON "Crm".tags AS RESTRICTIVE TO ${a}, ${b} USING (tag <> 'hidden') WITH CHECK (tag <> 'hidden');
    GRANT DELETE ON public."Order Items" TO ${a};
    GRANT SELECT ON public.docs_view TO ${b} WITH GRANT OPTION;
    GRANT SELECT, INSERT ON "Crm".tags TO ${b} WITH GRANT OPTION;
    GRANT USAGE ON SCHEMA "Crm" TO ${a} WITH GRANT OPTION;
    GRANT SELECT ON SEQUENCE public.docs_id_seq TO ${b};
    GRANT USAGE ON SEQUENCE public.docs_id_seq TO ${c} WITH GRANT OPTION;
    GRANT SELECT (tenant, body), UPDATE (body) ON public.docs TO ${a};
    GRANT REFERENCES ("Qty") ON public."Order Items" TO ${b} WITH GRANT OPTION;
    GRANT SELECT (region) ON "Crm".accounts TO PUBLIC;
    GRANT EXECUTE ON FUNCTION public.touch(integer) TO ${b} WITH GRANT OPTION;
    REVOKE EXECUTE ON PROCEDURE "Crm"."Archive ""it"""(text, integer) FROM PUBLIC;
    GRANT EXECUTE ON PROCEDURE "Crm"."Archive ""it"""(text, integer) TO ${a};
    ALTER DEFAULT PRIVILEGES FOR ROLE ${a} GRANT SELECT ON TABLES TO ${b};
    ALTER DEFAULT PRIVILEGES FOR ROLE ${c} IN SCHEMA "Crm" GRANT EXECUTE ON FUNCTIONS TO ${a} WITH GRANT OPTION;

    -- Sentinel, part 1: grants to a role no declaration names, on declarable objects.
    GRANT SELECT, UPDATE ON public.docs TO ${x};
    GRANT SELECT ON public.docs_view TO ${x};
    GRANT SELECT ON "Crm".tags TO ${x} WITH GRANT OPTION;
    GRANT USAGE ON SCHEMA "Crm" TO ${x};
    GRANT USAGE ON SEQUENCE public.docs_id_seq TO ${x};
    GRANT SELECT (body), INSERT (tenant) ON public.docs TO ${x};
    GRANT UPDATE (tag) ON "Crm".tags TO ${x} WITH GRANT OPTION;
    GRANT EXECUTE ON FUNCTION public.touch(integer) TO ${x};
    ALTER DEFAULT PRIVILEGES FOR ROLE ${a} GRANT SELECT ON TABLES TO ${x};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${x};

    -- Sentinel, part 2: a table no declaration lists, with policies (one named
    -- like a declarable policy) and grants to managed roles and PUBLIC, and the
    -- partition of a declarable table (policies and grants are per relation);
    -- a routine no declaration lists, and default privileges on sequences.
    CREATE TABLE public.sentinel (id serial PRIMARY KEY, owner_id int);
    ALTER TABLE public.sentinel ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    CREATE POLICY sentinel_own ON public.sentinel AS RESTRICTIVE FOR UPDATE TO ${a} USING (owner_id = 1) WITH CHECK (owner_id = 1);
    CREATE POLICY own ON public.sentinel TO ${b} USING (true);
    GRANT SELECT ON public.sentinel TO ${a};
    GRANT INSERT ON public.sentinel TO ${b} WITH GRANT OPTION;
    GRANT DELETE ON public.sentinel TO PUBLIC;
    GRANT UPDATE ON public.sentinel TO ${x};
    GRANT USAGE ON SEQUENCE public.sentinel_id_seq TO ${b};
    GRANT SELECT (owner_id) ON public.sentinel TO ${c};
    ALTER TABLE public."Order Items 1" ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own ON public."Order Items 1" TO ${c} USING (owner_id = 2);
    GRANT SELECT ON public."Order Items 1" TO ${a};
    CREATE FUNCTION public.sentinel_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
    REVOKE EXECUTE ON FUNCTION public.sentinel_fn() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION public.sentinel_fn() TO ${a}, ${b};
    ALTER DEFAULT PRIVILEGES FOR ROLE ${b} IN SCHEMA public GRANT USAGE ON SEQUENCES TO ${a}, PUBLIC;
  `.split('\n\n');
  return [...objects!.split(';\n').filter((statement) => statement.trim() !== ''), ...access];
}

/**
 * Hand-made drift a pair may start from, on top of the baseline (each used
 * at most once, in this order): states pg-access itself would not produce.
 * {a} {b} {c} {m} stand for the quoted role names. None touches the
 * sentinel. Entries starting with '16+ ' need PostgreSQL 16.
 */
const DRIFT_TEMPLATES: readonly string[] = [
  'ALTER TABLE public.docs DISABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY',
  `CREATE POLICY "Read All" ON public.docs AS RESTRICTIVE FOR UPDATE TO {a}, {b} USING (true) WITH CHECK (owner_id > 0)`,
  'CREATE POLICY fence ON "Crm".accounts FOR INSERT TO PUBLIC, {a} WITH CHECK (true)',
  `CREATE POLICY "Own" ON public."Order Items" TO {c} USING ("Qty" > 0)`,
  'CREATE POLICY own ON "Crm".tags FOR SELECT USING (tag = current_user)',
  'GRANT ALL ON public.docs TO {a} WITH GRANT OPTION',
  'GRANT USAGE ON SCHEMA public TO {b} WITH GRANT OPTION',
  'GRANT CREATE ON SCHEMA "Crm" TO {b}',
  'GRANT USAGE, SELECT ON SEQUENCE "Crm".accounts_id_seq TO {a}',
  'GRANT SELECT ON public.docs_view TO PUBLIC',
  'GRANT INSERT ON "Crm".accounts TO PUBLIC',
  'REVOKE USAGE ON SCHEMA public FROM PUBLIC',
  'GRANT UPDATE ("Qty", note), SELECT ("Order Id") ON public."Order Items" TO {c} WITH GRANT OPTION',
  'GRANT INSERT (tag), SELECT (owner_id) ON "Crm".tags TO PUBLIC',
  'GRANT SELECT (id, tenant) ON public.docs_view TO {a} WITH GRANT OPTION',
  'REVOKE EXECUTE ON FUNCTION public.touch(integer) FROM PUBLIC',
  'GRANT EXECUTE ON PROCEDURE "Crm"."Archive ""it"""(text, integer) TO PUBLIC, {b}',
  'ALTER DEFAULT PRIVILEGES FOR ROLE {b} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC',
  'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT, DELETE ON TABLES TO {c} WITH GRANT OPTION',
  'ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO {a}',
  'ALTER ROLE {m} LOGIN CREATEDB CONNECTION LIMIT 3',
  'GRANT {b} TO {m} WITH ADMIN OPTION',
  '16+ GRANT {c} TO {m} WITH INHERIT FALSE, SET FALSE',
  'ALTER ROLE {m} NOINHERIT',
  'DROP ROLE {m}',
];

/** The drift templates this server accepts. */
export function driftTemplates(versionNum: number): string[] {
  return DRIFT_TEMPLATES.filter((t) => !t.startsWith('16+ ') || versionNum >= 160000).map((t) => t.replace(/^16\+ /, ''));
}

export function driftSql(template: string, r: RoleNames): string {
  return template.replace(/\{([abcm])\}/g, (_, k: 'a' | 'b' | 'c' | 'm') => quoteIdent(r[k]));
}

/** The relations no declaration lists (their names as catalogLines prints them). */
export const SENTINEL_RELATIONS = ['public.sentinel', 'public.sentinel_id_seq', 'public.Order Items 1'];
/** The routine no declaration lists, and the default-privileges entry (as catalogLines prints its key). */
export const SENTINEL_ROUTINES = ['public.sentinel_fn()'];
export const SENTINEL_DEFAULT_ACLS = ['r.b|public|S'];

/**
 * Drops everything fixtureSql and any declaration created, back to an empty
 * database whose public schema grants PUBLIC exactly `publicPrivileges` (what
 * it did at the start: a declaration may manage that schema too), without
 * default privileges, and without the member role. Default privileges in
 * "Crm" go with the schema; global ones and those in public are revoked from
 * everyone but their owner (who keeps PostgreSQL's built-in defaults, so the
 * rows disappear), and PUBLIC's default EXECUTE on functions is given back.
 */
export function dropFixtureSql(r: RoleNames, publicPrivileges: readonly string[]): string {
  const all = [r.a, r.b, r.c, r.x].map(quoteIdent).join(', ');
  const owners: [string, string][] = [
    ['', `PUBLIC, ${all}`],
    ...[r.a, r.b, r.c].map((o): [string, string] => [`FOR ROLE ${quoteIdent(o)} `, ['PUBLIC', ...[r.a, r.b, r.c, r.x].filter((g) => g !== o).map(quoteIdent)].join(', ')]),
  ];
  const defaults = owners.flatMap(([forRole, grantees]) => [
    ...['TABLES', 'SEQUENCES', 'FUNCTIONS'].flatMap((on) => [
      `ALTER DEFAULT PRIVILEGES ${forRole}REVOKE ALL ON ${on} FROM ${grantees};`,
      `ALTER DEFAULT PRIVILEGES ${forRole}IN SCHEMA public REVOKE ALL ON ${on} FROM ${grantees};`,
    ]),
    `ALTER DEFAULT PRIVILEGES ${forRole}GRANT EXECUTE ON FUNCTIONS TO PUBLIC;`,
  ]);
  return `
    DROP TABLE IF EXISTS public.docs, public."Order Items", public.sentinel CASCADE;
    DROP FUNCTION IF EXISTS public.touch(integer), public.sentinel_fn();
    DROP SCHEMA IF EXISTS "Crm" CASCADE;
    DROP SCHEMA IF EXISTS ${quoteIdent(EXTRA_SCHEMA)} CASCADE;
    REVOKE ALL ON SCHEMA public FROM PUBLIC, ${all};
    ${publicPrivileges.length ? `GRANT ${publicPrivileges.join(', ')} ON SCHEMA public TO PUBLIC;` : ''}
    ${defaults.join('\n    ')}
    DROP ROLE IF EXISTS ${quoteIdent(r.m)};
  `;
}

/**
 * Scratch copies of the declarable tables (same names and column types, in
 * schemas of their own) where each pool expression is created directly as a
 * policy, so the tests learn what PostgreSQL stores for it without going
 * through pg-access.
 */
export function scratchTablesSql(): string {
  return `
    CREATE SCHEMA scratch_public;
    CREATE SCHEMA scratch_crm;
    CREATE TABLE scratch_public.docs (${columnsOf.docs.replace('serial', 'int')});
    CREATE TABLE scratch_public."Order Items" (${columnsOf.orderItems});
    CREATE TABLE scratch_crm.accounts (${columnsOf.accounts.replace(' GENERATED ALWAYS AS IDENTITY', '')});
    CREATE TABLE scratch_crm.tags (${columnsOf.tags});
  `;
}
export const SCRATCH_SCHEMA: Record<string, string> = { public: 'scratch_public', Crm: 'scratch_crm' };
export const DROP_SCRATCH_SQL = 'DROP SCHEMA scratch_public, scratch_crm CASCADE';
