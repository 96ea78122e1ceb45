/**
 * Counterexamples found by the property-based round trips
 * (test/property/round-trip.property.test.ts), shrunk and kept as plain
 * scenarios against real PostgreSQL, each with the PostgreSQL behaviour it
 * is about.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPrivileges, defineAccess, grant, plan, routine, schema, table, type AccessDeclaration } from '../src/index.js';
import { accessSnapshot, runStatements } from './support/catalog.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'pr_a' | 'pr_b'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('pr_a', 'pr_b');
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

let counter = 0;
const fresh = (prefix: string) => `${prefix}_${++counter}`;

/** plan → up → next plan empty → down → the access snapshot is back to before → up again → as after the first up. */
async function roundTrip(access: AccessDeclaration): Promise<void> {
  const before = await accessSnapshot(db.pool);
  const p = await plan(db.pool, access);
  await runStatements(db.pool, p.up);
  const after = await accessSnapshot(db.pool);
  expect((await plan(db.pool, access)).operations.map((o) => o.description)).toEqual([]);
  await runStatements(db.pool, p.down);
  expect(await accessSnapshot(db.pool)).toEqual(before);
  await runStatements(db.pool, p.up);
  expect(await accessSnapshot(db.pool)).toEqual(after);
}

describe('grant options', () => {
  it('withGrantOption to PUBLIC is a declaration error (PostgreSQL: "grant options can only be granted to roles")', async () => {
    const t = fresh('pr_public_option');
    await db.query(`CREATE TABLE ${t} (id int)`);
    const before = await accessSnapshot(db.pool);
    const declare = (target: 'table' | 'schema') =>
      defineAccess({
        roles: [r.pr_a],
        schemas: target === 'schema' ? [schema(`${t}_s`, { grants: [grant('USAGE', { to: 'public', withGrantOption: true })] })] : [],
        tables: target === 'table' ? [table(t, { grants: [grant('TRIGGER', { to: ['public', r.pr_a], withGrantOption: true })] })] : [],
      });
    for (const target of ['table', 'schema'] as const) {
      const error = await plan(db.pool, declare(target)).then(
        () => null,
        (e: { code: string; message: string }) => e,
      );
      expect(error?.code).toBe('INVALID_DECLARATION');
      expect(error?.message).toContain('withGrantOption cannot be given to PUBLIC');
    }
    expect(await accessSnapshot(db.pool)).toEqual(before);
  });
});

describe('implied schema USAGE', () => {
  it('a grant to PUBLIC elsewhere does not make pg-access forget that PUBLIC already has USAGE on an undeclared schema', async () => {
    // PostgreSQL 15+: `public` grants USAGE to PUBLIC; pg-access never revokes
    // on a schema that is not declared, so PUBLIC keeps it and a role granted
    // a table there needs no USAGE of its own.
    const t = fresh('pr_usage');
    const other = fresh('pr_usage_s');
    await db.query(`CREATE TABLE ${t} (id int); CREATE SCHEMA ${other}; CREATE TABLE ${other}.tags (id int)`);
    const access = defineAccess({
      roles: [r.pr_a],
      tables: [table(t, { grants: [grant('TRIGGER', { to: r.pr_a })] }), table(`${other}.tags`, { grants: [grant('SELECT', { to: 'public' })] })],
    });
    const p = await plan(db.pool, access);
    expect(p.operations.map((o) => o.description)).toEqual([
      `grant USAGE on schema ${other} to PUBLIC`,
      `grant SELECT on table ${other}.tags to PUBLIC`,
      `grant TRIGGER on table public.${t} to ${r.pr_a}`,
    ]);
    await runStatements(db.pool, p.up);
    const { rows } = await db.query(`SELECT has_schema_privilege($1, 'public', 'USAGE') AS usage, (SELECT nspacl::text[] FROM pg_namespace WHERE nspname = 'public') AS acl`, [r.pr_a]);
    expect(rows[0].usage).toBe(true);
    expect((rows[0].acl as string[]).some((e) => e.startsWith(`${r.pr_a}=`))).toBe(false);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });
});

describe('column privileges', () => {
  it('a column entry kept by the declaration survives the downgrade revoking the table-level entry of the same privilege', async () => {
    // PostgreSQL: REVOKE INSERT ON t also revokes INSERT on every column of t.
    // Property pair: A = column INSERT, REFERENCES (owner_id) to PUBLIC;
    // B = column INSERT (owner_id) and table INSERT to PUBLIC. The downgrade's
    // REVOKE INSERT ON TABLE took the column INSERT with it.
    const t = fresh('pr_column_wipe');
    await db.query(`CREATE TABLE ${t} (id int, owner_id int); GRANT INSERT (owner_id), REFERENCES (owner_id) ON ${t} TO PUBLIC`);
    await roundTrip(
      defineAccess({
        roles: [],
        tables: [table(t, { grants: [grant('INSERT', { to: 'public', columns: ['owner_id'] }), grant('INSERT', { to: 'public' })] })],
      }),
    );
  });
});

describe('routines', () => {
  it('the USAGE a routine grantee needs on the routine\'s schema is compared with what the schema has: granted once, never again', async () => {
    // Property pair: A = {}; B = routine('"Crm"."Archive ""it"""(text, integer)',
    // { grants: [grant(['EXECUTE'], { to: ['public'] })] }). The routine's
    // schema was not read, so every plan granted USAGE on it again.
    const s = fresh('pr_routine_schema');
    await db.query(`CREATE SCHEMA ${s}; CREATE PROCEDURE ${s}.archive(reason text) LANGUAGE plpgsql AS $$ BEGIN NULL; END $$; GRANT USAGE ON SCHEMA ${s} TO ${r.pr_b}`);
    await roundTrip(
      defineAccess({
        roles: [r.pr_a, r.pr_b],
        tables: [],
        routines: [routine(`${s}.archive(text)`, { grants: [grant('EXECUTE', { to: ['public', r.pr_a, r.pr_b] })] })],
      }),
    );
  });
});

describe('default privileges', () => {
  it('without forRole (the connected role, which the declaration does not list) is not an unknown role', async () => {
    // Property pair: A = defaultPrivileges({ on: 'tables', grants: [] }): plan
    // failed with "role <connected role> does not exist".
    await roundTrip(defineAccess({ roles: [r.pr_a], tables: [], defaultPrivileges: [defaultPrivileges({ on: 'tables', grants: [grant('SELECT', { to: r.pr_a })] })] }));
    const empty = defineAccess({ roles: [], tables: [], defaultPrivileges: [defaultPrivileges({ on: 'tables' })] });
    expect((await plan(db.pool, empty)).isEmpty).toBe(true);
  });

  it('revokeFromPublic on tables takes away what PUBLIC was given by default, although PUBLIC has no built-in table defaults', async () => {
    // Property pair (seed 1802665771): A gives PUBLIC TRIGGER on r.c's future
    // tables; B = { forRole: r.c, on: 'tables', revokeFromPublic: true, grants: [] }.
    // pg-access revoked it; the README model kept it (it read revokeFromPublic
    // as meaningful only where PostgreSQL gives PUBLIC defaults). The
    // declaration says PUBLIC keeps only what its grants give: revoked.
    await db.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(r.pr_b)} GRANT TRIGGER ON TABLES TO PUBLIC`);
    const access = defineAccess({ roles: [r.pr_b], tables: [], defaultPrivileges: [defaultPrivileges({ forRole: r.pr_b, on: 'tables', revokeFromPublic: true, grants: [] })] });
    const p = await plan(db.pool, access);
    await runStatements(db.pool, p.up);
    const entries = await db.query(
      `SELECT count(*)::int AS n FROM pg_default_acl d, aclexplode(d.defaclacl) e WHERE d.defaclrole = $1::regrole AND d.defaclobjtype = 'r' AND e.grantee = 0`,
      [quoteIdent(r.pr_b)],
    );
    expect(entries.rows[0].n).toBe(0);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
    await runStatements(db.pool, p.down);
    await db.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(r.pr_b)} REVOKE TRIGGER ON TABLES FROM PUBLIC`);
  });
});

