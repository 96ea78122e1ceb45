/**
 * Kysely users declare tables by their key in the Database interface
 * Kysely already types (issue 12): `table<DB, 'documents'>('documents', ...)`
 * types the expression callbacks from it, so a misspelt column is a compile
 * error (checked by `npm run typecheck`, which covers this file), and the
 * declaration applies and is enforced like any other.
 */
import type { Generated } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, check, defineAccess, grant, policy, table } from '../src/index.js';
import { asRole, createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

interface Database {
  documents: { id: Generated<number>; owner_id: number; title: string };
  'app.notes': { id: Generated<number>; author_id: number };
}

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'ky_app'>>>;
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('ky_app');
  await db.query(`CREATE TABLE documents (id serial PRIMARY KEY, owner_id int NOT NULL, title text);
    INSERT INTO documents (owner_id, title) VALUES (1, 'a'), (2, 'b');
    CREATE SCHEMA app; CREATE TABLE app.notes (id serial PRIMARY KEY, author_id int NOT NULL)`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

describe('table<DB, name>: columns typed from a Kysely Database interface', () => {
  it('applies, and PostgreSQL enforces it', async () => {
    const access = defineAccess({
      roles: [r.ky_app],
      tables: [
        table<Database, 'documents'>('documents', {
          grants: [grant('SELECT', { to: r.ky_app })],
          policies: [policy('own', { for: 'SELECT', to: r.ky_app, using: (t) => `${t.owner_id} = current_setting('app.uid')::int` })],
        }),
        table<Database, 'app.notes'>('app.notes', {
          policies: [policy('mine', { for: 'SELECT', to: r.ky_app, using: (t) => `${t.author_id} = 1` })],
        }),
      ],
    });
    await apply(db.pool, access);
    expect((await check(db.pool, access)).inSync).toBe(true);
    const seen = await asRole(db.pool, r.ky_app, { 'app.uid': '2' }, async (c) => (await c.query('SELECT title FROM documents')).rows.map((row) => row.title));
    expect(seen).toEqual(['b']);
  });

  it('a misspelt column or table is a compile error', () => {
    const typed = () => [
      // @ts-expect-error ownr_id is not a column of documents
      table<Database, 'documents'>('documents', { policies: [policy('own', { using: (t) => `${t.ownr_id} = 1` })] }),
      // @ts-expect-error 'document' is not a table of Database
      table<Database, 'document'>('document'),
    ];
    expect(typed).toBeTypeOf('function');
  });
});
