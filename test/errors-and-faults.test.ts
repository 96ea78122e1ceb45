/**
 * Bad input gets a clear error that names the object and the fix, and
 * nothing is applied. Faults during apply leave the database as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, database, defaultPrivileges, defineAccess, existingRole, grant, plan, policy, role, routine, schema, sequence, table, type AccessDeclaration } from '../src/index.js';
import { accessSnapshot } from './support/catalog.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'err_app' | 'err_sub'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('err_app', 'err_sub');
  await db.query(`CREATE TABLE docs (id int, owner_id int)`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

async function rejection(access: () => AccessDeclaration): Promise<{ code: string; message: string }> {
  const before = await accessSnapshot(db.pool);
  let error: unknown;
  try {
    await apply(db.pool, access());
  } catch (e) {
    error = e;
  }
  expect(error, 'apply should have failed').toBeInstanceOf(Error);
  expect(await accessSnapshot(db.pool)).toEqual(before);
  return error as { code: string; message: string };
}

describe('declaration errors', () => {
  it('unknown command lists the allowed ones', async () => {
    const e = await rejection(() => defineAccess({ roles: [], tables: [table('docs', { policies: [policy('p', { for: 'SELEKT' as 'SELECT', using: 'true' })] })] }));
    expect(e.code).toBe('INVALID_DECLARATION');
    expect(e.message).toContain('policy "p" on "public"."docs": unknown command "SELEKT"; allowed: ALL, SELECT, INSERT, UPDATE, DELETE');
  });

  it('unknown privilege lists the allowed ones', async () => {
    const e = await rejection(() => defineAccess({ roles: [r.err_app], tables: [table('docs', { grants: [grant(['SELECT', 'EXECUTE'], { to: r.err_app })] })] }));
    expect(e.message).toMatch(/grant on "public"."docs": "EXECUTE" is not a table privilege; allowed: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER/);
  });

  it('a role not listed in roles says which role and where', async () => {
    const e = await rejection(() => defineAccess({ roles: [], tables: [table('docs', { policies: [policy('p', { to: 'ghost', using: 'true' })] })] }));
    expect(e.message).toContain('policy "p" on "public"."docs" names role "ghost", which is not in defineAccess({ roles })');
  });

  it('a listed role missing from the database is named', async () => {
    const e = await rejection(() => defineAccess({ roles: ['no_such_role_xyz'], tables: [table('docs', { grants: [grant('SELECT', { to: 'no_such_role_xyz' })] })] }));
    expect(e.code).toBe('DECLARATION_DOES_NOT_MATCH_DATABASE');
    expect(e.message).toContain('Role "no_such_role_xyz" does not exist in the database. Create it first (CREATE ROLE "no_such_role_xyz"), or declare it with role("no_such_role_xyz")');
  });

  it('a missing table is named, with the fix', async () => {
    const e = await rejection(() => defineAccess({ roles: [], tables: [table('nope.docs', { rls: true })] }));
    expect(e.message).toContain('Table "nope"."docs" does not exist in the database. Create it first');
  });

  it("an expression PostgreSQL rejects shows PostgreSQL's message, the policy and the table", async () => {
    const e = await rejection(() =>
      defineAccess({ roles: [], tables: [table('docs', { policies: [policy('good', { using: 'true' }), policy('bad', { using: 'onwer_id = 1' }), policy('worse', { using: 'owner_id = ' + "'x'::int" })] })] }),
    );
    expect(e.code).toBe('INVALID_EXPRESSION');
    expect(e.message).toContain('policy "bad" on "public"."docs": column "onwer_id" does not exist');
    expect(e.message).toContain('policy "worse" on "public"."docs": invalid input syntax for type integer');
    expect(e.message).not.toContain('"good"');
  });

  it('a policy for no role at all', async () => {
    const e = await rejection(() => defineAccess({ roles: [], tables: [table('docs', { policies: [policy('p', { to: [], using: 'true' })] })] }));
    expect(e.message).toContain('policy "p" on "public"."docs": to: [] names no role');
  });

  it('duplicate policy names on a table', async () => {
    const e = await rejection(() => defineAccess({ roles: [], tables: [table('docs', { policies: [policy('p', { using: 'true' }), policy('p', { using: 'false' })] })] }));
    expect(e.message).toContain('Table "public"."docs" declares policy "p" more than once');
  });

  it('USING on an INSERT policy, WITH CHECK on a SELECT policy', async () => {
    const e = await rejection(() =>
      defineAccess({ roles: [], tables: [table('docs', { policies: [policy('i', { for: 'INSERT', using: 'true' }), policy('s', { for: 'SELECT', withCheck: 'true' })] })] }),
    );
    expect(e.message).toContain('an INSERT policy takes only withCheck');
    expect(e.message).toContain('a SELECT policy takes only using');
  });

  it('rls: false with policies is allowed but warned about (inert policies)', async () => {
    const p = await plan(db.pool, defineAccess({ roles: [], tables: [table('docs', { rls: false, policies: [policy('p', { using: 'true' })] })] }));
    expect(p.diagnostics).toContainEqual(expect.objectContaining({ code: 'INERT_POLICIES', severity: 'warning', subject: '"public"."docs"' }));
  });
});

describe('unknown option keys are errors, never silent defaults', () => {
  it('table(t, { polices }) is refused, naming the key and the likely one; the policies in the database stay', async () => {
    const declared = () => defineAccess({ roles: [r.err_app], tables: [table('docs', { policies: [policy('keep', { for: 'SELECT', to: r.err_app, using: 'owner_id = 1' })] })] });
    await apply(db.pool, declared());
    const e = await rejection(() =>
      defineAccess({ roles: [r.err_app], tables: [table('docs', { polices: [policy('keep', { for: 'SELECT', to: r.err_app, using: 'owner_id = 1' })] } as never)] }),
    );
    expect(e.code).toBe('INVALID_DECLARATION');
    expect(e.message).toBe('table("docs"): unknown option "polices" (did you mean "policies"?); allowed: rls, policies, grants.');
    expect((await db.query(`SELECT polname FROM pg_policy WHERE polrelid = 'public.docs'::regclass`)).rows).toEqual([{ polname: 'keep' }]);
    await apply(db.pool, defineAccess({ roles: [r.err_app], tables: [table('docs', { rls: false })] }));
  });

  // Every builder, as a user would misspell it; `as never` stands for an access file the CLI loads without type-checking.
  const cases: [string, () => unknown, string][] = [
    ['defineAccess', () => defineAccess({ roles: [], tables: [], schema: [] } as never), 'defineAccess(): unknown option "schema" (did you mean "schemas"?); allowed: roles, tables, schemas, sequences, routines, database, defaultPrivileges, impliedGrants.'],
    ['schema', () => schema('kit', { revokeFromPublc: true } as never), 'schema("kit"): unknown option "revokeFromPublc" (did you mean "revokeFromPublic"?); allowed: grants, revokeFromPublic.'],
    ['policy', () => policy('p', { using: 'true', withcheck: 'true' } as never), 'policy("p"): unknown option "withcheck" (did you mean "withCheck"?); allowed: as, for, to, using, withCheck.'],
    ['grant', () => grant('SELECT', { to: 'a', withGrant: true } as never), 'grant(["SELECT"]): unknown option "withGrant"; allowed: to, withGrantOption, columns.'],
    ['role', () => role('r', { bypassRLS: true, logn: true } as never), 'role("r"): unknown options "bypassRLS" (did you mean "bypassRls"?), "logn" (did you mean "login"?); allowed: inRoles, login, inherit, bypassRls, createDb, createRole, connectionLimit, validUntil, password.'],
    ['role password', () => role('r', { password: { envVar: 'X' } } as never), 'role("r", { password }): unknown option "envVar"; allowed: env.'],
    ['membership', () => role('r', { inRoles: [{ role: 'g', admn: true }] } as never), 'role("r"), inRoles entry "g": unknown option "admn" (did you mean "admin"?); allowed: role, admin, inherit, set.'],
    ['existingRole', () => existingRole('anon', { grant: 'unmanaged' } as never), 'existingRole("anon"): unknown option "grant" (did you mean "grants"?); allowed: inRoles, grants.'],
    ['sequence', () => sequence('s', { grant: [] } as never), 'sequence("s"): unknown option "grant" (did you mean "grants"?); allowed: grants.'],
    ['routine', () => routine('f()', { revokePublic: true } as never), 'routine("f()"): unknown option "revokePublic"; allowed: grants, revokeFromPublic.'],
    ['database', () => database({ grant: [] } as never), 'database(): unknown option "grant" (did you mean "grants"?); allowed: grants, revokeFromPublic.'],
    ['defaultPrivileges', () => defaultPrivileges({ on: 'tables', inschema: 'app' } as never), 'defaultPrivileges(): unknown option "inschema" (did you mean "inSchema"?); allowed: forRole, inSchema, on, grants, revokeFromPublic.'],
    ['options not an object', () => policy('p', 'owner_id = 1' as never), 'policy("p"): the options must be an object { as, for, to, using, withCheck }, got "owner_id = 1".'],
  ];
  for (const [what, build, message] of cases) {
    it(what, () => {
      expect(build).toThrow(expect.objectContaining({ code: 'INVALID_DECLARATION', message }));
    });
  }
});

describe('faults during apply', () => {
  it('a statement failing in the middle rolls back everything, and the error names the statement', async () => {
    await db.query(`CREATE TABLE chain (id int)`);
    // err_app may pass SELECT on; it did, to err_sub. Revoking err_app's SELECT
    // without CASCADE then fails ("dependent privileges exist") after other
    // statements of the same apply already ran.
    await db.query(`GRANT SELECT ON chain TO ${quoteIdent(r.err_app)} WITH GRANT OPTION`);
    await db.query(`SET ROLE ${quoteIdent(r.err_app)}; GRANT SELECT ON chain TO ${quoteIdent(r.err_sub)}; RESET ROLE`);
    const e = await rejection(() =>
      defineAccess({
        roles: [r.err_app],
        tables: [table('chain', { rls: true, policies: [policy('p', { using: 'true' })], grants: [grant('INSERT', { to: r.err_app })] })],
      }),
    );
    expect(e.code).toBe('APPLY_FAILED');
    expect(e.message).toMatch(/dependent privileges exist[\s\S]*REVOKE SELECT ON TABLE "public"."chain" FROM/);
    const { rows } = await db.query(`SELECT relrowsecurity FROM pg_class WHERE relname = 'chain'`);
    expect(rows[0].relrowsecurity).toBe(false);
  });

  it('two concurrent applies serialize; both succeed and the state is the declaration', async () => {
    await db.query(`CREATE TABLE racing (id int)`);
    const access = defineAccess({ roles: [r.err_app], tables: [table('racing', { policies: [policy('p', { to: r.err_app, using: 'id > 0' })], grants: [grant('SELECT', { to: r.err_app })] })] });
    const [first, second] = await Promise.all([apply(db.pool, access), apply(db.pool, access)]);
    const sizes = [first.plan.operations.length, second.plan.operations.length].sort();
    expect(sizes[0]).toBe(0); // whoever went second found nothing left to do
    expect(sizes[1]).toBeGreaterThan(0);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it('a table lock held elsewhere gives a clear lock-timeout error and no change', async () => {
    await db.query(`CREATE TABLE locked (id int)`);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE locked IN ACCESS SHARE MODE');
      const before = await accessSnapshot(db.pool);
      await expect(apply(db.pool, defineAccess({ roles: [], tables: [table('locked', { policies: [policy('p', { using: 'true' })] })] }), { lockTimeoutMs: 200 })).rejects.toMatchObject({
        code: 'LOCK_TIMEOUT',
        message: expect.stringContaining('"public"."locked"'),
      });
      expect(await accessSnapshot(db.pool)).toEqual(before);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });

  // Planning takes no table lock at all (see test/read-only-planning.test.ts): the test that it locked one table at a time is gone.
});

describe('a connection URL where a client is expected', () => {
  it('every entry point says what it needs, naming the fix, instead of a TypeError', async () => {
    const { apply, audit, check, lint, plan, pull, defineAccess } = await import('../src/index.js');
    const access = defineAccess({ roles: [], tables: ['public.docs'] });
    const url = 'postgres://localhost/app' as never;
    for (const call of [() => plan(url, access), () => apply(url, access), () => check(url, access), () => lint(url), () => audit(url), () => pull(url)]) {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_CLIENT', message: expect.stringContaining('got a string (a connection URL?). For a URL: new pg.Pool({ connectionString: url }).') });
    }
  });
});
