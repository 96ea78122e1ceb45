/**
 * A plan run statement by statement without a transaction (a runner that
 * does not wrap migrations in one) must never let anyone see, change or
 * insert a row that neither the old nor the new state allows. After every
 * statement, each probe (role × settings) is observed through PostgreSQL
 * (test/support/transient-access.ts) and compared with the old and the new
 * state. Inside apply's transaction nobody sees an intermediate state; this
 * is about the order alone.
 *
 * Each case first shows that the harness sees what each state allows (it
 * is not vacuous), then that no statement widens. The fence cases are the
 * ones an order of whole steps gets wrong (plan/order-operations says how
 * they are handled): a fence moving between a group and its member, two
 * fences changing together, a member moving from one fenced group to
 * another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, grant, plan, policy, role, table, type AccessDeclaration } from '../src/index.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { observe, observeAfter, wideningSteps, type Probe, type ProbedTable } from './support/transient-access.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'ta_group' | 'ta_user' | 'ta_other' | 'ta_nobody'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('ta_group', 'ta_user', 'ta_other', 'ta_nobody');
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

let tables = 0;
/** A fresh table of four rows (owner_id 1 to 4, no unique key, so inserts fail only on access). */
async function freshTable(): Promise<{ name: string; probed: ProbedTable[] }> {
  const name = `ta_docs_${++tables}`;
  await db.query(`CREATE TABLE ${name} (id int, owner_id int); INSERT INTO ${name} SELECT i, i FROM generate_series(1, 4) i`);
  return { name, probed: [{ sql: `public.${name}`, schema: 'public', name, key: 'id', inserts: ['(5, 1)', '(6, 3)'] }] };
}

/** The user reads every row, fenced (restrictive: owner_id <= 2) through `fencedRole`; `member`: the user is in the group. */
function fenced(name: string, fencedRole: string, member: boolean): AccessDeclaration {
  return defineAccess({
    roles: [r.ta_group, role(r.ta_user, { inherit: true, inRoles: member ? [r.ta_group] : [] })],
    tables: [
      table(name, {
        policies: [policy('open', { for: 'SELECT', to: r.ta_user, using: 'true' }), policy('fence', { as: 'restrictive', for: 'SELECT', to: fencedRole, using: 'owner_id <= 2' })],
        grants: [grant('SELECT', { to: r.ta_user })],
      }),
    ],
  });
}

/**
 * Applies A, observes it, observes B (its plan run in a rolled-back
 * transaction), then runs B's plan statement by statement, and its
 * downgrade the same way back to A: every statement of both is checked.
 */
async function stepThrough(a: AccessDeclaration, b: AccessDeclaration, probes: Probe[], probed: ProbedTable[]) {
  await apply(db.pool, a);
  const client = await db.pool.connect();
  // A probe's role that does not exist in a state is observed as a role with no grants (see observe).
  const absent = r.ta_nobody;
  try {
    const before = await observe(client, probes, probed, absent);
    const p = await plan(client, b);
    const after = await observeAfter(client, p.up, probes, probed, absent);
    const widenings = await wideningSteps(client, p.up, probes, probed, before, after, absent);
    expect((await plan(client, b)).isEmpty).toBe(true);
    const downWidenings = await wideningSteps(client, p.down, probes, probed, before, after, absent);
    expect((await plan(client, a)).isEmpty).toBe(true);
    expect(await observe(client, probes, probed, absent)).toEqual(before);
    return { before, after, widenings: [...widenings, ...downWidenings.map((w) => ({ ...w, after: `down ${w.after}` }))], statements: p.up.length };
  } finally {
    client.release();
  }
}

describe('a plan run statement by statement, without a transaction', () => {
  it('a permissive policy and grants changing together never widen access at any statement', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const declare = (owner: number, privileges: string[]) =>
      defineAccess({
        roles: [r.ta_user],
        tables: [table(name, { policies: [policy('own', { to: r.ta_user, using: `owner_id = ${owner}`, withCheck: `owner_id = ${owner}` })], grants: [grant(privileges, { to: r.ta_user })] })],
      });
    const run = await stepThrough(declare(1, ['SELECT', 'UPDATE']), declare(3, ['SELECT', 'INSERT']), probes, probed);
    // The harness sees what each state allows: it is not vacuous.
    expect([...run.before].sort()).toEqual([`${r.ta_user} public.${name} SELECT 1`, `${r.ta_user} public.${name} UPDATE 1`]);
    expect([...run.after].sort()).toEqual([`${r.ta_user} public.${name} INSERT candidate 1`, `${r.ta_user} public.${name} SELECT 3`]);
    expect(run.statements).toBeGreaterThan(1);
    expect(run.widenings).toEqual([]);
  });

  it('a restrictive policy moving from a group to its member, the membership revoked: the member stays fenced at every statement', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const run = await stepThrough(fenced(name, r.ta_group, true), fenced(name, r.ta_user, false), probes, probed);
    const seen = (ids: number[]) => ids.map((i) => `${r.ta_user} public.${name} SELECT ${i}`);
    expect([...run.before].sort()).toEqual(seen([1, 2]));
    expect([...run.after].sort()).toEqual(seen([1, 2]));
    expect(run.widenings).toEqual([]);
  });

  it('RLS enabled with a new policy on a table already readable never shows more than either state', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: { 'app.uid': '2' } }];
    const grants = [grant(['SELECT', 'DELETE'], { to: r.ta_user })];
    const a = defineAccess({ roles: [r.ta_user], tables: [table(name, { grants })] });
    const b = defineAccess({
      roles: [r.ta_user],
      tables: [table(name, { policies: [policy('own', { to: r.ta_user, using: `owner_id = current_setting('app.uid')::int` })], grants })],
    });
    const run = await stepThrough(a, b, probes, probed);
    const facts = (command: string, ids: number[]) => ids.map((i) => `${r.ta_user} {"app.uid":"2"} public.${name} ${command} ${i}`);
    expect([...run.before].sort()).toEqual([...facts('DELETE', [1, 2, 3, 4]), ...facts('SELECT', [1, 2, 3, 4])].sort());
    expect([...run.after].sort()).toEqual([...facts('DELETE', [2]), ...facts('SELECT', [2])].sort());
    expect(run.widenings).toEqual([]);
  });

  it('the mirror case: a restrictive policy moving from a member to its group, the membership granted: fenced at every statement', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const run = await stepThrough(fenced(name, r.ta_user, false), fenced(name, r.ta_group, true), probes, probed);
    const seen = (ids: number[]) => ids.map((i) => `${r.ta_user} public.${name} SELECT ${i}`);
    expect([[...run.before].sort(), [...run.after].sort()]).toEqual([seen([1, 2]), seen([1, 2])]);
    expect(run.widenings).toEqual([]);
  });

  it('two restrictive policies of one table whose USING both change: no third row at any statement', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const declare = (first: string, second: string) =>
      defineAccess({
        roles: [r.ta_user],
        tables: [
          table(name, {
            policies: [
              policy('open', { for: 'SELECT', to: r.ta_user, using: 'true' }),
              policy('r1', { as: 'restrictive', for: 'SELECT', to: r.ta_user, using: `owner_id IN (${first})` }),
              policy('r2', { as: 'restrictive', for: 'SELECT', to: r.ta_user, using: `owner_id IN (${second})` }),
            ],
            grants: [grant('SELECT', { to: r.ta_user })],
          }),
        ],
      });
    // Old: (1,2) ∩ (1,3) = {1}; new: (3,4) ∩ (2,4) = {4}; each ALTER alone lets a third row through.
    const run = await stepThrough(declare('1, 2', '1, 3'), declare('3, 4', '2, 4'), probes, probed);
    const seen = (ids: number[]) => ids.map((i) => `${r.ta_user} public.${name} SELECT ${i}`);
    expect([[...run.before], [...run.after]]).toEqual([seen([1]), seen([4])]);
    expect(run.widenings).toEqual([]);
  });

  it('a member moving from one fenced group to another: the old fence is held on it until the new one applies', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const declare = (group: string) =>
      defineAccess({
        roles: [r.ta_group, r.ta_other, role(r.ta_user, { inherit: true, inRoles: [group] })],
        tables: [
          table(name, {
            policies: [
              policy('open', { for: 'SELECT', to: r.ta_user, using: 'true' }),
              policy('fence_group', { as: 'restrictive', for: 'SELECT', to: r.ta_group, using: 'owner_id <= 2' }),
              policy('fence_other', { as: 'restrictive', for: 'SELECT', to: r.ta_other, using: 'owner_id IN (2, 3)' }),
            ],
            grants: [grant('SELECT', { to: r.ta_user })],
          }),
        ],
      });
    const run = await stepThrough(declare(r.ta_group), declare(r.ta_other), probes, probed);
    const seen = (ids: number[]) => ids.map((i) => `${r.ta_user} public.${name} SELECT ${i}`);
    expect([[...run.before].sort(), [...run.after].sort()]).toEqual([seen([1, 2]), seen([2, 3])]);
    expect(run.widenings).toEqual([]);
  });

  it('a member joining a privileged group and a fenced group at once: the fence is held on it before either is granted (property seed 1859288388)', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    // The privileges come through ta_group, the fence through ta_other; ta_group sorts first, so it is granted first.
    const declare = (joined: boolean) =>
      defineAccess({
        roles: [r.ta_group, r.ta_other, role(r.ta_user, { inherit: true, inRoles: joined ? [r.ta_group, r.ta_other] : [] })],
        tables: [
          table(name, {
            policies: [
              policy('open', { for: 'SELECT', to: r.ta_group, using: 'true' }),
              policy('fence', { as: 'restrictive', for: 'SELECT', to: r.ta_other, using: 'owner_id <= 2' }),
            ],
            grants: [grant('SELECT', { to: r.ta_group })],
          }),
        ],
      });
    const run = await stepThrough(declare(false), declare(true), probes, probed);
    const seen = (ids: number[]) => ids.map((i) => `${r.ta_user} public.${name} SELECT ${i}`);
    expect([[...run.before].sort(), [...run.after].sort()]).toEqual([[], seen([1, 2])]);
    expect(run.widenings).toEqual([]);
  });

  it('a SELECT and an UPDATE policy changing together: an UPDATE never reaches a row through one old and one new version', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const declare = (read: string, write: string) =>
      defineAccess({
        roles: [r.ta_user],
        tables: [
          table(name, {
            policies: [policy('read', { for: 'SELECT', to: r.ta_user, using: `owner_id IN (${read})` }), policy('write', { for: 'UPDATE', to: r.ta_user, using: `owner_id IN (${write})` })],
            grants: [grant(['SELECT', 'UPDATE'], { to: r.ta_user })],
          }),
        ],
      });
    // An UPDATE ... RETURNING reaches rows both policies let through: old (1,2) and (1,3) = {1}, new (3,4) and (2,4) = {4}.
    // Changed in place one after the other, the new read and the old write policy would reach row 3.
    const run = await stepThrough(declare('1, 2', '1, 3'), declare('3, 4', '2, 4'), probes, probed);
    const facts = (command: string, ids: number[]) => ids.map((i) => `${r.ta_user} public.${name} ${command} ${i}`);
    expect([[...run.before].sort(), [...run.after].sort()]).toEqual([
      [...facts('SELECT', [1, 2]), ...facts('UPDATE', [1])],
      [...facts('SELECT', [3, 4]), ...facts('UPDATE', [4])],
    ]);
    expect(run.widenings).toEqual([]);
    // The in-place route, run by hand from the old state: the harness sees row 3 after the first ALTER.
    await apply(db.pool, declare('1, 2', '1, 3'));
    const client = await db.pool.connect();
    try {
      const inPlace = [`ALTER POLICY read ON public.${name} USING (owner_id IN (3, 4))`, `ALTER POLICY write ON public.${name} USING (owner_id IN (2, 4))`];
      expect(await wideningSteps(client, inPlace, probes, probed, run.before, run.after)).toEqual([{ after: `1: ${inPlace[0]}`, facts: facts('UPDATE', [3]) }]);
    } finally {
      client.release();
    }
  });

  it('a role created with BYPASSRLS gets it with the widening steps, not while PUBLIC still holds what the plan revokes', async () => {
    const { name, probed } = await freshTable();
    const created = `ta_new_${process.pid}`;
    const probes: Probe[] = [{ role: created, settings: {} }];
    const fenced = policy('public_rows', { for: 'SELECT', using: 'owner_id <= 2' });
    const a = defineAccess({ roles: [], tables: [table(name, { policies: [fenced], grants: [grant('SELECT', { to: 'public' })] })] });
    // PUBLIC named in B, so its grants on the table are managed: SELECT is revoked, INSERT given.
    const b = defineAccess({ roles: [role(created, { bypassRls: true })], tables: [table(name, { policies: [fenced], grants: [grant('INSERT', { to: 'public' })] })] });
    try {
      const run = await stepThrough(a, b, probes, probed);
      const seen = (ids: number[]) => ids.map((i) => `${created} public.${name} SELECT ${i}`);
      // Before: the role does not exist, and any role sees what PUBLIC may (two rows); after: it may only insert.
      expect([[...run.before].sort(), [...run.after].sort()]).toEqual([seen([1, 2]), [`${created} public.${name} INSERT candidate 0`, `${created} public.${name} INSERT candidate 1`]]);
      expect(run.widenings).toEqual([]);
    } finally {
      await db.admin.query(`DROP ROLE IF EXISTS ${quoteIdent(created)}`);
    }
  });

  it('a policy reading another table through NOT EXISTS is what no order can keep: the plan warns, and the harness sees why', async () => {
    const { name, probed } = await freshTable();
    const blocks = `${name}_blocks`;
    await db.query(`CREATE TABLE ${blocks} (owner_id int); INSERT INTO ${blocks} VALUES (1), (2)`);
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const declare = (blocked: string) =>
      defineAccess({
        roles: [r.ta_user],
        tables: [
          table(name, {
            policies: [policy('unblocked', { for: 'SELECT', to: r.ta_user, using: `NOT EXISTS (SELECT 1 FROM ${blocks} b WHERE b.owner_id = ${name}.owner_id)` })],
            grants: [grant('SELECT', { to: r.ta_user })],
          }),
          table(blocks, { policies: [policy('visible', { for: 'SELECT', to: r.ta_user, using: blocked })], grants: [grant('SELECT', { to: r.ta_user })] }),
        ],
      });
    // Old: both blocks visible, rows 3 and 4 unblocked; new: only block 1 visible, rows 2 to 4. While the old policy on the blocks is gone, every row is.
    await apply(db.pool, declare('true'));
    expect((await plan(db.pool, declare('true'))).diagnostics.map((d) => d.code)).not.toContain('ORDER_NEEDS_TRANSACTION'); // in sync: nothing to order
    const changed = await plan(db.pool, declare('owner_id = 1'));
    expect(changed.diagnostics.find((d) => d.code === 'ORDER_NEEDS_TRANSACTION')?.message).toContain(`"unblocked" on "public"."${name}" reads another table through NOT EXISTS`);
    const run = await stepThrough(declare('true'), declare('owner_id = 1'), probes, probed);
    const seen = (table: string, ids: number[]) => ids.map((i) => `${r.ta_user} public.${table} SELECT ${i}`);
    expect(run.widenings.map((w) => w.facts)).toContainEqual(seen(name, [1]));
  });

  it('a state whose policy fails for the probe (it reads a table the probe may not read) is undecided for that command (property seed 2139934579)', async () => {
    const { name, probed } = await freshTable();
    const secret = `${name}_secret`;
    await db.query(`CREATE TABLE ${secret} (owner_id int)`);
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    const declare = (withSecret: boolean) =>
      defineAccess({
        roles: [r.ta_user],
        tables: [
          table(name, {
            policies: [
              policy('a_all', { to: r.ta_user, using: 'false', withCheck: withSecret ? `EXISTS (SELECT 1 FROM ${secret} s WHERE s.owner_id = ${name}.owner_id)` : 'false' }),
              ...(withSecret ? [policy('b_insert', { for: 'INSERT', to: r.ta_user, withCheck: 'owner_id = 1' })] : []),
            ],
            grants: [grant('INSERT', { to: r.ta_user })],
          }),
        ],
      });
    // Old: the insert fails (permission denied on the secret table, raised by a_all's check); new: refused by the policies.
    // In between, with a_all's old version gone and b_insert not yet, candidate 0 is accepted: judged against neither.
    const run = await stepThrough(declare(true), declare(false), probes, probed);
    expect([...run.before]).toEqual([`${r.ta_user} public.${name} INSERT ERROR`]);
    expect([...run.after]).toEqual([]);
    expect(run.widenings).toEqual([]);
  });
  it('an UPDATE whose check fails on one row is observed row by row: the rows the probe may change stay seen (property seed 1801922324)', async () => {
    const { name, probed } = await freshTable();
    const probes: Probe[] = [{ role: r.ta_user, settings: {} }];
    // open: every row reachable, no new row accepted; own: the user's rows. Together a whole-table
    // UPDATE fails (rows 2 to 4 fail every check), yet rows 1 and 2 may each be changed alone.
    const declare = (open: boolean) =>
      defineAccess({
        roles: [r.ta_user],
        tables: [
          table(name, {
            policies: [
              ...(open ? [policy('open', { to: r.ta_user, using: 'true', withCheck: 'false' })] : []),
              policy('own', { for: ['SELECT', 'UPDATE'], to: r.ta_user, using: 'owner_id <= 2' }),
            ],
            grants: [grant(['SELECT', 'UPDATE'], { to: r.ta_user })],
          }),
        ],
      });
    const run = await stepThrough(declare(true), declare(false), probes, probed);
    const updates = (facts: Set<string>) => [...facts].filter((f) => f.includes(' UPDATE ')).sort();
    // Seen as a whole statement, the old state allowed no UPDATE and dropping "open" looked like a widening.
    expect(updates(run.before)).toEqual([`${r.ta_user} public.${name} UPDATE 1`, `${r.ta_user} public.${name} UPDATE 2`]);
    expect(updates(run.after)).toEqual(updates(run.before));
    expect(run.widenings).toEqual([]);
  });
});
