/**
 * The user-facing declaration shapes. They are inert data: nothing here talks
 * to a database or renders SQL. `resolveDeclaration` turns them into the
 * canonical model once the server's facts (version, owners, sequences) are known.
 */

/** Anything with a `getSQL()` (a Drizzle `sql` template, a column, ...). */
export interface SqlLike {
  getSQL(): unknown;
}

/** What the callback form of `using`/`withCheck` receives: the Drizzle table, or for a plain name a proxy whose properties are quoted column names. */
export type ColumnsOf<T> = T extends string ? Record<string, string> : T extends TypedTableObject<infer C> ? C : T;

/**
 * A front end's table object whose expression callbacks receive something
 * other than the object itself (a Prisma model's field map): it carries
 * that map under this key, for the types.
 */
export interface TypedTableObject<C> {
  readonly '~pgAccessColumns': C;
}

/** A row type's columns (a Kysely table interface's keys), each the quoted column name in an expression. */
export type ColumnMap<Row> = { readonly [K in keyof Row & string]: string };

export type ExpressionInput<T = any> = string | SqlLike | ((table: ColumnsOf<T>) => string | SqlLike | Promise<string | SqlLike>);

export type PolicyCommandInput = 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

export interface PolicyOptions<T = any> {
  /** Default 'permissive' (PostgreSQL's default). */
  as?: 'permissive' | 'restrictive';
  /** Default 'ALL'. A list expands into one policy per command, named `<name>_<command>`. */
  for?: PolicyCommandInput | readonly PolicyCommandInput[];
  /** Roles from `defineAccess({ roles })`, or 'public', 'current_user', 'current_role', 'session_user'. Default 'public'. */
  to?: string | readonly string[];
  using?: ExpressionInput<T>;
  withCheck?: ExpressionInput<T>;
}

export interface PolicyDeclaration<T = any> {
  readonly kind: 'policy';
  readonly name: string;
  readonly options: PolicyOptions<T>;
}

export interface GrantOptions {
  to: string | readonly string[];
  /** WITH GRANT OPTION. Default false. */
  withGrantOption?: boolean;
  /**
   * In a table's grants only: column privileges (SELECT, INSERT, UPDATE,
   * REFERENCES) on these columns instead of the whole table. Drizzle column
   * objects or column names.
   */
  columns?: readonly (string | { readonly name: string })[];
}

export interface GrantDeclaration {
  readonly kind: 'grant';
  readonly privileges: readonly string[];
  readonly options: GrantOptions;
}

export interface TableOptions<T = any> {
  /**
   * true: ENABLE ROW LEVEL SECURITY; 'force': also FORCE it (for tables the
   * application role owns); false: disable it (policies then do nothing: warned).
   * Left out: enabled when the table has policies (fail closed), otherwise the
   * flag is left as the database has it.
   */
  rls?: boolean | 'force';
  policies?: readonly PolicyDeclaration<T>[];
  grants?: readonly GrantDeclaration[];
}

/** A Drizzle table object, or 'schema.table' / 'table' (unqualified means public). */
export type TableInput = string | object;

export interface TableDeclaration<T = any> {
  readonly kind: 'table';
  readonly table: TableInput;
  readonly options: TableOptions<T>;
}

export interface SchemaOptions {
  /** The schema's whole ACL for the managed roles: exactly these (no USAGE is added for grantees of its objects). */
  grants?: readonly GrantDeclaration[];
  /**
   * PostgreSQL gives PUBLIC USAGE on the public schema (and CREATE before
   * 15). true: PUBLIC keeps only what `grants` gives it; the downgrade gives
   * back what it had. Left out: PUBLIC's entry is left as it is (unless PUBLIC
   * is a grantee elsewhere in the declaration).
   */
  revokeFromPublic?: boolean;
}

export interface SchemaDeclaration {
  readonly kind: 'schema';
  readonly name: string;
  readonly options: SchemaOptions;
}

/** A membership: the role to be a member of, with its options (INHERIT and SET exist from PostgreSQL 16 on). */
export interface MembershipInput {
  role: string;
  /** WITH ADMIN OPTION: the member may grant the role to others. Default false. */
  admin?: boolean;
  /** PostgreSQL 16+: use the role's privileges without SET ROLE. Default: the member's own `inherit` attribute (as PostgreSQL does). */
  inherit?: boolean;
  /** PostgreSQL 16+: may SET ROLE to it. Default true. */
  set?: boolean;
}

export interface ExistingRoleOptions {
  /** Roles it is a member of. For an existing role, memberships in roles declared with role() are managed; others are only added. */
  inRoles?: readonly (string | MembershipInput)[];
  /**
   * 'unmanaged': the role is named by policies only; pg-access never grants
   * or revokes its privileges (a provider's `authenticated`, whose grants
   * the provider or your migrations keep), and a grant() naming it is an
   * error. 'where-declared': its privileges are managed only on the objects
   * where the declaration grants it something (exactly those there), and
   * left alone and unreported everywhere else (what supabase() declares
   * for anon, authenticated and service_role). Default 'managed': its grants
   * on declared objects are exactly the declared ones.
   */
  grants?: 'managed' | 'unmanaged' | 'where-declared';
}

export interface RoleOptions extends Omit<ExistingRoleOptions, 'grants'> {
  /** Every attribute left out takes CREATE ROLE's default (NOLOGIN, INHERIT, NOBYPASSRLS, NOCREATEDB, NOCREATEROLE, no connection limit, no expiry). */
  login?: boolean;
  inherit?: boolean;
  bypassRls?: boolean;
  createDb?: boolean;
  createRole?: boolean;
  /** -1 or left out: no limit. */
  connectionLimit?: number;
  /** A Date or a timestamp PostgreSQL-style ('2027-01-01T00:00:00Z'); null / 'infinity': never expires. */
  validUntil?: Date | string | null;
  /**
   * Never a password in code: the name of an environment variable read by
   * `apply` only (never written to a plan or a migration file). Applied when
   * the role is created, or on every apply with `setPasswords: true`
   * (`pg-access apply --set-passwords`).
   */
  password?: { readonly env: string };
}

/** A role pg-access creates when missing and whose attributes it keeps as declared. */
export interface RoleDeclaration {
  readonly kind: 'role';
  readonly name: string;
  readonly options: RoleOptions;
}

/** A role that exists already and that pg-access never creates, alters or drops (provider roles such as anon or rds_superuser). */
export interface ExistingRoleDeclaration {
  readonly kind: 'existing-role';
  readonly name: string;
  readonly options: ExistingRoleOptions;
}

export type RoleInput = string | RoleDeclaration | ExistingRoleDeclaration;

export interface SequenceOptions {
  grants?: readonly GrantDeclaration[];
}

export interface SequenceDeclaration {
  readonly kind: 'sequence';
  readonly sequence: string;
  readonly options: SequenceOptions;
}

export interface RoutineOptions {
  /** EXECUTE (the only routine privilege). */
  grants?: readonly GrantDeclaration[];
  /**
   * PostgreSQL lets PUBLIC execute every new function. true: PUBLIC keeps
   * only what `grants` gives it (usually nothing). Left out: PUBLIC's EXECUTE
   * is left as it is.
   */
  revokeFromPublic?: boolean;
}

export interface RoutineDeclaration {
  readonly kind: 'routine';
  /** 'schema.name(argument types)', e.g. 'app.current_tenant()' or 'app.transfer(integer, numeric)'. */
  readonly signature: string;
  readonly options: RoutineOptions;
}

export interface DatabaseOptions {
  /** CONNECT, TEMPORARY, CREATE on the database pg-access is connected to. */
  grants?: readonly GrantDeclaration[];
  /** PostgreSQL lets PUBLIC connect and create temporary tables. true: PUBLIC keeps only what `grants` gives it. Left out: left as it is. */
  revokeFromPublic?: boolean;
}

export interface DatabaseDeclaration {
  readonly kind: 'database';
  readonly options: DatabaseOptions;
}

export type DefaultObjectTypeInput = 'tables' | 'sequences' | 'functions' | 'routines' | 'types' | 'schemas';

export interface DefaultPrivilegesOptions {
  /** Whose future objects: default the role pg-access connects as (ALTER DEFAULT PRIVILEGES without FOR ROLE). */
  forRole?: string;
  /** Only objects created in this schema; left out: everywhere (not allowed with on: 'schemas'). */
  inSchema?: string;
  on: DefaultObjectTypeInput;
  grants?: readonly GrantDeclaration[];
  /** For functions and types, which PUBLIC may use by default: true takes that away (PUBLIC keeps only what `grants` gives it). */
  revokeFromPublic?: boolean;
}

export interface DefaultPrivilegesDeclaration {
  readonly kind: 'default-privileges';
  readonly options: DefaultPrivilegesOptions;
}

/** allIn('app'): every object of a kind in these schemas, but those `except` names, found when planning. */
export interface ObjectSelector {
  readonly kind: 'selector';
  readonly schemas: readonly string[];
  /** 'schema.name' (a routine's every overload) or, for a routine, 'schema.name(argument types)'. */
  readonly except: readonly string[];
}

/** tables(allIn('app'), { grants, rls, policies }): each table the selector finds, declared with these options. */
export interface TablesDeclaration {
  readonly kind: 'tables';
  readonly selector: ObjectSelector;
  readonly options: TableOptions<string>;
}

export interface SequencesDeclaration {
  readonly kind: 'sequences';
  readonly selector: ObjectSelector;
  readonly options: SequenceOptions;
}

export interface RoutinesDeclaration {
  readonly kind: 'routines';
  readonly selector: ObjectSelector;
  readonly options: RoutineOptions;
}

export type SelectorDeclaration = TablesDeclaration | SequencesDeclaration | RoutinesDeclaration;

export interface AccessInput {
  /**
   * Every role the declaration names. A string or existingRole(name) is a role
   * that must exist already: pg-access manages its grants but never creates,
   * alters or drops it. role(name, options) is a role pg-access creates and
   * keeps as declared.
   */
  roles: readonly RoleInput[];
  /** Sequences managed explicitly (beyond the USAGE INSERT needs on serial/identity sequences, which is implied); sequences(allIn(...)) for all of a schema's. */
  sequences?: readonly (string | SequenceDeclaration | SequencesDeclaration)[];
  /** Functions and procedures whose EXECUTE privilege is managed; routines(allIn(...)) for all of a schema's. */
  routines?: readonly (RoutineDeclaration | RoutinesDeclaration)[];
  /** Privileges on the database pg-access is connected to. */
  database?: DatabaseDeclaration;
  /** ALTER DEFAULT PRIVILEGES: what objects created later receive. */
  defaultPrivileges?: readonly DefaultPrivilegesDeclaration[];
  /** Extra schemas to create if missing and grant on; schemas of declared tables are included automatically. */
  schemas?: readonly (string | SchemaDeclaration)[];
  /**
   * Declared tables: table(...) entries, or bare Drizzle tables / names (their
   * Drizzle pgPolicy/enableRLS is picked up), and what templates return (a
   * list, as tenantIsolation gives, counts as its entries). Entries for one
   * table are merged.
   */
  tables: readonly (TableDeclaration<any> | TableInput | readonly TableDeclaration<any>[] | TablesDeclaration)[];
  /**
   * Grants pg-access adds because another grant needs them: USAGE on the
   * schema of a granted object when that schema is not declared, and USAGE
   * on a table's serial/identity sequences for its INSERT grantees. Default
   * true. false: only what is declared is granted (a grantee left without
   * USAGE on a schema gets an INERT_GRANT warning), and owned sequences are
   * left alone.
   */
  impliedGrants?: boolean;
}

export interface AccessDeclaration {
  readonly kind: 'access';
  readonly roles: readonly (RoleDeclaration | ExistingRoleDeclaration)[];
  readonly sequences: readonly SequenceDeclaration[];
  readonly routines: readonly RoutineDeclaration[];
  readonly database: DatabaseDeclaration | undefined;
  readonly defaultPrivileges: readonly DefaultPrivilegesDeclaration[];
  readonly schemas: readonly SchemaDeclaration[];
  readonly tables: readonly TableDeclaration<any>[];
  readonly impliedGrants: boolean;
  /** tables(...), sequences(...), routines(...) of selectors: expanded against the catalogs when planning. */
  readonly selectors?: readonly SelectorDeclaration[];
}
