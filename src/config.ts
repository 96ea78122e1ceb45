import type { BuiltinMigrationFormat } from './render/migration/write-migration.js';
import type { AccessExpectation } from './testing/expectations.js';

/**
 * The shape of `pg-access.config.ts`, read by the `pg-access` CLI. Relative
 * paths are resolved against the folder holding the config file.
 */
export interface PgAccessConfig {
  /** The module whose default export (or export named `access`) is the `defineAccess(...)` result, e.g. './src/access.ts'. */
  readonly access: string;
  /** A connection URL. Overridden by `--url`; takes precedence over `dbCredentials` and `DATABASE_URL`. */
  readonly url?: string;
  /** Connection parameters, when there is no URL. A `host` starting with '/' is a Unix socket folder. */
  readonly dbCredentials?: DbCredentials;
  /** Where `pg-access generate` writes migrations. Default './migrations'. */
  readonly out?: string;
  /** The migration format `generate` writes. Default 'sql'. */
  readonly format?: BuiltinMigrationFormat | (string & {});
  /** How long `apply` waits for each table lock, in milliseconds. Default 5000. */
  readonly lockTimeoutMs?: number;
  /** `pg-access lint`: findings the team accepted (each with its reason), and the severity that fails the command. */
  readonly lint?: {
    readonly ignore?: readonly { readonly rule: string; readonly object: string; readonly reason: string }[];
    /** Default 'error'. */
    readonly failOn?: 'error' | 'warning' | 'info' | 'never';
  };
  /** `pg-access test`: who may do what to which rows, checked as each role after `seed`, in a transaction rolled back at the end. */
  readonly test?: {
    /** SQL files (fixture rows) run first as the connecting user, relative to the config. */
    readonly seed?: string | readonly string[];
    /** For `pg-access test --pglite`: SQL files that create the tables (a schema dump, the migrations), run on a fresh PGlite before the declaration is applied. */
    readonly schema?: string | readonly string[];
    readonly expect: readonly AccessExpectation[];
  };
}

export interface DbCredentials {
  readonly host: string;
  /** Default 5432. */
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database: string;
  /** true: verify the certificate and host name (sslmode=verify-full, what `pg` does with `ssl: true`); a string is passed as sslmode. */
  readonly ssl?: boolean | 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
}

/** Identity function giving `pg-access.config.ts` its types: `export default defineConfig({ access: './src/access.ts' })`. */
export function defineConfig(config: PgAccessConfig): PgAccessConfig {
  return config;
}
