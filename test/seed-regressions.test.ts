/**
 * Each defect of the Python package pg-access was created from, as a test
 * proving it cannot happen here. All against real PostgreSQL: the catalogs
 * and enforced behaviour are asserted, never the SQL text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, grant, plan, policy, table } from '../src/index.js';
import { accessSnapshot, policiesOf, relation, runStatements } from './support/catalog.js';
import { asRole, createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let roles: Awaited<ReturnType<typeof createRoles<'seed_app' | 'seed_ro'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  roles = await createRoles('seed_app', 'seed_ro');
});
afterAll(async () => {
  await db?.close();
  await roles?.drop();
});

async function freshTable(name: string, extra = ''): Promise<void> {
  await db.query(`CREATE TABLE ${quoteIdent(name)} (id serial PRIMARY KEY, owner_id int NOT NULL, body text)${extra}`);
  await db.query(`INSERT INTO ${quoteIdent(name)} (owner_id, body) VALUES (1, 'mine'), (2, 'theirs')`);
}

describe('seed defects cannot happen', () => {
  it("reads polcmd 'r' back as SELECT (not 'R'), so a SELECT policy plans empty after apply", async () => {
    await freshTable('cmd_letters');
    const access = defineAccess({
      roles: [roles.seed_app],
      tables: [
        table('cmd_letters', {
          policies: [
            policy('read', { for: 'SELECT', to: roles.seed_app, using: 'owner_id = 1' }),
            policy('add', { for: 'INSERT', to: roles.seed_app, withCheck: 'owner_id = 1' }),
            policy('change', { for: 'UPDATE', to: roles.seed_app, using: 'owner_id = 1' }),
            policy('remove', { for: 'DELETE', to: roles.seed_app, using: 'owner_id = 1' }),
            policy('everything', { for: 'ALL', to: roles.seed_app, using: 'owner_id = 1' }),
          ],
        }),
      ],
    });
    await apply(db.pool, access);
    const cmds = Object.fromEntries(policiesOf(await accessSnapshot(db.pool), 'public', 'cmd_letters').map((p) => [p.name, p.cmd]));
    expect(cmds).toEqual({ read: 'SELECT', add: 'INSERT', change: 'UPDATE', remove: 'DELETE', everything: 'ALL' });
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it("never emits FOR SELECT, UPDATE: a command list becomes one policy per command", async () => {
    await freshTable('multi_cmd');
    const access = defineAccess({
      roles: [roles.seed_app],
      tables: [table('multi_cmd', { policies: [policy('own', { for: ['SELECT', 'UPDATE'], to: roles.seed_app, using: 'owner_id = 1' })] })],
    });
    await apply(db.pool, access);
    const found = policiesOf(await accessSnapshot(db.pool), 'public', 'multi_cmd').map((p) => [p.name, p.cmd]);
    expect(found).toEqual([
      ['own_select', 'SELECT'],
      ['own_update', 'UPDATE'],
    ]);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it('keeps PUBLIC in policies and grants (polroles {0}, grantee 0), and plans empty after', async () => {
    await freshTable('to_public');
    const access = defineAccess({
      roles: [],
      tables: [table('to_public', { policies: [policy('everyone_reads', { for: 'SELECT', to: 'public', using: 'true' })], grants: [grant('SELECT', { to: 'public' })] })],
    });
    await apply(db.pool, access);
    const { rows } = await db.query(`SELECT polroles::oid[] AS roles FROM pg_policy WHERE polname = 'everyone_reads'`);
    expect(rows[0].roles).toEqual([0]);
    const acl = await db.query(`SELECT a.grantee, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a WHERE c.relname = 'to_public' AND a.grantee = 0`);
    expect(acl.rows).toEqual([{ grantee: 0, privilege_type: 'SELECT' }]);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
    // Enforced: a role with no grant of its own reads through PUBLIC.
    const seen = await asRole(db.pool, roles.seed_ro, {}, (c) => c.query('SELECT count(*)::int AS n FROM to_public'));
    expect(seen.rows[0].n).toBe(2);
  });

  it('a downgrade restores the OLD policy definition, not the new one', async () => {
    await freshTable('downgrade');
    const v1 = defineAccess({
      roles: [roles.seed_app],
      tables: [table('downgrade', { policies: [policy('own', { to: roles.seed_app, using: 'owner_id = 1', withCheck: 'owner_id = 1' })] })],
    });
    await apply(db.pool, v1);
    const before = await accessSnapshot(db.pool);
    const v2 = defineAccess({
      roles: [roles.seed_app],
      tables: [table('downgrade', { policies: [policy('own', { to: roles.seed_app, using: 'owner_id = 2', withCheck: 'owner_id = 2' })] })],
    });
    const upgrade = await plan(db.pool, v2);
    expect(upgrade.operations.map((o) => o.op.kind)).toEqual(['drop-policy', 'create-policy']);
    await runStatements(db.pool, upgrade.up);
    expect(policiesOf(await accessSnapshot(db.pool), 'public', 'downgrade')[0]!.qual).toBe('(owner_id = 2)');
    await runStatements(db.pool, upgrade.down);
    expect(await accessSnapshot(db.pool)).toEqual(before);
    expect(policiesOf(before, 'public', 'downgrade')[0]!.qual).toBe('(owner_id = 1)');
  });

  it("an unqualified table name means public (never 'None.table')", async () => {
    await freshTable('unqualified');
    const p = await plan(db.pool, defineAccess({ roles: [roles.seed_app], tables: [table('unqualified', { grants: [grant('SELECT', { to: roles.seed_app })] })] }));
    expect(p.operations.map((o) => o.op)).toContainEqual(expect.objectContaining({ kind: 'grant', target: { kind: 'table', schema: 'public', name: 'unqualified' } }));
    await runStatements(db.pool, p.up);
    expect(relation(await accessSnapshot(db.pool), 'public', 'unqualified').acl).toContain(`${roles.seed_app}:SELECT`);
  });

  it("never revokes the owner's privileges, even when the owner is a declared role", async () => {
    await freshTable('owned');
    await db.query(`ALTER TABLE owned OWNER TO ${quoteIdent(roles.seed_app)}`);
    await db.query(`GRANT SELECT ON owned TO ${quoteIdent(roles.seed_ro)}`); // makes relacl non-NULL, listing the owner explicitly
    const access = defineAccess({
      roles: [roles.seed_app, roles.seed_ro],
      tables: [table('owned', { grants: [grant('SELECT', { to: [roles.seed_app, roles.seed_ro] })] })],
    });
    const p = await plan(db.pool, access);
    expect(p.isEmpty).toBe(true);
    expect(p.diagnostics.map((d) => d.code)).toContain('GRANT_TO_OWNER');
    await apply(db.pool, access);
    const { rows } = await db.query(`SELECT has_table_privilege($1, 'owned', 'DELETE') AS can_delete`, [roles.seed_app]);
    expect(rows[0].can_delete).toBe(true);
    expect(relation(await accessSnapshot(db.pool), 'public', 'owned').acl).toContain(`${roles.seed_app}:DELETE`);
  });

  it('GRANT ALL is not followed by revokes, and plans empty afterwards', async () => {
    await freshTable('grant_all');
    const access = defineAccess({ roles: [roles.seed_app], tables: [table('grant_all', { grants: [grant('ALL', { to: roles.seed_app })] })] });
    const p = await plan(db.pool, access);
    expect(p.operations.filter((o) => o.op.kind === 'revoke')).toEqual([]);
    await apply(db.pool, access);
    const acl = relation(await accessSnapshot(db.pool), 'public', 'grant_all').acl.filter((e) => e.startsWith(`${roles.seed_app}:`));
    const expected = ['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'];
    if (p.server.versionNum >= 170000) expected.push('MAINTAIN');
    expect(acl.map((e) => e.split(':')[1]).sort()).toEqual(expected.sort());
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
    // A database where GRANT ALL was run by hand is also in sync with grant('ALL').
    await freshTable('grant_all_by_hand');
    await db.query(`GRANT ALL ON grant_all_by_hand TO ${quoteIdent(roles.seed_app)}`);
    const byHand = defineAccess({ roles: [roles.seed_app], tables: [table('grant_all_by_hand', { grants: [grant('ALL', { to: roles.seed_app })] })] });
    expect((await plan(db.pool, byHand)).operations.map((o) => o.description)).toEqual([`grant USAGE on sequence public.grant_all_by_hand_id_seq to ${roles.seed_app}`]);
  });
});
