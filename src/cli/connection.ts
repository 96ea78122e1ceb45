import type { DbCredentials, PgAccessConfig } from '../config.js';
import { connectUrl, type ConnectedClient, type ExtraConnection } from '../index.js';
import { isPgAccessError, userError } from './exit-codes.js';

export interface ConnectionTarget {
  readonly url: string;
  /** Where the URL came from, named in connection errors. */
  readonly source: '--url' | 'url in the config' | 'dbCredentials in the config' | 'DATABASE_URL';
}

/** Precedence: --url, then the config's url, then its dbCredentials, then DATABASE_URL. Empty strings count as not set. */
export function resolveConnection(flagUrl: string | undefined, config: PgAccessConfig, env: NodeJS.ProcessEnv): ConnectionTarget {
  if (flagUrl) return { url: flagUrl, source: '--url' };
  if (config.url) return { url: config.url, source: 'url in the config' };
  if (config.dbCredentials) return { url: credentialsToUrl(config.dbCredentials), source: 'dbCredentials in the config' };
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'DATABASE_URL' };
  throw userError(
    'NO_CONNECTION',
    'No database to connect to. Pass --url postgres://user:password@host:5432/database, set url or dbCredentials in pg-access.config.ts, or set DATABASE_URL.',
  );
}

/** A postgres:// URL for connection parameters; a host starting with '/' is a Unix socket folder (libpq's `host=` parameter). */
export function credentialsToUrl(c: DbCredentials): string {
  const socket = c.host.startsWith('/');
  const auth = c.user === undefined ? '' : `${encodeURIComponent(c.user)}${c.password === undefined ? '' : `:${encodeURIComponent(c.password)}`}@`;
  const hostPart = socket ? '' : `${c.host.includes(':') ? `[${c.host}]` : c.host}${c.port === undefined ? '' : `:${c.port}`}`;
  const params = new URLSearchParams();
  if (socket) params.set('host', c.host);
  if (socket && c.port !== undefined) params.set('port', String(c.port));
  // `pg` treats `ssl: true` as verifying the certificate and host name: sslmode=verify-full says the same in a URL.
  if (c.ssl !== undefined) params.set('sslmode', c.ssl === true ? 'verify-full' : c.ssl === false ? 'disable' : c.ssl);
  const query = params.size ? `?${params.toString()}` : '';
  return `postgres://${auth}${hostPart}/${encodeURIComponent(c.database)}${query}`;
}

/**
 * A second connection to the same target, for the catalog read's parallel
 * half (PlanOptions.extraConnection); closed on release. A server-side
 * disconnect is reported by the failing query, never as an uncaught event.
 */
export async function openExtraConnection(target: ConnectionTarget): Promise<ExtraConnection> {
  const client = await connectUrl(target.url);
  client.on('error', () => undefined);
  return { query: (sql, params) => client.query(sql, params), release: () => client.end().catch(() => undefined) };
}

/** Connects, runs `fn`, always disconnects. Connection errors say where the URL came from. */
export async function withConnection<T>(target: ConnectionTarget, fn: (client: ConnectedClient) => Promise<T>): Promise<T> {
  let client: ConnectedClient;
  try {
    client = await connectUrl(target.url);
  } catch (error) {
    if (isPgAccessError(error)) throw userError(error.code, `${error.message} (The URL came from ${target.source}.)`, error);
    throw error;
  }
  // A server-side disconnect between queries is reported by the failing query; don't let the idle event crash the process.
  client.on('error', () => undefined);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
