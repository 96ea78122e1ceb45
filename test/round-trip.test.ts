/**
 * Scenario matrix: for each change, from a prior state set up with plain SQL,
 * plan → run up → the catalogs say exactly the declaration → plan is empty →
 * run down → the catalogs are exactly as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAccess, grant, plan, policy, schema, table, type AccessDeclaration } from '../src/index.js';
import { accessSnapshot, policiesOf, relation, runStatements, type AccessSnapshot } from './support/catalog.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'rt_a' | 'rt_b'>>>;
let a: string;
let b: string;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('rt_a', 'rt_b');
  a = quoteIdent(r.rt_a);
  b = quoteIdent(r.rt_b);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

let counter = 0;
interface Scenario {
  /** Prior state; `T` is replaced by a fresh table name. */
  setup: (t: string) => string;
  declare: (t: string) => AccessDeclaration;
  kinds: string[];
  after: (snapshot: AccessSnapshot, t: string) => void;
}

async function roundTrip(s: Scenario): Promise<void> {
  const t = `rt_${++counter}`;
  await db.query(`CREATE TABLE ${t} (id serial PRIMARY KEY, owner_id int NOT NULL, tenant text)`);
  await db.query(s.setup(t));
  const before = await accessSnapshot(db.pool);
  const access = s.declare(t);
  const p = await plan(db.pool, access);
  expect(p.operations.map((o) => o.op.kind)).toEqual(s.kinds);
  await runStatements(db.pool, p.up);
  const after = await accessSnapshot(db.pool);
  s.after(after, t);
  expect((await plan(db.pool, access)).operations.map((o) => o.description)).toEqual([]);
  await runStatements(db.pool, p.down);
  expect(await accessSnapshot(db.pool)).toEqual(before);
  // Re-applying the up after the down reaches the same state again.
  await runStatements(db.pool, p.up);
  expect(await accessSnapshot(db.pool)).toEqual(after);
}

const own = (command: 'ALL' | 'SELECT' | 'UPDATE' | 'DELETE' | 'INSERT', extra: Partial<Parameters<typeof policy>[1]> = {}) =>
  policy('own', { for: command, to: r.rt_a, ...(command === 'INSERT' ? { withCheck: 'owner_id = 1' } : { using: 'owner_id = 1' }), ...extra });

describe('policies', () => {
  it('creates a policy (and enables RLS)', () =>
    roundTrip({
      setup: () => 'SELECT 1',
      declare: (t) => defineAccess({ roles: [r.rt_a], tables: [table(t, { policies: [own('SELECT')] })] }),
      kinds: ['set-rls', 'create-policy'],
      after: (s, t) => {
        expect(relation(s, 'public', t).rls).toBe(true);
        expect(policiesOf(s, 'public', t)).toEqual([expect.objectContaining({ name: 'own', cmd: 'SELECT', roles: [r.rt_a], qual: '(owner_id = 1)', with_check: null, permissive: 'PERMISSIVE' })]);
      },
    }));

  it('drops a policy that is no longer declared', () =>
    roundTrip({
      setup: (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY keep ON ${t} USING (true); CREATE POLICY stale ON ${t} FOR DELETE TO ${a} USING (owner_id = 7)`,
      declare: (t) => defineAccess({ roles: [r.rt_a], tables: [table(t, { policies: [policy('keep', { using: 'true' })] })] }),
      kinds: ['drop-policy'],
      after: (s, t) => expect(policiesOf(s, 'public', t).map((p) => p.name)).toEqual(['keep']),
    }));

  it('changes roles, USING and WITH CHECK: the old version dropped, the new one created (never altered in place: see ops/policy.op)', () =>
    roundTrip({
      setup: (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON ${t} TO ${a} USING (owner_id = 1) WITH CHECK (owner_id = 1)`,
      declare: (t) => defineAccess({ roles: [r.rt_a, r.rt_b], tables: [table(t, { policies: [policy('own', { to: [r.rt_b, r.rt_a], using: 'owner_id = 2', withCheck: 'owner_id > 0' })] })] }),
      kinds: ['drop-policy', 'create-policy'],
      after: (s, t) => expect(policiesOf(s, 'public', t)).toEqual([expect.objectContaining({ roles: [r.rt_a, r.rt_b].sort(), qual: '(owner_id = 2)', with_check: '(owner_id > 0)' })]),
    }));

  it('adds a WITH CHECK, and the downgrade takes it away again', () =>
    roundTrip({
      setup: (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON ${t} TO ${a} USING (owner_id = 1)`,
      declare: (t) => defineAccess({ roles: [r.rt_a], tables: [table(t, { policies: [own('ALL', { withCheck: 'owner_id = 1 AND tenant IS NOT NULL' })] })] }),
      kinds: ['drop-policy', 'create-policy'],
      after: (s, t) => expect(policiesOf(s, 'public', t)[0]!.with_check).toBe('((owner_id = 1) AND (tenant IS NOT NULL))'),
    }));

  it('removes a WITH CHECK clause', () =>
    roundTrip({
      setup: (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON ${t} TO ${a} USING (owner_id = 1) WITH CHECK (owner_id = 1)`,
      declare: (t) => defineAccess({ roles: [r.rt_a], tables: [table(t, { policies: [own('ALL')] })] }),
      kinds: ['drop-policy', 'create-policy'],
      after: (s, t) => expect(policiesOf(s, 'public', t)[0]!.with_check).toBeNull(),
    }));

  it('changes the command', () =>
    roundTrip({
      setup: (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON ${t} FOR SELECT TO ${a} USING (owner_id = 1)`,
      declare: (t) => defineAccess({ roles: [r.rt_a], tables: [table(t, { policies: [own('DELETE')] })] }),
      kinds: ['drop-policy', 'create-policy'],
      after: (s, t) => expect(policiesOf(s, 'public', t)[0]!.cmd).toBe('DELETE'),
    }));

  it('turns a permissive policy restrictive and back (staged: the new version beside the old one, renamed once the old one is dropped)', () =>
    roundTrip({
      setup: (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY base ON ${t} USING (true); CREATE POLICY own ON ${t} TO ${a} USING (owner_id = 1)`,
      declare: (t) => defineAccess({ roles: [r.rt_a], tables: [table(t, { policies: [policy('base', { using: 'true' }), own('ALL', { as: 'restrictive' })] })] }),
      kinds: ['create-policy', 'drop-policy', 'rename-policy'],
      after: (s, t) => {
        expect(policiesOf(s, 'public', t).map((p) => [p.name, p.permissive])).toEqual([
          ['base', 'PERMISSIVE'],
          ['own', 'RESTRICTIVE'],
        ]);
      },
    }));

  it('treats an expression PostgreSQL considers equal as unchanged (normalization through the server)', async () => {
    const t = `rt_${++counter}`;
    await db.query(`CREATE TABLE ${t} (id int, owner_id int, tenant text); ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;
      CREATE POLICY own ON ${t} TO ${a} USING (owner_id = current_setting('app.uid')::int AND tenant = 'x')`);
    const access = defineAccess({
      roles: [r.rt_a],
      tables: [table(t, { policies: [policy('own', { to: r.rt_a, using: `(((owner_id) = CAST(current_setting('app.uid') AS integer)))   and tenant='x'` })] })],
    });
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });
});

describe('row level security flags', () => {
  it("rls: 'force' enables and forces", () =>
    roundTrip({
      setup: () => 'SELECT 1',
      declare: (t) => defineAccess({ roles: [], tables: [table(t, { rls: 'force' })] }),
      kinds: ['set-rls', 'set-rls'],
      after: (s, t) => expect(relation(s, 'public', t)).toMatchObject({ rls: true, force: true }),
    }));

  it('rls: false disables, and is the only way RLS gets disabled', async () => {
    await roundTrip({
      setup: (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`,
      declare: (t) => defineAccess({ roles: [], tables: [table(t, { rls: false })] }),
      kinds: ['set-rls', 'set-rls'],
      after: (s, t) => expect(relation(s, 'public', t)).toMatchObject({ rls: false, force: false }),
    });
    // A table listed without rls and without policies keeps its flags.
    const t = `rt_${++counter}`;
    await db.query(`CREATE TABLE ${t} (id int); ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
    expect((await plan(db.pool, defineAccess({ roles: [r.rt_a], tables: [table(t, { grants: [grant('SELECT', { to: r.rt_a })] })] }))).operations.map((o) => o.op.kind)).toEqual(['grant']);
  });
});

describe('grants', () => {
  it('grants and revokes per privilege, and adds sequence USAGE for inserts', () =>
    roundTrip({
      setup: (t) => `GRANT SELECT, DELETE ON ${t} TO ${a}`,
      declare: (t) => defineAccess({ roles: [r.rt_a], tables: [table(t, { grants: [grant(['SELECT', 'INSERT'], { to: r.rt_a })] })] }),
      kinds: ['revoke', 'grant', 'grant'],
      after: (s, t) => {
        expect(relation(s, 'public', t).acl.filter((e) => e.startsWith(r.rt_a))).toEqual([`${r.rt_a}:INSERT`, `${r.rt_a}:SELECT`]);
        expect(relation(s, 'public', `${t}_id_seq`).acl).toContain(`${r.rt_a}:USAGE`);
      },
    }));

  it('adds and removes WITH GRANT OPTION precisely', () =>
    roundTrip({
      setup: (t) => `GRANT SELECT ON ${t} TO ${a} WITH GRANT OPTION; GRANT UPDATE ON ${t} TO ${b}`,
      declare: (t) =>
        defineAccess({ roles: [r.rt_a, r.rt_b], tables: [table(t, { grants: [grant('SELECT', { to: r.rt_a }), grant('UPDATE', { to: r.rt_b, withGrantOption: true })] })] }),
      kinds: ['revoke', 'grant'],
      after: (s, t) => expect(relation(s, 'public', t).acl.filter((e) => !e.startsWith('postgres'))).toEqual([`${r.rt_a}:SELECT`, `${r.rt_b}:UPDATE*`].sort()),
    }));

  it('creates a declared schema and grants on it; the downgrade drops it again', () =>
    roundTrip({
      setup: () => 'SELECT 1',
      declare: (t) => defineAccess({ roles: [r.rt_a], schemas: [schema(`${t}_schema`, { grants: [grant(['USAGE', 'CREATE'], { to: r.rt_a })] })], tables: [] }),
      kinds: ['create-schema', 'grant'],
      after: (s, t) => expect(s.schemas.find((x) => x.name === `${t}_schema`)?.acl).toEqual(expect.arrayContaining([`${r.rt_a}:CREATE`, `${r.rt_a}:USAGE`])),
    }));

  it('grants USAGE on the schema of a table in a custom schema, never revoking there', async () => {
    const sch = `rt_s${++counter}`;
    await db.query(`CREATE SCHEMA ${sch}; CREATE TABLE ${sch}.items (id int); GRANT USAGE ON SCHEMA ${sch} TO ${b}`);
    const access = defineAccess({ roles: [r.rt_a, r.rt_b], tables: [table(`${sch}.items`, { grants: [grant('SELECT', { to: r.rt_a })] })] });
    const p = await plan(db.pool, access);
    expect(p.operations.map((o) => o.description)).toEqual([`grant USAGE on schema ${sch} to ${r.rt_a}`, `grant SELECT on table ${sch}.items to ${r.rt_a}`]);
    await runStatements(db.pool, p.up);
    const s = await accessSnapshot(db.pool);
    expect(s.schemas.find((x) => x.name === sch)?.acl).toEqual(expect.arrayContaining([`${r.rt_a}:USAGE`, `${r.rt_b}:USAGE`]));
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });
});
