import pg from 'pg';
import { PgAccessError } from '../errors.js';
import type { Queryable } from './queryable.js';

/**
 * What connectUrl returns: a `pg` Client, typed by what pg-access offers of
 * it, so that the published types need no `@types/pg` in a user's project.
 */
export interface ConnectedClient extends Queryable {
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Opens a `pg` client for a connection URL, turning connection failures into messages a user can act on. */
export async function connectUrl(url: string): Promise<ConnectedClient> {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, application_name: 'pg-access' });
  } catch (cause) {
    throw new PgAccessError('CONNECTION_FAILED', `The connection URL is not valid (${(cause as Error).message}). Expected postgres://user:password@host:port/database.`);
  }
  try {
    await client.connect();
  } catch (cause) {
    throw connectionError(url, cause);
  }
  return client;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function connectionError(url: string, cause: unknown): PgAccessError {
  const e = cause as { code?: string; message?: string };
  const where = redactUrl(url);
  if (e.code === 'ECONNREFUSED') return new PgAccessError('CONNECTION_FAILED', `Could not connect to ${where}: connection refused. Is PostgreSQL running and listening on that host and port?`);
  if (e.code === 'ENOTFOUND') return new PgAccessError('CONNECTION_FAILED', `Could not connect to ${where}: the host name does not resolve.`);
  if (e.code === '28P01' || e.code === '28000') return new PgAccessError('CONNECTION_FAILED', `Could not connect to ${where}: authentication failed (${e.message}). Check the user name and password.`);
  if (e.code === '3D000') return new PgAccessError('CONNECTION_FAILED', `Could not connect to ${where}: ${e.message}. Create the database or fix the URL.`);
  return new PgAccessError('CONNECTION_FAILED', `Could not connect to ${where}: ${e.message ?? String(cause)}`);
}
