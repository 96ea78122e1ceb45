/**
 * Templates take column keys typed by the table they are applied to: each
 * `@ts-expect-error` below is a compile error that `npm run typecheck`
 * (run in CI) requires; were it accepted, the directive itself would fail.
 * At run time they render the database's column names: a Drizzle-keyed
 * declaration leaves the catalogs its plain-name twin asks for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnReference, defineAccess, RlsTemplate, membershipCheck, onTable, ownerOnly, plan, policy, publicRead, supabase, table, tenantIsolation, type ColumnKey, type PrismaModel, type TableDeclaration, type TableInput } from '../src/index.js';
import { expectRows, withRole } from '../src/testing/index.js';
import { runStatements } from './support/catalog.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { drizzleTables as d } from './support/template-tables.js';

interface DB {
  docs: { id: number; owner_id: number; tenant_id: number };
  'app.members': { team_id: number; user_id: number };
}
declare const prismaDoc: PrismaModel<'id' | 'ownerId'>;

const sb = supabase();

class EntityDoc {
  id!: number;
  ownerId!: number;
}

export const typed = [
  // TypeORM/MikroORM entities: @RlsTemplate<E> gives the template the entity's properties as column keys.
  RlsTemplate<EntityDoc>((t) => ownerOnly(t, { column: 'ownerId', setting: 'app.user_id' })),
  // @ts-expect-error owner_id is the column's name, not a property of the entity
  RlsTemplate<EntityDoc>((t) => ownerOnly(t, { column: 'owner_id', setting: 'app.user_id' })),
  ownerOnly(d.docs, { column: 'ownerId', setting: 'app.user_id' }),
  // @ts-expect-error a Drizzle table is keyed by its properties: owner_id is the database name, not a key
  ownerOnly(d.docs, { column: 'owner_id', setting: 'app.user_id' }),
  // @ts-expect-error a Drizzle table's other keys are not columns
  ownerOnly(d.docs, { column: 'enableRLS', setting: 'app.user_id' }),
  ownerOnly(table<DB, 'docs'>('docs'), { column: 'owner_id', ...sb.uid }),
  // @ts-expect-error not a column of DB['docs']
  ownerOnly(table<DB, 'docs'>('docs'), { column: 'ownerId', ...sb.uid }),
  // @ts-expect-error not a field of the Prisma model
  () => ownerOnly(prismaDoc, { column: 'owner_id', ...sb.uid }),
  () => ownerOnly(prismaDoc, { column: 'ownerId', ...sb.uid }),
  tenantIsolation([d.docs, d.projects], { column: 'tenantId', setting: 'app.tenant_id' }),
  // @ts-expect-error projects has no ownerId: a fence over both tables may only name a column they share
  tenantIsolation([d.docs, d.projects], { column: 'ownerId', setting: 'app.tenant_id' }),
  membershipCheck(d.projects, { via: d.teamMembers, column: 'teamId', memberColumn: 'userId', setting: 'app.user_id' }),
  // @ts-expect-error memberColumn is a column of the membership table
  membershipCheck(d.projects, { via: d.teamMembers, column: 'teamId', memberColumn: 'tenantId', setting: 'app.user_id' }),
  membershipCheck(table<DB, 'docs'>('docs'), { via: table<DB, 'app.members'>('app.members'), column: 'tenant_id', viaColumn: 'team_id', memberColumn: 'user_id', ...sb.uid }),
  ownerOnly(sb.storage.objects, { column: 'owner_id', ...sb.jwt('sub') }),
  // @ts-expect-error storage.objects has no user_id
  ownerOnly(sb.storage.objects, { column: 'user_id', ...sb.uid }),
  publicRead(d.posts, { where: (t) => t.published }),
];

// At run time, keys render the database's column names: a Drizzle-keyed declaration applied, its plain-name twin plans nothing.
let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'tt_user'>>>;
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('tt_user');
  await db.query(`CREATE TABLE docs (id int PRIMARY KEY, owner_id int NOT NULL, tenant_id int NOT NULL, body text);
    CREATE TABLE team_members (team_id int, user_id int);
    CREATE TABLE projects (id int PRIMARY KEY, team_id int, tenant_id int NOT NULL);
    INSERT INTO docs VALUES (1, 1, 1, NULL), (2, 1, 1, 'deleted'), (3, 2, 1, NULL)`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

const int = { type: 'int' } as const;

describe('typed template columns', () => {
  it('render the database names of the keys they are given: the same catalogs as the plain names', async () => {
    const keyed = defineAccess({
      roles: [r.tt_user],
      tables: [
        ownerOnly(d.docs, { column: 'ownerId', setting: 'app.user_id', ...int, to: r.tt_user }),
        tenantIsolation([d.docs, d.projects], { column: 'tenantId', setting: 'app.tenant_id', ...int }),
        membershipCheck(d.projects, { via: d.teamMembers, column: 'teamId', memberColumn: 'userId', setting: 'app.user_id', ...int, commands: ['SELECT'] }),
      ],
    });
    const named = defineAccess({
      roles: [r.tt_user],
      tables: [
        ownerOnly('docs', { column: 'owner_id', setting: 'app.user_id', ...int, to: r.tt_user }),
        tenantIsolation(['docs', 'projects'], { column: 'tenant_id', setting: 'app.tenant_id', ...int }),
        membershipCheck('projects', { via: 'team_members', column: 'team_id', memberColumn: 'user_id', setting: 'app.user_id', ...int, commands: ['SELECT'] }),
      ],
    });
    const p = await plan(db.pool, keyed);
    expect(p.operations.length).toBeGreaterThan(0);
    await runStatements(db.pool, p.up);
    expect((await plan(db.pool, named)).operations.map((o) => o.description)).toEqual([]);
    await withRole(db.pool, r.tt_user, { settings: { 'app.user_id': 1, 'app.tenant_id': 1 } }, (tx) => expectRows(tx, 'docs').toEqual([{ id: 1 }, { id: 2 }]));
    await runStatements(db.pool, p.down);
  });
});

describe('a template of your own', () => {
  // The README's example, as written there.
  function hideDeleted<T extends TableInput>(t: T, options: { column: ColumnKey<T> }): TableDeclaration<T> {
    return onTable(t, { policies: [policy<T>('hide_deleted', { as: 'restrictive', for: 'SELECT', using: (c) => `${columnReference(c, options.column)} IS NULL` })] });
  }

  it('is typed like the built-in ones and enforced, on a Drizzle table and on a plain name', async () => {
    // @ts-expect-error not a column of the Drizzle table
    hideDeleted(d.docs, { column: 'deletedAt' });
    // "body" stands in for a deleted_at column: rows with a body are hidden.
    for (const target of [d.docs, 'docs'] as const) {
      const access = defineAccess({ roles: [r.tt_user], tables: [publicRead('docs', { to: r.tt_user }), typeof target === 'string' ? hideDeleted(target, { column: 'body' }) : hideDeleted(target, { column: 'body' })] });
      const p = await plan(db.pool, access);
      await runStatements(db.pool, p.up);
      await withRole(db.pool, r.tt_user, (tx) => expectRows(tx, 'docs').toEqual([{ id: 1 }, { id: 3 }]));
      await runStatements(db.pool, p.down);
    }
  });
});
