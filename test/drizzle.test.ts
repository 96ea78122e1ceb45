/**
 * Drizzle tables as declarations: names and columns come from the model, and
 * a table's own pgPolicy(...) / .enableRLS() is picked up as if declared here.
 */
import { sql } from 'drizzle-orm';
import { integer, pgPolicy, pgRole, pgSchema, pgTable, serial, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, grant, plan, policy, table } from '../src/index.js';
import { accessSnapshot, policiesOf, relation } from './support/catalog.js';
import { asRole, createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'dz_app'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('dz_app');
  await db.query(`CREATE SCHEMA content;
    CREATE TABLE content.notes (id serial PRIMARY KEY, owner_id int NOT NULL, "Title" text);
    INSERT INTO content.notes (owner_id, "Title") VALUES (1, 'one'), (2, 'two');
    CREATE TABLE public.tagged (id serial PRIMARY KEY, tag text)`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

describe('drizzle tables', () => {
  it('renders column references by their database names and applies', async () => {
    const content = pgSchema('content');
    const notes = content.table('notes', { id: serial('id').primaryKey(), ownerId: integer('owner_id').notNull(), title: text('Title') });
    const access = defineAccess({
      roles: [r.dz_app],
      tables: [
        table(notes, {
          policies: [
            policy('own', {
              for: 'SELECT',
              to: r.dz_app,
              using: (t) => sql`${t.ownerId} = current_setting('app.uid')::int and ${t.title} <> ${"it's"}`,
            }),
          ],
          grants: [grant('SELECT', { to: r.dz_app })],
        }),
      ],
    });
    const p = await plan(db.pool, access);
    expect(p.operations.find((o) => o.op.kind === 'create-policy')!.sql[0]).toContain(`((owner_id = (current_setting('app.uid'::text))::integer) AND ("Title" <> 'it''s'::text))`);
    await apply(db.pool, access);
    const seen = await asRole(db.pool, r.dz_app, { 'app.uid': '1' }, async (c) => (await c.query('SELECT "Title" FROM content.notes')).rows);
    expect(seen).toEqual([{ Title: 'one' }]);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it("picks up a table's own pgPolicy and enableRLS, and its pgRole", async () => {
    const appRole = pgRole(r.dz_app).existing();
    const tagged = pgTable('tagged', { id: serial('id').primaryKey(), tag: text('tag') }, (t) => [
      pgPolicy('tag_reader', { as: 'permissive', for: 'select', to: appRole, using: sql`${t.tag} is not null` }),
    ]).enableRLS();
    const access = defineAccess({ roles: [], tables: [tagged] });
    await apply(db.pool, access);
    const s = await accessSnapshot(db.pool);
    expect(relation(s, 'public', 'tagged').rls).toBe(true);
    expect(policiesOf(s, 'public', 'tagged')).toEqual([expect.objectContaining({ name: 'tag_reader', cmd: 'SELECT', roles: [r.dz_app], qual: '(tag IS NOT NULL)' })]);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });
});
