/**
 * Templates take column keys typed by the table they are applied to: each
 * `@ts-expect-error` below is a compile error that `npm run typecheck`
 * (run in CI) requires; were it accepted, the directive itself would fail.
 * At run time the same declarations render the database's column names.
 */
import { describe, expect, it } from 'vitest';
import { columnReference, RlsTemplate, membershipCheck, onTable, ownerOnly, policy, publicRead, supabase, table, tenantIsolation, type ColumnKey, type PrismaModel, type TableDeclaration, type TableInput } from '../src/index.js';
import { collectStructure } from '../src/declare/collect-declaration.js';
import { defineAccess } from '../src/index.js';
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

describe('typed template columns', () => {
  it('render the database names of the keys they are given', async () => {
    const access = defineAccess({
      roles: [],
      tables: [
        ownerOnly(d.docs, { column: 'ownerId', setting: 'app.user_id', type: 'int' }),
        tenantIsolation([d.docs, d.projects], { column: 'tenantId', setting: 'app.tenant_id', type: 'int' }),
        membershipCheck(d.projects, { via: d.teamMembers, column: 'teamId', memberColumn: 'userId', setting: 'app.user_id', type: 'int', commands: ['SELECT'] }),
      ],
    });
    const collected = await (await collectStructure(access)).withPolicies();
    const texts = collected.tables.flatMap((t) => t.policies.map((p) => `${t.name}.${p.name}: ${p.using}`));
    expect(texts).toEqual([
      `docs.owner_only: "owner_id" = (SELECT NULLIF(current_setting('app.user_id', true), '')::int)`,
      `docs.tenant_isolation: "tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int)`,
      `projects.tenant_isolation: "tenant_id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int)`,
      `projects.member_access_select: EXISTS (SELECT 1 FROM "public"."team_members" pg_access_m WHERE pg_access_m."team_id" = "projects"."team_id" AND pg_access_m."user_id" = (SELECT NULLIF(current_setting('app.user_id', true), '')::int))`,
    ]);
  });
});

describe('a template of your own', () => {
  // The README's example, as written there.
  function hideDeleted<T extends TableInput>(t: T, options: { column: ColumnKey<T> }): TableDeclaration<T> {
    return onTable(t, { policies: [policy<T>('hide_deleted', { as: 'restrictive', for: 'SELECT', using: (c) => `${columnReference(c, options.column)} IS NULL` })] });
  }

  it('is typed and rendered like the built-in ones, on a Drizzle table and a plain name', async () => {
    // @ts-expect-error not a column of the Drizzle table
    hideDeleted(d.docs, { column: 'deletedAt' });
    const collected = await (await collectStructure(defineAccess({ roles: [], tables: [hideDeleted(d.docs, { column: 'body' }), hideDeleted('app.notes', { column: 'deleted_at' })] }))).withPolicies();
    expect(collected.tables.map((t) => `${t.schema}.${t.name}: ${t.policies[0]!.using}`)).toEqual(['public.docs: "body" IS NULL', 'app.notes: "deleted_at" IS NULL']);
  });
});
