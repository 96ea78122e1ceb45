/**
 * Bulk selectors: tables/sequences/routines(allIn('app'), ...) resolved
 * against the catalogs when planning; what each matched and left out is
 * named; explicit declarations win; objects created later are covered by
 * the next plan; extension-owned objects and partitions are never matched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIn, apply, defineAccess, grant, plan, routine, routines, sequences, tables, type AccessDeclaration } from '../src/index.js';
import { accessSnapshot, runStatements } from './support/catalog.js';
import { asRole, createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'sel_app' | 'sel_admin'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('sel_app', 'sel_admin');
  await db.query(`
    CREATE SCHEMA app;
    CREATE TABLE app.accounts (id serial PRIMARY KEY, name text);
    CREATE TABLE app.audit_log (id int);
    CREATE TABLE app.events (id int, at date) PARTITION BY RANGE (at);
    CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE SEQUENCE app.invoice_number;
    CREATE FUNCTION app.greet(name text) RETURNS text LANGUAGE sql AS $$ SELECT 'hello ' || name $$;
    CREATE FUNCTION app.greet(n integer) RETURNS text LANGUAGE sql AS $$ SELECT 'hello #' || n $$;
    CREATE FUNCTION app.reset_all() RETURNS void LANGUAGE sql AS $$ SELECT $$;
    CREATE PROCEDURE app.archive() LANGUAGE sql AS $$ SELECT $$;
    -- An extension's functions in the same schema are the extension's: never matched.
    CREATE EXTENSION pgcrypto SCHEMA app;
    GRANT USAGE ON SCHEMA app TO ${quoteIdent(r.sel_app)}, ${quoteIdent(r.sel_admin)};
  `);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

function declaration(): AccessDeclaration {
  return defineAccess({
    roles: [r.sel_app, r.sel_admin],
    tables: [tables(allIn('app', { except: ['app.audit_log'] }), { grants: [grant(['SELECT', 'INSERT'], { to: r.sel_app })] })],
    sequences: [sequences(allIn('app'), { grants: [grant('USAGE', { to: r.sel_app })] })],
    routines: [
      routines(allIn('app', { except: ['app.reset_all()'] }), { grants: [grant('EXECUTE', { to: r.sel_app })], revokeFromPublic: true }),
      // Declared on its own: the selector leaves it to this declaration.
      routine('app.greet(int)', { grants: [grant('EXECUTE', { to: r.sel_admin })], revokeFromPublic: true }),
    ],
  });
}

const execute = async (role: string, sql: string) =>
  asRole(db.pool, role, {}, async (c) => (await c.query(sql)).rows[0]).then(
    (row) => Object.values(row as object)[0],
    (e: Error) => e.message,
  );

describe('bulk selectors', () => {
  it('the plan names what each selector matched and left out, in a fixed order', async () => {
    const p = await plan(db.pool, declaration());
    expect(p.diagnostics.filter((d) => d.code === 'SELECTOR_MATCHED').map((d) => `${d.subject}: ${d.message}`)).toEqual([
      `tables(allIn("app", { except: ["app.audit_log"] })): matched 2 tables: "app"."accounts", "app"."events"; left out: "app"."audit_log" (except).`,
      `sequences(allIn("app")): matched 2 sequences: "app"."accounts_id_seq", "app"."invoice_number".`,
      `routines(allIn("app", { except: ["app.reset_all()"] })): matched 2 routines: app.archive(), app.greet(text); left out: app.greet(integer) (declared on its own), app.reset_all() (except).`,
    ]);
  });

  it('round trip: applied, enforced, an empty plan, down restores; later objects are covered by the next plan', async () => {
    const before = await accessSnapshot(db.pool);
    const p = await plan(db.pool, declaration());
    await runStatements(db.pool, p.up);
    expect(await execute(r.sel_app, `SELECT app.greet('x')`)).toBe('hello x');
    expect(await execute(r.sel_app, 'SELECT app.greet(1)')).toBe('permission denied for function greet');
    expect(await execute(r.sel_admin, 'SELECT app.greet(1)')).toBe('hello #1');
    expect(await execute(r.sel_app, `SELECT count(*)::int FROM app.events`)).toBe(0);
    expect(await execute(r.sel_app, `SELECT count(*)::int FROM app.audit_log`)).toBe('permission denied for table audit_log');
    expect(await execute(r.sel_app, `SELECT nextval('app.invoice_number')::int`)).toBe(1);
    expect(await execute(r.sel_app, `SELECT setval('app.invoice_number', 5)::int`)).toBe('permission denied for sequence invoice_number');
    expect(await execute(r.sel_app, `INSERT INTO app.accounts (name) VALUES ('a') RETURNING id`)).toBe(1);
    // The partition and pgcrypto's functions were not touched.
    const { rows } = await db.query(`SELECT c.relacl IS NULL AS untouched FROM pg_class c WHERE c.oid = 'app.events_2026'::regclass`);
    expect(rows[0].untouched).toBe(true);
    expect((await db.query(`SELECT count(*)::int AS n FROM pg_proc WHERE pronamespace = 'app'::regnamespace AND proname = 'digest' AND proacl IS NOT NULL`)).rows[0].n).toBe(0);
    expect((await plan(db.pool, declaration())).operations.map((o) => o.description)).toEqual([]);

    // A migration adds a table and a function: the next plan grants them.
    await db.query(`CREATE TABLE app.invoices (id int); CREATE FUNCTION app.total() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`);
    const next = await plan(db.pool, declaration());
    expect(next.operations.map((o) => o.description)).toEqual([
      `revoke EXECUTE on function app.total() from PUBLIC`,
      `grant SELECT, INSERT on table app.invoices to ${r.sel_app}`,
      `grant EXECUTE on function app.total() to ${r.sel_app}`,
    ]);
    await apply(db.pool, declaration());
    expect(await execute(r.sel_app, 'SELECT app.total()')).toBe(1);
    await db.query('DROP TABLE app.invoices; DROP FUNCTION app.total()');
    await runStatements(db.pool, p.down);
    const after = await accessSnapshot(db.pool);
    expect(after).toEqual(before);
  });

  it('mistakes are errors naming the selector: a missing schema, an except that matches nothing, two selectors on one object, an unknown option', async () => {
    const mistaken = defineAccess({
      roles: [r.sel_app],
      tables: [tables(allIn(['app', 'nope'], { except: ['app.acounts'] }), { grants: [grant('SELECT', { to: r.sel_app })] })],
      routines: [routines(allIn('app'), { grants: [] }), routines(allIn('app', { except: ['app.greet(bool)'] }), { grants: [] })],
    });
    await expect(plan(db.pool, mistaken)).rejects.toMatchObject({
      code: 'INVALID_DECLARATION',
      details: expect.arrayContaining([
        `tables(allIn(["app","nope"], { except: ["app.acounts"] })): there is no schema "nope" in the database.`,
        `tables(allIn(["app","nope"], { except: ["app.acounts"] })): except names "app.acounts", which is no table of app, nope.`,
        `routines(allIn("app", { except: ["app.greet(bool)"] })) and routines(allIn("app")) both match app.archive(); leave it out of one with except.`,
        `routines(allIn("app", { except: ["app.greet(bool)"] })): except names "app.greet(bool)", which is no routine of app.`,
      ]),
    });
    expect(() => tables(allIn('app'), { grant: [] } as never)).toThrow(/unknown option "grant"/);
    expect(() => allIn('app', { exept: [] } as never)).toThrow(/exept/);
    expect(() => tables('app' as never, {})).toThrow(/allIn\('schema'\) first/);
  });
});
