/**
 * Roles and memberships against real PostgreSQL: created, altered, adopted,
 * left alone (existingRole), dropped only when allowed and only when nothing
 * outside the declaration refers to them; memberships with their options;
 * what a member can do afterwards; the errors users can make.
 *
 * Roles are cluster-wide and test files run in parallel, so every role here
 * has a unique name and is dropped at the end.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apply, defineAccess, existingRole, grant, plan, PgAccessError, policy, quoteLiteral, role, table, type AccessDeclaration } from '../src/index.js';
import { scramSha256Verifier } from '../src/plan/role-passwords.js';
import { accessSnapshot, rolesSnapshot, runStatements } from './support/catalog.js';
import { adminUrl, createTestDatabase, quoteIdent, uniqueName, type TestDatabase } from './support/database.js';

let db: TestDatabase;
const created: string[] = [];

/** Read once at collection time, so version-specific tests are selected (and reported as skipped) rather than passing empty. */
const v16 = await (async () => {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return Number((await client.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v) >= 160000;
  } finally {
    await client.end();
  }
})();

/** A unique role name, dropped after the file (whether the test created it or pg-access did). */
function name(prefix: string): string {
  const n = uniqueName(prefix);
  created.push(n);
  return n;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    for (const r of created.reverse()) await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`).catch(() => undefined);
  } finally {
    await admin.end();
  }
});

async function rejection(fn: () => Promise<unknown>): Promise<PgAccessError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PgAccessError);
    return error as PgAccessError;
  }
  throw new Error('expected a PgAccessError');
}

/**
 * plan → run up → the catalogs say what `check` expects → the next plan is
 * empty → run down → roles and access are exactly as before → up again.
 */
async function roundTrip(access: AccessDeclaration, roles: string[], check: () => Promise<void>): Promise<void> {
  const before = { roles: await rolesSnapshot(db.pool, roles), access: await accessSnapshot(db.pool) };
  const p = await plan(db.pool, access);
  expect(p.isEmpty).toBe(false);
  await runStatements(db.pool, p.up);
  await check();
  const after = { roles: await rolesSnapshot(db.pool, roles), access: await accessSnapshot(db.pool) };
  expect((await plan(db.pool, access)).operations.map((o) => o.description)).toEqual([]);
  await runStatements(db.pool, p.down);
  expect({ roles: await rolesSnapshot(db.pool, roles), access: await accessSnapshot(db.pool) }).toEqual(before);
  await runStatements(db.pool, p.up);
  expect({ roles: await rolesSnapshot(db.pool, roles), access: await accessSnapshot(db.pool) }).toEqual(after);
}

const facts = async (n: string) => (await rolesSnapshot(db.pool, [n]))[0];

describe('managed roles', () => {
  it('creates a missing role with every declared attribute, marked as created by pg-access; the downgrade drops it', async () => {
    const app = name('rl_app');
    const access = defineAccess({
      roles: [role(app, { login: true, inherit: false, createDb: true, connectionLimit: 7, validUntil: '2031-02-03T04:05:06Z' })],
      tables: [],
    });
    await roundTrip(access, [app], async () => {
      expect(await facts(app)).toMatchObject({
        login: true,
        inherit: false,
        bypassRls: false,
        createDb: true,
        createRole: false,
        connectionLimit: 7,
        comment: `created by pg-access (database ${JSON.stringify(db.name)})`,
      });
      expect(new Date((await facts(app))!.validUntil!).toISOString()).toBe('2031-02-03T04:05:06.000Z');
    });
    expect(await facts(app)).toBeDefined();
  });

  it('adopts an existing role: only the attributes that differ are altered, narrowing before widening, and nothing else about it', async () => {
    const app = name('rl_adopt');
    await db.query(`CREATE ROLE ${quoteIdent(app)} LOGIN CREATEDB CONNECTION LIMIT 3`);
    await db.query(`COMMENT ON ROLE ${quoteIdent(app)} IS 'managed by the platform team'`);
    const access = defineAccess({ roles: [role(app, { login: true, createRole: true })], tables: [] });
    const p = await plan(db.pool, access);
    // CREATEDB and the limit are taken away first (phase "narrow"), CREATEROLE given last.
    expect(p.operations.map((o) => o.description)).toEqual([`alter role ${app}: createDb true -> false`, `alter role ${app}: createRole false -> true, connectionLimit 3 -> -1`]);
    await roundTrip(access, [app], async () => {
      expect(await facts(app)).toMatchObject({ login: true, createDb: false, createRole: true, connectionLimit: -1, comment: 'managed by the platform team' });
    });
  });

  it('a validUntil set back to "never" round-trips (PostgreSQL cannot store NULL again, only infinity, which means the same)', async () => {
    const app = name('rl_valid');
    await db.query(`CREATE ROLE ${quoteIdent(app)} VALID UNTIL '2030-01-01Z'`);
    await roundTrip(defineAccess({ roles: [role(app)], tables: [] }), [app], async () => {
      expect((await facts(app))!.validUntil).toBe('infinity');
    });
  });

  it('never creates, alters or drops an existing role, whatever its attributes', async () => {
    const provider = name('rl_provider');
    await db.query(`CREATE ROLE ${quoteIdent(provider)} LOGIN CREATEDB CONNECTION LIMIT 2`);
    const before = await facts(provider);
    for (const r of [provider, existingRole(provider)]) {
      const p = await plan(db.pool, defineAccess({ roles: [r], tables: [] }));
      expect(p.isEmpty).toBe(true);
    }
    expect(await facts(provider)).toEqual(before);
  });

  it('a grant to a role the same plan creates runs after CREATE ROLE', async () => {
    const app = name('rl_new_grantee');
    await db.query(`CREATE TABLE new_grantee_docs (id int)`);
    const access = defineAccess({ roles: [role(app)], tables: [table('new_grantee_docs', { grants: [grant('SELECT', { to: app })] })] });
    await apply(db.pool, access);
    expect((await db.query(`SELECT has_table_privilege($1, 'new_grantee_docs', 'SELECT') AS ok`, [app])).rows[0].ok).toBe(true);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });
});

describe('memberships', () => {
  it('grants declared memberships with ADMIN OPTION, revokes the ones a managed role should not have, and round-trips', async () => {
    const [app, readers, writers, legacy] = [name('rl_m_app'), name('rl_m_readers'), name('rl_m_writers'), name('rl_m_legacy')];
    for (const g of [readers, writers, legacy]) await db.query(`CREATE ROLE ${quoteIdent(g)}`);
    await db.query(`CREATE ROLE ${quoteIdent(app)}; GRANT ${quoteIdent(legacy)} TO ${quoteIdent(app)}`);
    const access = defineAccess({ roles: [role(app, { inRoles: [readers, { role: writers, admin: true }] }), readers, writers], tables: [] });
    await roundTrip(access, [app], async () => {
      const memberOf = (await facts(app))!.memberOf.map((m) => m.split(' ').slice(0, 2).join(' '));
      expect(memberOf).toEqual([`${readers} admin=false`, `${writers} admin=true`].sort());
    });
  });

  it('changes ADMIN OPTION in place (and on 16+ INHERIT and SET) without revoking the membership', async () => {
    const [app, group] = [name('rl_o_app'), name('rl_o_group')];
    await db.query(`CREATE ROLE ${quoteIdent(group)}; CREATE ROLE ${quoteIdent(app)}; GRANT ${quoteIdent(group)} TO ${quoteIdent(app)} WITH ADMIN OPTION`);
    const membership = v16 ? { role: group, admin: false, inherit: false, set: false } : { role: group, admin: false };
    const access = defineAccess({ roles: [role(app, { inRoles: [membership] }), group], tables: [] });
    const p = await plan(db.pool, access);
    expect(p.operations.map((o) => o.op.kind)).toEqual(['alter-membership']);
    await roundTrip(access, [app], async () => {
      expect((await facts(app))!.memberOf).toEqual([v16 ? `${group} admin=false inherit=false set=false` : `${group} admin=false`]);
    });
  });

  it('an existing role declared with inRoles: memberships in managed roles are managed, others are only added', async () => {
    const [authenticator, appRole, stale, other, kept] = [name('rl_e_auth'), name('rl_e_app'), name('rl_e_stale'), name('rl_e_other'), name('rl_e_kept')];
    await db.query(`CREATE ROLE ${quoteIdent(authenticator)} NOINHERIT LOGIN`);
    for (const g of [stale, other, kept]) await db.query(`CREATE ROLE ${quoteIdent(g)}`);
    // Created by an earlier apply (so managed), then the membership in it goes away.
    await apply(db.pool, defineAccess({ roles: [role(stale)], tables: [] }));
    await db.query(`GRANT ${quoteIdent(stale)} TO ${quoteIdent(authenticator)}; GRANT ${quoteIdent(kept)} TO ${quoteIdent(authenticator)}`);
    const access = defineAccess({ roles: [existingRole(authenticator, { inRoles: [appRole, other] }), role(appRole), role(stale), kept, other], tables: [] });
    const p = await plan(db.pool, access);
    expect(p.operations.map((o) => o.description.replace(/ \(admin.*\)$/, ''))).toEqual([
      `create role ${appRole}`,
      `revoke role ${stale} from ${authenticator}`,
      `grant role ${appRole} to ${authenticator}`,
      `grant role ${other} to ${authenticator}`,
    ]);
    await runStatements(db.pool, p.up);
    expect((await facts(authenticator))!.memberOf.map((m) => m.split(' ')[0])).toEqual([appRole, kept, other].sort());
    expect((await facts(authenticator))!.login).toBe(true);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });
});

describe('what a member can do', () => {
  let readers: string;
  let inheriting: string;
  let notInheriting: string;

  beforeAll(async () => {
    [readers, inheriting, notInheriting] = [name('rl_x_readers'), name('rl_x_inherit'), name('rl_x_noinherit')];
    await db.query(`CREATE TABLE member_docs (id int); INSERT INTO member_docs VALUES (1), (2)`);
    await apply(
      db.pool,
      defineAccess({
        roles: [role(readers), role(inheriting, { login: true, inRoles: [readers] }), role(notInheriting, { login: true, inherit: false, inRoles: [readers] })],
        tables: [table('member_docs', { grants: [grant('SELECT', { to: readers })] })],
      }),
    );
  });

  /** Logs in as the role itself (the test server trusts local connections): what it can do without SET ROLE. */
  async function asLogin<T>(user: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const url = new URL(db.url);
    url.username = user;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  it('with inherit on, a member gets exactly the group\'s access', async () => {
    expect((await asLogin(inheriting, (c) => c.query('SELECT count(*)::int AS n FROM member_docs'))).rows[0].n).toBe(2);
    await expect(asLogin(inheriting, (c) => c.query('INSERT INTO member_docs VALUES (3)'))).rejects.toThrow(/permission denied for table member_docs/);
  });

  it('with inherit off, a member has none of it until it SETs ROLE to the group', async () => {
    await expect(asLogin(notInheriting, (c) => c.query('SELECT * FROM member_docs'))).rejects.toThrow(/permission denied for table member_docs/);
    const n = await asLogin(notInheriting, async (c) => {
      await c.query(`SET ROLE ${quoteIdent(readers)}`);
      return (await c.query('SELECT count(*)::int AS n FROM member_docs')).rows[0].n;
    });
    expect(n).toBe(2);
  });

  it.runIf(v16)('on PostgreSQL 16+, a membership with inherit: false and set: false gives nothing, even to an inheriting role', async () => {
    const [group, member] = [name('rl_x16_group'), name('rl_x16_member')];
    await db.query(`CREATE TABLE member16_docs (id int); INSERT INTO member16_docs VALUES (1)`);
    const access = (inherit: boolean, set: boolean) =>
      defineAccess({ roles: [role(group), role(member, { login: true, inRoles: [{ role: group, inherit, set }] })], tables: [table('member16_docs', { grants: [grant('SELECT', { to: group })] })] });
    await apply(db.pool, access(false, false));
    await expect(asLogin(member, (c) => c.query('SELECT * FROM member16_docs'))).rejects.toThrow(/permission denied/);
    await expect(asLogin(member, (c) => c.query(`SET ROLE ${quoteIdent(group)}`))).rejects.toThrow(/permission denied to set role/);
    await apply(db.pool, access(true, false));
    expect((await asLogin(member, (c) => c.query('SELECT count(*)::int AS n FROM member16_docs'))).rows[0].n).toBe(1);
  });
});

describe("rls: 'force', for tables the application role owns", () => {
  it('the owner is held to the policies only when forced', async () => {
    const owner = name('rl_f_owner');
    await db.query(`CREATE ROLE ${quoteIdent(owner)}; CREATE TABLE forced_docs (id int, owner_name text); ALTER TABLE forced_docs OWNER TO ${quoteIdent(owner)}`);
    await db.query(`INSERT INTO forced_docs VALUES (1, ${quoteLiteral(owner)}), (2, 'someone else')`);
    const declare = (rls: true | 'force') =>
      defineAccess({ roles: [owner], tables: [table('forced_docs', { rls, policies: [policy('own_rows', { to: owner, using: 'owner_name = current_user' })] })] });
    const visible = async () => {
      const client = await db.pool.connect();
      try {
        await client.query(`SET ROLE ${quoteIdent(owner)}`);
        return (await client.query('SELECT id FROM forced_docs ORDER BY id')).rows.map((r) => r.id);
      } finally {
        await client.query('RESET ROLE');
        client.release();
      }
    };
    await apply(db.pool, declare(true));
    expect(await visible()).toEqual([1, 2]); // owners bypass RLS unless it is forced
    await apply(db.pool, declare('force'));
    expect(await visible()).toEqual([1]);
    expect((await plan(db.pool, declare('force'))).isEmpty).toBe(true);
  });
});

describe('dropping roles', () => {
  // --allow-drop-roles considers every role pg-access created for a database:
  // each test uses its own database so the other tests' roles are not candidates.
  let own: TestDatabase;
  beforeEach(async () => {
    own = await createTestDatabase();
  });
  afterEach(async () => {
    await own.close();
  });

  it('a role pg-access created and that is no longer declared is reported, not dropped, unless allowed; then its grants go first and the downgrade brings both back', async () => {
    const [app, temp] = [name('rl_d_app'), name('rl_d_temp')];
    await own.query(`CREATE TABLE drop_docs (id int)`);
    const withTemp = defineAccess({
      roles: [role(app), role(temp, { inRoles: [app] })],
      tables: [table('drop_docs', { grants: [grant('SELECT', { to: [app, temp] })] })],
    });
    await apply(own.pool, withTemp);
    const without = defineAccess({ roles: [role(app)], tables: [table('drop_docs', { grants: [grant('SELECT', { to: app })] })] });

    const cautious = await plan(own.pool, without);
    expect(cautious.operations).toEqual([]);
    expect(cautious.diagnostics).toContainEqual(expect.objectContaining({ code: 'UNDECLARED_ROLE', subject: `role ${quoteIdent(temp)}` }));

    const before = { roles: await rolesSnapshot(own.pool, [app, temp]), access: await accessSnapshot(own.pool) };
    const p = await plan(own.pool, without, { allowDropRoles: true });
    expect(p.operations.map((o) => o.op.kind)).toEqual(['revoke-membership', 'revoke', 'drop-role']);
    await runStatements(own.pool, p.up);
    expect(await facts(temp)).toBeUndefined();
    expect((await plan(own.pool, without, { allowDropRoles: true })).isEmpty).toBe(true);
    await runStatements(own.pool, p.down);
    expect({ roles: await rolesSnapshot(own.pool, [app, temp]), access: await accessSnapshot(own.pool) }).toEqual(before);
  });

  it('a role that still owns objects or holds privileges outside the declaration is not dropped: the error lists them', async () => {
    const [owner, holder] = [name('rl_d_owner'), name('rl_d_holder')];
    await apply(own.pool, defineAccess({ roles: [role(owner), role(holder)], tables: [] }));
    await own.query(`CREATE TABLE owned_by_role (id int); ALTER TABLE owned_by_role OWNER TO ${quoteIdent(owner)}`);
    await own.query(`CREATE TABLE undeclared_docs (id int); GRANT SELECT ON undeclared_docs TO ${quoteIdent(holder)}`);
    const before = await rolesSnapshot(own.pool, [owner, holder]);
    const e = await rejection(() => apply(own.pool, defineAccess({ roles: [], tables: [] }), { allowDropRoles: true }));
    expect(e.code).toBe('DECLARATION_DOES_NOT_MATCH_DATABASE');
    expect(e.message).toContain(`Role ${quoteIdent(owner)} cannot be dropped: it owns table owned_by_role`);
    expect(e.message).toContain(`Role ${quoteIdent(holder)} cannot be dropped: it holds privileges on table undeclared_docs`);
    expect(await rolesSnapshot(own.pool, [owner, holder])).toEqual(before);
    // Cleaned up by hand, the drop goes through.
    await own.query(`DROP TABLE owned_by_role, undeclared_docs`);
    const result = await apply(own.pool, defineAccess({ roles: [], tables: [] }), { allowDropRoles: true });
    expect(result.plan.operations.map((o) => o.op.kind).filter((k) => k === 'drop-role')).toHaveLength(2);
    expect(await rolesSnapshot(own.pool, [owner, holder])).toEqual([]);
  });

  it('never drops a role it did not create (adopted roles carry no marker)', async () => {
    const adopted = name('rl_d_adopted');
    await own.query(`CREATE ROLE ${quoteIdent(adopted)}`);
    await apply(own.pool, defineAccess({ roles: [role(adopted, { createDb: true })], tables: [] }));
    const p = await plan(own.pool, defineAccess({ roles: [], tables: [] }), { allowDropRoles: true });
    expect(p.operations.filter((o) => o.op.kind === 'drop-role' && o.op.role.name === adopted)).toEqual([]);
  });
});

describe('passwords', () => {
  it('come from an environment variable, are set as a SCRAM verifier at apply, and never appear in a plan or migration', async () => {
    const app = name('rl_pw');
    const variable = `PG_ACCESS_TEST_PW_${app.toUpperCase()}`;
    const secret = `s3cr3t-'quoted'-${app}`;
    process.env[variable] = secret;
    try {
      const access = defineAccess({ roles: [role(app, { login: true, password: { env: variable } })], tables: [] });
      const p = await plan(db.pool, access);
      expect(JSON.stringify([p.up, p.down, p.operations])).not.toContain('s3cr3t');
      expect(JSON.stringify(p)).not.toContain('SCRAM');
      const result = await apply(db.pool, access);
      expect(result.passwords).toEqual([{ role: app, env: variable, status: 'set' }]);
      const stored = (await db.query(`SELECT rolpassword FROM pg_authid WHERE rolname = $1`, [app])).rows[0].rolpassword as string;
      // The stored verifier is exactly the one for this password with its salt and iteration count.
      const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored)!;
      expect(scramSha256Verifier(secret, Buffer.from(salt!, 'base64'), Number(iterations))).toBe(stored);
      expect(await canLogIn(app, secret)).toBe(true);
      expect(await canLogIn(app, 'wrong')).toBe(false);

      // Not set again unless asked (rotation): a changed variable alone changes nothing.
      process.env[variable] = `${secret}-rotated`;
      expect((await apply(db.pool, access)).passwords).toEqual([{ role: app, env: variable, status: 'kept' }]);
      expect(await canLogIn(app, secret)).toBe(true);
      expect((await apply(db.pool, access, { setPasswords: true })).passwords).toEqual([{ role: app, env: variable, status: 'set' }]);
      expect(await canLogIn(app, `${secret}-rotated`)).toBe(true);
    } finally {
      delete process.env[variable];
    }
  });

  it('a password written in code is refused', async () => {
    const e = await rejection(() => plan(db.pool, defineAccess({ roles: [role(name('rl_pw_bad'), { password: 'hunter2' as never })], tables: [] })));
    expect(e.code).toBe('INVALID_DECLARATION');
    expect(e.message).toContain("password must be { env: 'VARIABLE_NAME' }");
  });

  /**
   * The test server trusts local connections; for this one role a pg_hba.conf
   * line in front requires its SCRAM password (skipped when the server's files
   * are not on this machine).
   */
  async function canLogIn(user: string, password: string): Promise<boolean> {
    const hbaFile = (await db.query(`SELECT current_setting('hba_file') AS f`)).rows[0].f as string;
    const original = readFileSync(hbaFile, 'utf8');
    const line = `host all ${user} 127.0.0.1/32 scram-sha-256`;
    writeFileSync(hbaFile, `${line}\n${original}`);
    await db.query('SELECT pg_reload_conf()');
    await waitForHbaReload(user);
    try {
      const url = new URL(db.url);
      url.username = user;
      url.password = encodeURIComponent(password);
      const client = new pg.Client({ connectionString: url.toString() });
      try {
        await client.connect();
        await client.end();
        return true;
      } catch (error) {
        if (/password authentication failed/.test((error as Error).message)) return false;
        throw error;
      }
    } finally {
      writeFileSync(hbaFile, original);
      await db.query('SELECT pg_reload_conf()');
    }
  }

  async function waitForHbaReload(user: string): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_hba_file_rules WHERE $1 = ANY(user_name) AND auth_method = 'scram-sha-256'`, [user]);
      if (rows[0].n > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});

describe('bad input is one clear error before anything runs', () => {
  it('a role both managed and existing', async () => {
    const n = name('rl_both');
    const e = await rejection(() => plan(db.pool, defineAccess({ roles: [role(n), n], tables: [] })));
    expect(e.code).toBe('INVALID_DECLARATION');
    expect(e.message).toContain(`Role ${quoteIdent(n)} is declared both with role() (managed: created and altered by pg-access) and as an existing role`);
  });

  it('a membership cycle, declared or closing through memberships the database has', async () => {
    const [a, b, c] = [name('rl_cy_a'), name('rl_cy_b'), name('rl_cy_c')];
    const declared = await rejection(() => plan(db.pool, defineAccess({ roles: [role(a, { inRoles: [b] }), role(b, { inRoles: [c] }), role(c, { inRoles: [a] })], tables: [] })));
    expect(declared.code).toBe('INVALID_DECLARATION');
    expect(declared.message).toMatch(/Membership cycle: "rl_cy_\w+" is a member of "rl_cy_\w+" is a member of "rl_cy_\w+" is a member of "rl_cy_\w+"/);

    await db.query(`CREATE ROLE ${quoteIdent(a)}; CREATE ROLE ${quoteIdent(b)}; GRANT ${quoteIdent(a)} TO ${quoteIdent(b)}`);
    const before = await rolesSnapshot(db.pool, [a, b]);
    const throughDatabase = await rejection(() => apply(db.pool, defineAccess({ roles: [role(a, { inRoles: [b] }), b], tables: [] })));
    expect(throughDatabase.code).toBe('DECLARATION_DOES_NOT_MATCH_DATABASE');
    expect(throughDatabase.message).toContain('(counting memberships the database already has)');
    expect(await rolesSnapshot(db.pool, [a, b])).toEqual(before);
  });

  it('reserved names, missing existing roles and groups, bad attributes', async () => {
    const e = await rejection(() =>
      plan(db.pool, defineAccess({ roles: [role('pg_mine'), role(name('rl_bad'), { connectionLimit: -5, validUntil: 'next tuesday', login: 'yes' as never })], tables: [] })),
    );
    expect(e.message).toContain('role("pg_mine"): PostgreSQL reserves this name');
    expect(e.message).toContain('connectionLimit must be an integer >= 0, or -1 for no limit; got -5');
    expect(e.message).toContain("validUntil must be a Date or a timestamp");
    expect(e.message).toContain('login must be true or false');

    const ghost = uniqueName('rl_ghost');
    const missing = await rejection(() => plan(db.pool, defineAccess({ roles: [ghost, role(name('rl_member'), { inRoles: [uniqueName('rl_nogroup')] })], tables: [] })));
    expect(missing.code).toBe('DECLARATION_DOES_NOT_MATCH_DATABASE');
    expect(missing.message).toContain(`Role ${quoteIdent(ghost)} does not exist in the database`);
    expect(missing.message).toMatch(/inRoles "rl_nogroup_\w+"\): role "rl_nogroup_\w+" does not exist/);
  });

  it.runIf(!v16)('before PostgreSQL 16, membership options inherit and set are refused', async () => {
    const [group, member] = [name('rl_v_group'), name('rl_v_member')];
    const e = await rejection(() => plan(db.pool, defineAccess({ roles: [role(group), role(member, { inRoles: [{ role: group, inherit: false }] })], tables: [] })));
    expect(e.message).toContain('membership options inherit and set exist from PostgreSQL 16 on');
  });
});
