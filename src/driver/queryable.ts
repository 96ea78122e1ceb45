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

export function isPoolLike(db: Queryable): db is PoolLike {
  return typeof (db as Partial<PoolLike>).connect === 'function' && typeof (db as { totalCount?: unknown }).totalCount === 'number';
}

/** A session: one connection, released when done. A plain client is used as is and not closed. */
export async function withSession<T>(db: Queryable, fn: (session: Queryable) => Promise<T>): Promise<T> {
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

/** postgres.js: `fromPostgresJs(sql)` wraps its tagged-template client into a Queryable. */
export function fromPostgresJs(sql: { unsafe(query: string, params?: unknown[]): Promise<unknown> }): Queryable {
  return { query: async (text, params) => ({ rows: [...((await sql.unsafe(text, params ?? [])) as unknown[])] }) };
}
