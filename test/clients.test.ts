/**
 * pg-access needs only `query(sql, params) → { rows }`: a pg Client, PGlite,
 * and postgres.js (through fromPostgresJs) all plan and apply.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, check, defineAccess, fromPostgresJs, grant, plan, policy, table } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'cl_app'>>>;
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('cl_app');
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

const access = (role: string, tableName: string) =>
  defineAccess({
    roles: [role],
    tables: [table(tableName, { policies: [policy('own', { to: role, using: `owner_id = current_setting('app.uid')::int` })], grants: [grant(['SELECT', 'INSERT'], { to: role })] })],
  });

describe('clients', () => {
  it('a single pg Client', async () => {
    await db.query('CREATE TABLE via_client (id serial, owner_id int)');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await apply(client, access(r.cl_app, 'via_client'));
      expect((await plan(client, access(r.cl_app, 'via_client'))).isEmpty).toBe(true);
    } finally {
      await client.end();
    }
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_policy WHERE polrelid = 'via_client'::regclass`);
    expect(rows[0].n).toBe(1);
  });

  it('postgres.js through fromPostgresJs', async () => {
    await db.query('CREATE TABLE via_postgres_js (id serial, owner_id int)');
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
    try {
      const client = fromPostgresJs(sql);
      await apply(client, access(r.cl_app, 'via_postgres_js'));
      expect((await plan(client, access(r.cl_app, 'via_postgres_js'))).isEmpty).toBe(true);
    } finally {
      await sql.end();
    }
    const { rows } = await db.query(`SELECT has_table_privilege($1, 'via_postgres_js', 'INSERT') AS ok`, [r.cl_app]);
    expect(rows[0].ok).toBe(true);
  });

  it('postgres.js with its default pool: every session is one reserved connection, also with application queries running', async () => {
    await db.query('CREATE TABLE via_postgres_pool (id serial, owner_id int)');
    const sql = postgres(db.url, { onnotice: () => undefined });
    try {
      const client = fromPostgresJs(sql);
      let stop = false;
      // The application keeps the pool's other connections busy meanwhile.
      const app = Promise.all(Array.from({ length: 4 }, async () => {
        while (!stop) await sql`SELECT count(*) FROM pg_class`;
      }));
      try {
        await apply(client, access(r.cl_app, 'via_postgres_pool'));
        expect((await check(client, access(r.cl_app, 'via_postgres_pool'))).inSync).toBe(true);
        // A changed declaration is normalized (a transaction on the reserved connection) and found.
        const changed = defineAccess({
          roles: [r.cl_app],
          tables: [table('via_postgres_pool', { policies: [policy('own', { for: 'SELECT', to: r.cl_app, using: 'owner_id = 7' })], grants: [grant(['SELECT', 'INSERT'], { to: r.cl_app })] })],
        });
        expect((await check(client, changed, { verify: true })).inSync).toBe(false);
      } finally {
        stop = true;
        await app;
      }
    } finally {
      await sql.end();
    }
  });

  it('PGlite (PostgreSQL in WebAssembly)', async () => {
    const lite = new PGlite();
    try {
      await lite.exec(`CREATE ROLE lite_app; CREATE TABLE docs (id serial, owner_id int); INSERT INTO docs (owner_id) VALUES (1), (2)`);
      await apply(lite, access('lite_app', 'docs'));
      expect((await plan(lite, access('lite_app', 'docs'))).isEmpty).toBe(true);
      await lite.exec(`SET ROLE lite_app; SELECT set_config('app.uid', '2', false)`);
      const seen = await lite.query<{ owner_id: number }>('SELECT owner_id FROM docs');
      expect(seen.rows).toEqual([{ owner_id: 2 }]);
    } finally {
      await lite.close();
    }
  });
});
