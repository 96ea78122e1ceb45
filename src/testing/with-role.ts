import { PgAccessError } from '../errors.js';
import { quoteIdent } from '../render/sql/quote.js';
import { inRolledBackTransaction, type StatementResult, type TestClient, type TestConnection } from './test-client.js';

/** The transaction withRole() hands to the test: queries run as `role`, with `settings` set. */
export interface RoleSession extends TestConnection {
  readonly role: string;
  readonly settings: Readonly<Record<string, string>>;
}

export interface WithRoleOptions {
  /** Transaction-local settings (`set_config(name, value, true)`), as the application sets them per request: { 'app.user_id': '42' }. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** SQL run first, as the connecting user (fixture rows), rolled back with the rest. */
  readonly seed?: string;
}

/**
 * Runs `fn` in a transaction as `role` (SET LOCAL ROLE) with `settings`
 * set transaction-locally, and rolls it all back: nothing a test does in
 * it, seed included, is left behind. Works on a pg Pool or Client,
 * postgres.js and PGlite. The connecting user must be able to SET ROLE to
 * `role` (a superuser, or a member of it).
 */
export function withRole<R>(db: TestClient, role: string, fn: (tx: RoleSession) => Promise<R>): Promise<R>;
export function withRole<R>(db: TestClient, role: string, options: WithRoleOptions, fn: (tx: RoleSession) => Promise<R>): Promise<R>;
export async function withRole<R>(db: TestClient, role: string, optionsOrFn: WithRoleOptions | ((tx: RoleSession) => Promise<R>), maybeFn?: (tx: RoleSession) => Promise<R>): Promise<R> {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (typeof fn !== 'function') throw new PgAccessError('INVALID_ARGUMENT', 'withRole(db, role, [options,] fn): fn is the test body, an async function of the transaction.');
  if (typeof role !== 'string' || role === '') throw new PgAccessError('INVALID_ARGUMENT', `withRole() needs a role name, got ${JSON.stringify(role)}.`);
  const settings = settingsText(options.settings);
  return inRolledBackTransaction(db, async (connection) => {
    if (options.seed) await connection.exec(options.seed);
    await asRole(connection, role, settings);
    return fn({ ...connection, role, settings });
  });
}

/** Settings as the text set_config stores. */
export function settingsText(settings: WithRoleOptions['settings']): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings ?? {})) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new PgAccessError('INVALID_ARGUMENT', `setting ${JSON.stringify(name)} must be a string, number or boolean, got ${typeof value}.`);
    result[name] = String(value);
  }
  return result;
}

/** SET LOCAL ROLE and the settings, on the current transaction (or savepoint: rolled back with it). */
export async function asRole(connection: TestConnection, role: string, settings: Readonly<Record<string, string>>): Promise<void> {
  await connection.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
  for (const [name, value] of Object.entries(settings)) await connection.query('SELECT set_config($1, $2, true)', [name, value]);
}

/** What a statement did: its result, or the error PostgreSQL raised (the transaction goes on: it ran in a savepoint). */
export type Attempt = { readonly ok: true; readonly result: StatementResult } | { readonly ok: false; readonly error: { readonly code?: string; readonly message: string } };

let savepoints = 0;
// Checks on one transaction take turns (keyed by its query function): savepoints of checks run together (Promise.all) would interleave.
const turns = new WeakMap<object, Promise<unknown>>();

/** Runs one statement in a savepoint and undoes it, so that a refused statement leaves the transaction usable and a check changes nothing. */
export function attempt(connection: TestConnection, sql: string, params?: readonly unknown[]): Promise<Attempt> {
  const previous = turns.get(connection.query) ?? Promise.resolve();
  const mine = previous.then(() => attemptNow(connection, sql, params));
  turns.set(connection.query, mine.catch(() => undefined));
  return mine;
}

async function attemptNow(connection: TestConnection, sql: string, params?: readonly unknown[]): Promise<Attempt> {
  const name = `pg_access_check_${++savepoints}`;
  await connection.query(`SAVEPOINT ${name}`);
  try {
    return { ok: true, result: await connection.query(sql, params) };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { ok: false, error: { ...(e.code ? { code: e.code } : {}), message: String(e.message ?? error) } };
  } finally {
    await connection.query(`ROLLBACK TO SAVEPOINT ${name}`);
    await connection.query(`RELEASE SAVEPOINT ${name}`);
  }
}
