/**
 * Policy templates on real PostgreSQL: each one round-trips (plan → up →
 * the catalogs → an empty plan → down → the catalogs as before) and is
 * enforced under SET ROLE, checked with pg-access/testing as users will.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defineAccess,
  grant,
  lint,
  membershipCheck,
  ownerOnly,
  plan,
  policy,
  publicRead,
  readOnly,
  sessionSettings,
  table,
  tenantIsolation,
  type AccessDeclaration,
} from '../src/index.js';
import { expectAffects, expectCanSee, expectCannotSee, expectDenied, expectRows, withRole } from '../src/testing/index.js';
import { accessSnapshot, policiesOf, runStatements } from './support/catalog.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'tp_user' | 'tp_reader' | 'tp_writers'>>>;
const app = sessionSettings({ type: 'int' });

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('tp_user', 'tp_reader', 'tp_writers');
  await db.query(`
    CREATE TABLE docs (id int PRIMARY KEY, owner_id int NOT NULL, tenant_id int NOT NULL, body text);
    INSERT INTO docs VALUES (1, 1, 1, 'mine'), (2, 2, 1, 'theirs'), (3, 1, 2, 'mine, other tenant');
    CREATE TABLE team_members (team_id int, user_id int);
    INSERT INTO team_members VALUES (10, 1), (20, 2);
    CREATE TABLE projects (id int PRIMARY KEY, team_id int, tenant_id int NOT NULL);
    INSERT INTO projects VALUES (1, 10, 1), (2, 20, 1), (3, 10, 2);
    CREATE TABLE posts (id int PRIMARY KEY, published boolean NOT NULL);
    INSERT INTO posts VALUES (1, true), (2, false);
    CREATE TABLE catalog (id int PRIMARY KEY, name text);
    INSERT INTO catalog VALUES (1, 'a'), (2, 'b');
    -- A group the declaration does not name gives its members INSERT and DELETE on catalog: readOnly must still stop them.
    GRANT INSERT, DELETE ON catalog TO ${quoteIdent(r.tp_writers)};
    GRANT ${quoteIdent(r.tp_writers)} TO ${quoteIdent(r.tp_reader)};
  `);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

function declaration(): AccessDeclaration {
  return defineAccess({
    roles: [r.tp_user, r.tp_reader],
    tables: [
      ownerOnly('docs', { column: 'owner_id', ...app.user, to: r.tp_user }),
      tenantIsolation(['docs', 'projects'], { column: 'tenant_id', ...app.tenant }),
      membershipCheck('projects', { via: 'team_members', column: 'team_id', memberColumn: 'user_id', ...app.user, to: r.tp_user, commands: ['SELECT'] }),
      table('team_members', { grants: [grant('SELECT', { to: r.tp_user })], policies: [policy('own_memberships', { for: 'SELECT', to: r.tp_user, using: `user_id = ${app.userSql}` })] }),
      publicRead('posts', { where: 'published' }),
      readOnly('catalog', r.tp_reader),
    ],
  });
}

// The round trip leaves the declaration applied; the enforcement tests below run on it.
describe('templates', () => {
  it('round-trip: plan, up, the catalogs, an empty plan, down restores the catalogs', async () => {
    const before = await accessSnapshot(db.pool);
    const access = declaration();
    const p = await plan(db.pool, access);
    await runStatements(db.pool, p.up);
    const after = await accessSnapshot(db.pool);
    expect(policiesOf(after, 'public', 'docs').map((x) => [x.name, x.permissive, x.cmd])).toEqual([
      ['owner_only', 'PERMISSIVE', 'ALL'],
      ['tenant_isolation', 'RESTRICTIVE', 'ALL'],
    ]);
    expect(policiesOf(after, 'public', 'catalog').map((x) => [x.name, x.permissive, x.cmd])).toEqual([
      ['read_only', 'PERMISSIVE', 'SELECT'],
      ['read_only_no_delete', 'RESTRICTIVE', 'DELETE'],
      ['read_only_no_insert', 'RESTRICTIVE', 'INSERT'],
      ['read_only_no_update', 'RESTRICTIVE', 'UPDATE'],
    ]);
    // Every session value is a sub-select (an InitPlan), never a bare per-row call.
    const calls = after.policies.flatMap((x) => [x.qual, x.with_check]).join(' ');
    expect(calls.match(/current_setting\(/g)?.length).toBeGreaterThan(4);
    expect(calls.match(/\( SELECT \(?NULLIF\(current_setting\(/g)?.length).toBe(calls.match(/current_setting\(/g)?.length);
    expect((await plan(db.pool, access)).operations.map((o) => o.description)).toEqual([]);
    await runStatements(db.pool, p.down);
    expect(await accessSnapshot(db.pool)).toEqual(before);
    await runStatements(db.pool, p.up);
    expect(await accessSnapshot(db.pool)).toEqual(after);
  });

  it('ownerOnly and tenantIsolation: own rows of the own tenant, no writing for others, nothing without settings', async () => {
    await withRole(db.pool, r.tp_user, { settings: app.settings({ user: 1, tenant: 1 }) }, async (tx) => {
      await expectRows(tx, 'docs').toEqual([{ id: 1, body: 'mine' }]);
      await expectCannotSee(tx, 'docs', { id: 3 });
      await expectDenied(tx, `INSERT INTO docs VALUES (4, 2, 1, 'for someone else')`);
      await expectDenied(tx, `INSERT INTO docs VALUES (4, 1, 2, 'into another tenant')`);
      await expectAffects(tx, `INSERT INTO docs VALUES (4, 1, 1, 'mine too')`, 1);
      await expectAffects(tx, `UPDATE docs SET body = 'x' WHERE id = 2`, 0);
      await expectDenied(tx, `UPDATE docs SET owner_id = 2 WHERE id = 1`);
      await expectAffects(tx, `DELETE FROM docs`, 1);
    });
    await withRole(db.pool, r.tp_user, async (tx) => {
      await expectRows(tx, 'docs').toHaveCount(0);
    });
  });

  it('membershipCheck: projects of the teams the user belongs to, within the tenant', async () => {
    await withRole(db.pool, r.tp_user, { settings: app.settings({ user: 1, tenant: 1 }) }, async (tx) => {
      await expectRows(tx, 'projects').toEqual([{ id: 1 }]);
    });
    await withRole(db.pool, r.tp_user, { settings: app.settings({ user: 2, tenant: 1 }) }, async (tx) => {
      await expectRows(tx, 'projects').toEqual([{ id: 2 }]);
    });
  });

  it('publicRead: every role reads the published rows only', async () => {
    for (const role of [r.tp_user, r.tp_reader]) {
      await withRole(db.pool, role, async (tx) => {
        await expectRows(tx, 'posts').toEqual([{ id: 1 }]);
        await expectDenied(tx, 'INSERT INTO posts VALUES (3, true)');
      });
    }
  });

  it('readOnly: every row is read, and a write privilege inherited from elsewhere changes nothing', async () => {
    await withRole(db.pool, r.tp_reader, async (tx) => {
      await expectRows(tx, 'catalog').toEqual([{ id: 1 }, { id: 2 }]);
      await expectCanSee(tx, 'catalog', { name: 'b' });
      // INSERT is held through the group and refused by the restrictive fence.
      const refused = await expectDenied(tx, `INSERT INTO catalog VALUES (3, 'c')`);
      expect(refused.message).toContain('row-level security');
      await expectAffects(tx, 'DELETE FROM catalog', 0);
    });
  });

  it('the session value is evaluated once per statement (an InitPlan)', async () => {
    await withRole(db.pool, r.tp_user, { settings: app.settings({ user: 1, tenant: 1 }) }, async (tx) => {
      const { rows } = await tx.query('EXPLAIN (COSTS OFF) SELECT * FROM docs');
      const text = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toMatch(/InitPlan/);
      expect(text).not.toMatch(/Filter: .*= NULLIF\(current_setting/);
    });
  });

  it('a failing assertion names the role, its settings and the policies that applied', async () => {
    const failure = await withRole(db.pool, r.tp_user, { settings: app.settings({ user: 1, tenant: 1 }) }, (tx) => expectCanSee(tx, 'docs', { id: 2 }).then(() => null, (e: Error) => e));
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.name).toBe('AssertionError');
    expect(failure!.message).toContain(`as role "${r.tp_user}" with app.user_id = "1", app.tenant_id = "1"`);
    expect(failure!.message).toContain('owner_only: PERMISSIVE FOR ALL');
    expect(failure!.message).toContain('tenant_isolation: RESTRICTIVE FOR ALL');
  });
});

describe('template errors', () => {
  it('a column the table lacks is an error naming the policy and the column, before anything changes', async () => {
    const { drizzleTables } = await import('./support/template-tables.js');
    const access = defineAccess({ roles: [r.tp_user], tables: [ownerOnly(drizzleTables.docs, { column: 'nope' as never, ...app.user, to: r.tp_user })] });
    await expect(plan(db.pool, access)).rejects.toMatchObject({
      code: 'INVALID_DECLARATION',
      details: [
        'policy "owner_only" on "public"."docs": using: the expression could not be built: the table has no column "nope"',
        'policy "owner_only" on "public"."docs": withCheck: the expression could not be built: the table has no column "nope"',
      ],
    });
    // A plain name: PostgreSQL says so when the plan checks the expression.
    const plain = defineAccess({ roles: [r.tp_user], tables: [ownerOnly('docs', { column: 'nope', ...app.user, to: r.tp_user })] });
    await expect(plan(db.pool, plain)).rejects.toMatchObject({ details: [expect.stringContaining(`policy "owner_only" on "public"."docs": column "nope" does not exist`)] });
  });

  it('bad options are errors naming the template and the option', () => {
    expect(() => ownerOnly('docs', { column: 'owner_id', setting: 'app.user_id', to: r.tp_user, comands: ['SELECT'] } as never)).toThrow(/ownerOnly.*comands/);
    expect(() => ownerOnly('docs', { column: 'owner_id', setting: 'app.user_id', fn: 'auth.uid()' } as never)).toThrow(/exactly one of setting/);
    expect(() => ownerOnly('docs', { column: 'owner_id', setting: 'user_id' })).toThrow(/custom configuration parameter/);
    expect(() => ownerOnly('docs', { column: 'owner_id', setting: 'app.user_id', type: 'uuid; drop table x' })).toThrow(/not a type name/);
    expect(() => ownerOnly('docs', { column: 'owner_id', setting: 'app.user_id', commands: ['TRUNCATE' as never] })).toThrow(/TRUNCATE/);
    expect(() => readOnly('catalog', 'public')).toThrow(/publicRead/);
    expect(() => tenantIsolation([], { column: 'tenant_id', setting: 'app.tenant_id' })).toThrow(/non-empty list/);
  });
});

describe('readOnly and the lockout warning', () => {
  it("its no-write fences are not unreachable policies: they are for the commands the role never gets", async () => {
    const p = await plan(db.pool, defineAccess({ roles: [r.tp_reader], tables: [readOnly('catalog', r.tp_reader)] }));
    expect(p.diagnostics.filter((d) => d.code === 'POLICY_UNREACHABLE')).toEqual([]);
    // Without the SELECT grant, the reading policy is still warned about.
    const withoutGrant = await plan(db.pool, defineAccess({ roles: [r.tp_reader], tables: [table('catalog', { policies: [policy('read_only', { for: 'SELECT', to: r.tp_reader, using: 'true' })] })] }));
    expect(withoutGrant.diagnostics.filter((d) => d.code === 'POLICY_UNREACHABLE').map((d) => d.message)).toEqual([expect.stringContaining('"read_only" on "public"."catalog" (SELECT)')]);
    // lint's unreachable-policy agrees on the applied fences (the round trip above left them in place).
    const findings = (await lint(db.pool)).findings.filter((f) => f.rule === 'unreachable-policy').map((f) => f.object);
    expect(findings.filter((o) => o.includes('read_only'))).toEqual([]);
    expect((await lint(db.pool)).findings.map((f) => f.rule)).toContain('policy-always-true');
  });
});
