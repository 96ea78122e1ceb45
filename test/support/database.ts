/**
 * Per-test database helpers for tests that run against real PostgreSQL.
 *
 * The cluster comes from test/global-setup.ts (`inject('pgAdminUrl')`). Every
 * createTestDatabase() call gets a fresh database, so test files can run in
 * parallel. Roles, however, are cluster-global: name them with uniqueName().
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  /** Superuser connection URL to this database. */
  url: string;
  /** Database name (pga_<random>). */
  name: string;
  /** Superuser pool on this database. */
  pool: pg.Pool;
  /** Superuser pool on the same cluster, database `postgres`. */
  admin: pg.Pool;
  /** Shorthand for pool.query(). */
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Ends both pools and drops the database WITH (FORCE). Idempotent. */
  close(): Promise<void>;
}

/** Quote an SQL identifier ("name" with embedded quotes doubled). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A cluster-unique lower-case identifier: `<prefix>_<12 hex chars>`. Use it for
 * roles and other cluster-global objects (test files run in parallel).
 */
export function uniqueName(prefix: string): string {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (Buffer.byteLength(name) > 63) throw new Error(`uniqueName: "${name}" is longer than 63 bytes`);
  return name;
}

/** The superuser URL of the test cluster (database `postgres`). */
export function adminUrl(): string {
  const url = inject('pgAdminUrl');
  if (!url) throw new Error('pgAdminUrl was not provided: is test/global-setup.ts configured as vitest globalSetup?');
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

function newPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 10_000 });
  // An idle client may be terminated by the server (e.g. DROP DATABASE WITH (FORCE),
  // pg_terminate_backend in a test): don't let that crash the worker.
  pool.on('error', () => undefined);
  return pool;
}

/** Create a fresh, empty database on the test cluster. Call close() when done. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const baseUrl = adminUrl();
  const name = uniqueName('pga');
  const admin = newPool(withDatabase(baseUrl, 'postgres'), 2);
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  const url = withDatabase(baseUrl, name);
  const pool = newPool(url, 5);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        await pool.end();
      } finally {
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      }
    })();
    return closing;
  };

  return {
    url,
    name,
    pool,
    admin,
    query: (sql, params) => pool.query(sql, params as unknown[] | undefined),
    close,
  };
}

/**
 * Run `fn` inside a transaction as `role` (SET LOCAL ROLE), with the given
 * settings applied transaction-locally via set_config(key, value, true) (e.g.
 * `{ 'app.user_id': '42' }` for policies reading current_setting('app.user_id')).
 * Always rolls back, so nothing `fn` writes persists; rethrows fn's error.
 */
export async function asRole<T>(
  pool: pg.Pool,
  role: string,
  settings: Record<string, string>,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
    for (const [key, value] of Object.entries(settings)) {
      await client.query('SELECT set_config($1, $2, true)', [key, value]);
    }
    return await fn(client);
  } finally {
    try {
      await client.query('ROLLBACK');
    } catch (error) {
      broken = error as Error;
    }
    client.release(broken);
  }
}
