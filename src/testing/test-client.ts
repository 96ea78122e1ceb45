/**
 * The clients a test suite uses, behind one shape: a `pg` Pool or Client,
 * postgres.js's `sql`, PGlite (in-process PostgreSQL). A transaction on one
 * connection that is always rolled back is all the toolkit asks of them.
 */
import { PgAccessError } from '../errors.js';

/** A statement's result: its rows, and how many rows it changed (INSERT, UPDATE, DELETE). */
export interface StatementResult {
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number;
}

/** One connection inside the test's transaction. */
export interface TestConnection {
  /** One statement, with $1... parameters. */
  query(sql: string, params?: readonly unknown[]): Promise<StatementResult>;
  /** A script of several statements, no parameters (a seed file). */
  exec(sql: string): Promise<void>;
}

/** A pg Pool, a pg Client, postgres.js's sql, or a PGlite instance. */
export type TestClient = object;

interface PgClientLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}
interface PgPoolLike extends PgClientLike {
  connect(): Promise<PgClientLike & { release(err?: unknown): void }>;
  totalCount: number;
}
interface PostgresJsLike {
  unsafe(sql: string, params?: unknown[]): Promise<Record<string, unknown>[] & { count?: number }> & { simple?(): Promise<unknown> };
  begin(fn: (sql: PostgresJsLike) => Promise<unknown>): Promise<unknown>;
}
interface PGliteLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  transaction<R>(fn: (tx: PGliteLike & { rollback(): Promise<void> }) => Promise<R>): Promise<R>;
}

const isPostgresJs = (db: unknown): db is PostgresJsLike => typeof db === 'function' && typeof (db as unknown as PostgresJsLike).unsafe === 'function' && typeof (db as unknown as PostgresJsLike).begin === 'function';
const isPglite = (db: unknown): db is PGliteLike =>
  typeof db === 'object' && db !== null && typeof (db as PGliteLike).transaction === 'function' && typeof (db as PGliteLike).exec === 'function' && typeof (db as PGliteLike).query === 'function';
const isPgPool = (db: unknown): db is PgPoolLike => typeof db === 'object' && db !== null && typeof (db as PgPoolLike).connect === 'function' && typeof (db as PgPoolLike).totalCount === 'number';
const isPgClient = (db: unknown): db is PgClientLike => typeof db === 'object' && db !== null && typeof (db as PgClientLike).query === 'function';

/** Thrown inside a client's own transaction helper to end it with ROLLBACK, and caught again. */
class RollBack extends Error {}

/** Runs `fn` in a transaction on one connection of `db`, and rolls it back whatever happens. */
export async function inRolledBackTransaction<R>(db: TestClient, fn: (connection: TestConnection) => Promise<R>): Promise<R> {
  if (isPostgresJs(db)) {
    let result: R | undefined;
    try {
      await db.begin(async (sql) => {
        result = await fn({
          query: async (text, params) => {
            const rows = await sql.unsafe(text, params ? [...params] : []);
            return { rows: [...rows], rowCount: rows.count ?? rows.length };
          },
          exec: async (text) => void (await (sql.unsafe(text) as { simple(): Promise<unknown> }).simple()),
        });
        throw new RollBack();
      });
    } catch (error) {
      if (!(error instanceof RollBack)) throw error;
    }
    return result as R;
  }
  if (isPglite(db)) {
    return db.transaction(async (tx) => {
      try {
        return await fn({
          query: async (text, params) => {
            const r = await tx.query(text, params ? [...params] : []);
            return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
          },
          exec: async (text) => void (await tx.exec(text)),
        });
      } finally {
        await tx.rollback();
      }
    });
  }
  if (isPgPool(db) || isPgClient(db)) {
    const client = isPgPool(db) ? await db.connect() : db;
    const connection: TestConnection = {
      query: async (text, params) => {
        const r = await client.query(text, params ? [...params] : []);
        return { rows: r.rows, rowCount: r.rowCount ?? r.rows.length };
      },
      // No parameters: pg sends it as a simple query, which may hold several statements.
      exec: async (text) => void (await client.query(text)),
    };
    let broken: unknown;
    try {
      await client.query('BEGIN');
      return await fn(connection);
    } finally {
      try {
        await client.query('ROLLBACK');
      } catch (error) {
        broken = error;
      }
      if (isPgPool(db)) (client as unknown as { release(err?: unknown): void }).release(broken);
    }
  }
  throw new PgAccessError('INVALID_CLIENT', 'The testing toolkit takes a pg Pool or Client, postgres.js\'s sql, or a PGlite instance.');
}
