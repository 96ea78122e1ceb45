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
export type ColumnsOf<T> = T extends string ? Record<string, string> : T;

export type ExpressionInput<T = any> = string | SqlLike | ((table: ColumnsOf<T>) => string | SqlLike);

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
  grants?: readonly GrantDeclaration[];
}

export interface SchemaDeclaration {
  readonly kind: 'schema';
  readonly name: string;
  readonly options: SchemaOptions;
}

export interface AccessInput {
  /** The roles pg-access manages grants for. Every role a policy or grant names must be here. They must already exist. */
  roles: readonly string[];
  /** Extra schemas to create if missing and grant on; schemas of declared tables are included automatically. */
  schemas?: readonly (string | SchemaDeclaration)[];
  /** Declared tables: table(...) entries, or bare Drizzle tables / names (their Drizzle pgPolicy/enableRLS is picked up). */
  tables: readonly (TableDeclaration<any> | TableInput)[];
}

export interface AccessDeclaration {
  readonly kind: 'access';
  readonly roles: readonly string[];
  readonly schemas: readonly SchemaDeclaration[];
  readonly tables: readonly TableDeclaration<any>[];
}
