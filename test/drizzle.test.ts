/**
 * Drizzle tables as declarations: names and columns come from the model, and
 * a table's own pgPolicy(...) / .enableRLS() is picked up as if declared here.
 */
import { sql } from 'drizzle-orm';
import { integer, pgPolicy, pgRole, pgSchema, pgTable, serial, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, grant, plan, policy, table } from '../src/index.js';
import { accessSnapshot, policiesOf, relation } from './support/catalog.js';
import { asRole, createTestDatabase, quoteIdent as quoteIdentifier, type TestDatabase } from './support/database.js';
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

  it('a table listed bare and again in table(t, {...}) brings its own policies once, merged with the declared ones', async () => {
    await db.query('CREATE TABLE public.twice (id serial PRIMARY KEY, tag text)');
    const appRole = pgRole(r.dz_app).existing();
    const twice = pgTable('twice', { id: serial('id').primaryKey(), tag: text('tag') }, (t) => [
      pgPolicy('test1', { for: 'select', to: appRole, using: sql`${t.tag} = 'a'` }),
    ]).enableRLS();
    const access = defineAccess({
      roles: [r.dz_app],
      tables: [twice, table(twice, { policies: [policy('extra', { for: 'UPDATE', to: r.dz_app, using: 'true' })], grants: [grant('SELECT', { to: r.dz_app })] })],
    });
    await apply(db.pool, access);
    const s = await accessSnapshot(db.pool);
    expect(policiesOf(s, 'public', 'twice').map((p) => [p.name, p.cmd])).toEqual([
      ['extra', 'UPDATE'],
      ['test1', 'SELECT'],
    ]);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it('a Drizzle pgPolicy placed in table(..., { policies }) keeps its exact meaning', async () => {
    await db.query(`CREATE TABLE public.fenced (id int, owner_id int); INSERT INTO public.fenced VALUES (1, 1);
      GRANT SELECT, DELETE ON public.fenced TO ${quoteIdentifier(r.dz_app)}`);
    const appRole = pgRole(r.dz_app).existing();
    const access = defineAccess({
      roles: [r.dz_app],
      tables: [
        table('public.fenced', {
          policies: [
            policy('reads', { for: 'ALL', to: r.dz_app, using: 'true' }),
            // Not in the types (a policy(...) is), but an access file is loaded without type-checking.
            pgPolicy('no_deletes', { as: 'restrictive', for: 'delete', to: appRole, using: sql`false` }) as never,
          ],
          grants: [grant(['SELECT', 'DELETE'], { to: r.dz_app })],
        }),
      ],
    });
    await apply(db.pool, access);
    expect(policiesOf(await accessSnapshot(db.pool), 'public', 'fenced')).toContainEqual(
      expect.objectContaining({ name: 'no_deletes', permissive: 'RESTRICTIVE', cmd: 'DELETE', roles: [r.dz_app], qual: 'false' }),
    );
    // Enforced: the role sees the row and deletes nothing.
    const deleted = await asRole(db.pool, r.dz_app, {}, async (c) => (await c.query('DELETE FROM public.fenced RETURNING id')).rows);
    expect(deleted).toEqual([]);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it('an entry of policies or grants that is neither ours nor Drizzle\'s is an error naming it, not dropped', async () => {
    const access = defineAccess({
      roles: [r.dz_app],
      tables: [table('public.fenced', { policies: ['owner_id = 1' as never], grants: ['SELECT' as never, grant('SELECT', { to: r.dz_app, withGrantOption: 'yes' as never })] })],
    });
    await expect(plan(db.pool, access)).rejects.toMatchObject({
      code: 'INVALID_DECLARATION',
      details: [
        'Table "public"."fenced": "owner_id = 1" in policies is not a policy(name, { ... }) or a Drizzle pgPolicy(...).',
        `grant on "public"."fenced": "SELECT" in grants is not a grant(...); write grant("SELECT", { to: role }).`,
        'grant on "public"."fenced": withGrantOption must be true or false, got "yes".',
      ],
    });
  });

  it('a pgRole written with attributes is used as an existing role, with a warning saying they are not applied', async () => {
    const withAttributes = pgRole(r.dz_app, { createDb: true });
    const tagged = pgTable('tagged', { id: serial('id').primaryKey(), tag: text('tag') }, (t) => [
      pgPolicy('tag_reader', { for: 'select', to: withAttributes, using: sql`${t.tag} is not null` }),
    ]);
    const p = await plan(db.pool, defineAccess({ roles: [], tables: [tagged] }));
    expect(p.diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'DRIZZLE_ROLE_ATTRIBUTES',
        severity: 'warning',
        message: expect.stringContaining(`pgRole(${JSON.stringify(r.dz_app)}, { createDb: true }) is used as an existing role`),
      }),
    );
    expect(p.operations.some((o) => o.op.kind === 'create-role' || o.op.kind === 'alter-role')).toBe(false);
    const existing = await plan(db.pool, defineAccess({ roles: [], tables: [pgTable('tagged', { id: serial('id').primaryKey() }, () => [pgPolicy('tag_reader', { for: 'select', to: pgRole(r.dz_app, { createDb: true }).existing(), using: sql`true` })])] }));
    expect(existing.diagnostics.map((d) => d.code)).not.toContain('DRIZZLE_ROLE_ATTRIBUTES');
  });
});

