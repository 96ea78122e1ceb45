import { PgAccessError } from '../errors.js';
/**
 * The one thing pg-access needs from a database client: run SQL with
 * positional parameters and return rows. A `pg` Client or Pool fits as is;
 * PGlite does too; see the adapters for postgres.js.
 *
 * Statements pg-access sends are single statements; multi-statement strings
 * are never required of a client.
 */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/** A pool hands out dedicated connections; transactions need one. */
export interface PoolLike extends Queryable {
  connect(): Promise<Queryable & { release(err?: unknown): void }>;
}

/** A pg Pool (a pg Client has connect() too, to open itself: totalCount tells them apart), or fromPostgresJs's wrapper. */
export function isPoolLike(db: Queryable): db is PoolLike {
  const d = db as Partial<PoolLike> & { totalCount?: unknown; pooled?: unknown };
  return typeof d.connect === 'function' && (typeof d.totalCount === 'number' || d.pooled === true);
}

/** A session: one connection, released when done. A plain client is used as is and not closed. */
export async function withSession<T>(db: Queryable, fn: (session: Queryable) => Promise<T>): Promise<T> {
  assertQueryable(db);
  if (!isPoolLike(db)) return fn(db);
  const session = await borrowConnection(db);
  try {
    return await fn(session);
  } finally {
    session.release();
  }
}

/** A connection of its own beside the session, for reads that can run at the same time; release() hands it back or closes it. */
export interface ExtraConnection extends Queryable {
  release(): unknown;
}

/**
 * A connection from a pool. A checked-out pg client has no 'error' listener
 * (the pool's is removed until release): if the server closes the
 * connection, node-postgres emits 'error' on it, which would be an uncaught
 * exception. Listen while we hold it, and hand a broken client back as
 * broken so the pool discards it.
 */
export async function borrowConnection(pool: PoolLike): Promise<ExtraConnection> {
  const client = await pool.connect();
  const events = client as { on?(event: 'error', fn: (e: unknown) => void): unknown; off?(event: 'error', fn: (e: unknown) => void): unknown };
  let lost: unknown;
  const onError = (error: unknown) => void (lost ??= error);
  events.on?.('error', onError);
  return {
    query: (sql, params) => client.query(sql, params),
    release: () => {
      events.off?.('error', onError);
      client.release(lost);
    },
  };
}

/** A second connection that cannot be had (a connection limit, say) is no error: the caller does the work on its session. */
export async function openQuietly(open: () => Promise<ExtraConnection>): Promise<ExtraConnection | null> {
  try {
    return await open();
  } catch {
    return null;
  }
}

/**
 * One extra connection shared by the steps of a plan that can use it (the
 * catalog read, then normalization): opened on first use, at most once, and
 * closed by close(). What it lends has a release() that does nothing, so
 * each step can treat it as its own.
 */
export interface SharedConnection {
  lend(): Promise<ExtraConnection>;
  close(): Promise<void>;
}

export function shareConnection(open: () => Promise<ExtraConnection>): SharedConnection {
  let opening: Promise<ExtraConnection> | undefined;
  return {
    lend: async () => {
      const connection = await (opening ??= open());
      return { query: (sql, params) => connection.query(sql, params), release: () => undefined };
    },
    close: async () => {
      if (!opening) return;
      const connection = await opening.catch(() => undefined);
      await connection?.release();
    },
  };
}

interface PostgresJsLike {
  unsafe(query: string, params?: unknown[]): Promise<unknown>;
  /** postgres.js 3.4+: a connection of one's own until release(). */
  reserve?(): Promise<PostgresJsLike & { release(): void }>;
}

/**
 * postgres.js: `fromPostgresJs(sql)` wraps its tagged-template client into a
 * Queryable. With a pool (postgres.js's default), consecutive queries may go
 * to different connections, and postgres.js refuses BEGIN outside
 * `sql.begin`/`sql.reserve` (UNSAFE_TRANSACTION): so plan, check and apply
 * take a reserved connection for their session, as they do from a pg Pool.
 */
export function fromPostgresJs(sql: PostgresJsLike): Queryable {
  const over = (s: PostgresJsLike): Queryable => ({ query: async (text, params) => ({ rows: [...((await s.unsafe(text, params ?? [])) as unknown[])] }) });
  const reserve = sql.reserve?.bind(sql);
  if (!reserve) return over(sql);
  const pool: PoolLike & { readonly pooled: true } = {
    ...over(sql),
    pooled: true,
    connect: async () => {
      const reserved = await reserve();
      return { ...over(reserved), release: () => reserved.release() };
    },
  };
  return pool;
}

/** What every entry point (plan, apply, check, pull, audit, lint) is given first: a client, not a connection string. */
export function assertQueryable(db: unknown): asserts db is Queryable {
  if (typeof db === 'object' && db !== null && typeof (db as { query?: unknown }).query === 'function') return;
  const given = typeof db === 'string' ? 'a string (a connection URL?)' : db === null || db === undefined ? String(db) : `a ${typeof db} without query()`;
  throw new PgAccessError(
    'INVALID_CLIENT',
    `pg-access needs a database client: a pg Client or Pool, PGlite, postgres.js through fromPostgresJs(sql), or any object with query(sql, params); got ${given}. For a URL: new pg.Pool({ connectionString: url }).`,
  );
}
