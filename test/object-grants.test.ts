/**
 * Grants beyond whole tables, against real PostgreSQL: column privileges
 * (and how they interact with table-level entries of the same privilege),
 * explicit sequences, functions and procedures, the database, and default
 * privileges. For each kind: plan → run up → the catalogs say exactly the
 * declaration → the next plan is empty → run down → the catalogs are exactly
 * as before → up again; then what PostgreSQL enforces (SET ROLE, logging in),
 * what stays untouched, and the errors users can make.
 *
 * Every test works in its own schema (`og_<n>`) of one database; the
 * database-level grants get a database of their own, because they change
 * who may connect. Roles are cluster-wide: unique names, dropped at the end.
 */
import pg from 'pg';
import { pgSchema, serial, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  database,
  defaultPrivileges,
  defineAccess,
  grant,
  plan,
  PgAccessError,
  routine,
  schema,
  sequence,
  table,
  type AccessDeclaration,
  type Plan,
} from '../src/index.js';
import { accessSnapshot, relation, runStatements, type AccessSnapshot } from './support/catalog.js';
import { adminUrl, asRole, createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

/** Read once at collection time: the owner's default table privileges include MAINTAIN from 17 on. */
const serverVersion = await (async () => {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return Number((await client.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
  } finally {
    await client.end();
  }
})();

type RoleKey = 'og_a' | 'og_b' | 'og_other' | 'og_owner';
let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<RoleKey>>>;
/** The superuser pg-access connects as (default privileges without forRole are its own). */
let me: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('og_a', 'og_b', 'og_other', 'og_owner');
  me = (await db.query('SELECT current_user AS u')).rows[0].u;
});
afterAll(async () => {
  await db?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  await r?.drop();
});

/** Extra roles for one test (e.g. an owner whose default privileges no other test touches). */
async function moreRoles<K extends string>(...prefixes: K[]) {
  const extra = await createRoles(...prefixes);
  cleanups.push(extra.drop);
  return extra;
}

const q = (name: string) => quoteIdent(name);
let counter = 0;
/** A fresh schema for one test; every role may use it (so a refusal is about the object, not the schema). */
async function freshSchema(on: TestDatabase = db): Promise<string> {
  const s = `og_${++counter}`;
  await on.query(`CREATE SCHEMA ${s}; GRANT USAGE ON SCHEMA ${s} TO PUBLIC`);
  return s;
}

/**
 * plan → run up → `after` checks the catalogs → the next plan is empty →
 * run down → the snapshot equals the one before → up again → the snapshot
 * equals the one after. Leaves the database in the declared state.
 */
async function roundTrip(access: AccessDeclaration, after: (s: AccessSnapshot) => void | Promise<void>, on: TestDatabase = db): Promise<Plan> {
  const before = await accessSnapshot(on.pool);
  const p = await plan(on.pool, access);
  expect(p.isEmpty).toBe(false);
  await runStatements(on.pool, p.up);
  const afterUp = await accessSnapshot(on.pool);
  await after(afterUp);
  expect((await plan(on.pool, access)).operations.map((o) => o.description)).toEqual([]);
  await runStatements(on.pool, p.down);
  expect(await accessSnapshot(on.pool)).toEqual(before);
  await runStatements(on.pool, p.up);
  expect(await accessSnapshot(on.pool)).toEqual(afterUp);
  return p;
}

/** The ACL entries of these roles only (the owner's, which vary by version, and other tests' are left out). */
const entriesOf = (acl: readonly string[], ...roles: string[]) => acl.filter((e) => roles.some((role) => e.replace(/^\S+ /, '').startsWith(`${role}:`))).sort();
const routineAcl = (s: AccessSnapshot, signature: string) => {
  const found = s.routines.find((x) => x.signature === signature);
  if (!found) throw new Error(`routine ${signature} not in snapshot`);
  return found.acl;
};
const defaultAcl = (s: AccessSnapshot, key: string) => s.defaultAcls.find((d) => d.key === key)?.acl;

async function rejection(fn: () => Promise<unknown>): Promise<PgAccessError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PgAccessError);
    return error as PgAccessError;
  }
  throw new Error('expected a PgAccessError');
}

/** The rows `role` sees for `sql` (rolled back). */
const as = (role: string, sql: string) => asRole(db.pool, role, {}, async (c) => (await c.query(sql)).rows);

describe('column privileges', () => {
  it('grants SELECT and UPDATE on named columns (a Drizzle column by its database name) and revokes an undeclared column grant; only those columns can be read and written', async () => {
    const s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.people (id serial PRIMARY KEY, email text, display_name text, secret text);
      INSERT INTO ${s}.people (email, display_name, secret) VALUES ('ann@example.com', 'Ann', 'hunter2');
      GRANT UPDATE (secret) ON ${s}.people TO ${q(r.og_a)}`);
    const people = pgSchema(s).table('people', { id: serial('id').primaryKey(), email: text('email'), displayName: text('display_name'), secret: text('secret') });
    const access = defineAccess({ roles: [r.og_a], tables: [table(`${s}.people`, { grants: [grant(['SELECT', 'UPDATE'], { to: r.og_a, columns: ['email', people.displayName] })] })] });
    await roundTrip(access, (snap) => {
      const rel = relation(snap, s, 'people');
      expect(entriesOf(rel.columnAcl, r.og_a)).toEqual([`display_name ${r.og_a}:SELECT`, `display_name ${r.og_a}:UPDATE`, `email ${r.og_a}:SELECT`, `email ${r.og_a}:UPDATE`]);
      expect(entriesOf(rel.acl, r.og_a)).toEqual([]);
    });

    expect(await as(r.og_a, `SELECT email, display_name FROM ${s}.people`)).toEqual([{ email: 'ann@example.com', display_name: 'Ann' }]);
    await expect(as(r.og_a, `SELECT secret FROM ${s}.people`)).rejects.toThrow(/permission denied for (table|column)/);
    await expect(as(r.og_a, `SELECT * FROM ${s}.people`)).rejects.toThrow(/permission denied for (table|column)/);
    expect(await as(r.og_a, `UPDATE ${s}.people SET display_name = 'Anne' WHERE email = 'ann@example.com' RETURNING display_name`)).toEqual([{ display_name: 'Anne' }]);
    await expect(as(r.og_a, `UPDATE ${s}.people SET secret = 'stolen'`)).rejects.toThrow(/permission denied for (table|column)/);
    await expect(as(r.og_a, `UPDATE ${s}.people SET email = 'x' WHERE secret = 'hunter2'`)).rejects.toThrow(/permission denied for (table|column)/);
  });

  it('adds and removes WITH GRANT OPTION on a column entry precisely', async () => {
    const s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.people (id int, email text);
      GRANT SELECT (email) ON ${s}.people TO ${q(r.og_a)} WITH GRANT OPTION; GRANT UPDATE (email) ON ${s}.people TO ${q(r.og_b)}`);
    const access = defineAccess({
      roles: [r.og_a, r.og_b],
      tables: [table(`${s}.people`, { grants: [grant('SELECT', { to: r.og_a, columns: ['email'] }), grant('UPDATE', { to: r.og_b, columns: ['email'], withGrantOption: true })] })],
    });
    expect((await plan(db.pool, access)).operations.map((o) => o.op.kind)).toEqual(['revoke', 'grant']);
    await roundTrip(access, (snap) => expect(entriesOf(relation(snap, s, 'people').columnAcl, r.og_a, r.og_b)).toEqual([`email ${r.og_a}:SELECT`, `email ${r.og_b}:UPDATE*`].sort()));
    const can = async (role: string, privilege: string) =>
      (await db.query(`SELECT has_column_privilege($1, $2, 'email', $3) AS ok`, [role, `${s}.people`, privilege])).rows[0].ok as boolean;
    expect([await can(r.og_a, 'SELECT'), await can(r.og_a, 'SELECT WITH GRANT OPTION'), await can(r.og_b, 'UPDATE WITH GRANT OPTION')]).toEqual([true, false, true]);
    // The option is real: b can pass UPDATE (email) on, and that is all it can pass on.
    await asRole(db.pool, r.og_b, {}, async (c) => {
      await c.query(`GRANT UPDATE (email) ON ${s}.people TO ${q(r.og_other)}`);
      expect((await c.query(`SELECT has_column_privilege($1, $2, 'email', 'UPDATE') AS ok`, [r.og_other, `${s}.people`])).rows[0].ok).toBe(true);
    });
  });

  it('INSERT on some columns lets the grantee insert those columns (with USAGE on the serial sequence), and no others', async () => {
    const s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.signups (id serial PRIMARY KEY, email text, approved boolean DEFAULT false)`);
    const access = defineAccess({ roles: [r.og_a], tables: [table(`${s}.signups`, { grants: [grant('INSERT', { to: r.og_a, columns: ['email'] })] })] });
    await roundTrip(access, (snap) => {
      expect(entriesOf(relation(snap, s, 'signups').columnAcl, r.og_a)).toEqual([`email ${r.og_a}:INSERT`]);
      expect(entriesOf(relation(snap, s, 'signups_id_seq').acl, r.og_a)).toEqual([`${r.og_a}:USAGE`]);
    });
    expect(await as(r.og_a, `INSERT INTO ${s}.signups (email) VALUES ('new@example.com')`)).toEqual([]);
    await expect(as(r.og_a, `INSERT INTO ${s}.signups (email, approved) VALUES ('sneaky@example.com', true)`)).rejects.toThrow(/permission denied for (table|column)/);
  });

  it('ALL on columns means the four column privileges', async () => {
    const s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.people (id int, email text)`);
    const access = defineAccess({ roles: [r.og_a], tables: [table(`${s}.people`, { grants: [grant('ALL', { to: r.og_a, columns: ['email'] })] })] });
    await roundTrip(access, (snap) =>
      expect(entriesOf(relation(snap, s, 'people').columnAcl, r.og_a)).toEqual(['INSERT', 'REFERENCES', 'SELECT', 'UPDATE'].map((p) => `email ${r.og_a}:${p}`)),
    );
  });
});

describe('table-level and column-level entries of the same privilege', () => {
  // PostgreSQL: a REVOKE at table level also revokes that privilege (or its
  // grant option) on every column; a GRANT at table level leaves columns alone.
  // Both directions matter: the upgrade's table-level revokes, and the
  // downgrade's revokes of table-level entries the upgrade granted.

  it('table SELECT + column SELECT (email) → only the column: the column entry survives the table revoke, and the downgrade restores both', async () => {
    const s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.people (id int, email text, secret text); INSERT INTO ${s}.people VALUES (1, 'ann@example.com', 'pw');
      GRANT SELECT ON ${s}.people TO ${q(r.og_a)}; GRANT SELECT (email) ON ${s}.people TO ${q(r.og_a)}`);
    const access = defineAccess({ roles: [r.og_a], tables: [table(`${s}.people`, { grants: [grant('SELECT', { to: r.og_a, columns: ['email'] })] })] });
    await roundTrip(access, (snap) => {
      expect(entriesOf(relation(snap, s, 'people').acl, r.og_a)).toEqual([]);
      expect(entriesOf(relation(snap, s, 'people').columnAcl, r.og_a)).toEqual([`email ${r.og_a}:SELECT`]);
    });
    expect(await as(r.og_a, `SELECT email FROM ${s}.people`)).toEqual([{ email: 'ann@example.com' }]);
    await expect(as(r.og_a, `SELECT secret FROM ${s}.people`)).rejects.toThrow(/permission denied for (table|column)/);
  });

  type Level = 'none' | 'held' | 'grantable';
  const levels: Level[] = ['none', 'held', 'grantable'];
  const cases = levels.flatMap((t0) => levels.flatMap((c0) => levels.flatMap((t1) => levels.map((c1) => ({ t0, c0, t1, c1 })))));
  const sqlFor = (level: Level, on: string, role: string, column?: string) =>
    level === 'none' ? '' : `GRANT SELECT${column ? ` (${column})` : ''} ON ${on} TO ${q(role)}${level === 'grantable' ? ' WITH GRANT OPTION' : ''};`;
  const expected = (level: Level, role: string, column?: string) => (level === 'none' ? [] : [`${column ? `${column} ` : ''}${role}:SELECT${level === 'grantable' ? '*' : ''}`]);

  // Every combination of none / held / held WITH GRANT OPTION, at table and column level, before and after.
  it.each(cases)('table $t0, column $c0 → table $t1, column $c1', async ({ t0, c0, t1, c1 }) => {
    const s = await freshSchema();
    const on = `${s}.people`;
    await db.query(`CREATE TABLE ${on} (id int, email text); ${sqlFor(t0, on, r.og_a)} ${sqlFor(c0, on, r.og_a, 'email')}`);
    const grants = [
      ...(t1 === 'none' ? [] : [grant('SELECT', { to: r.og_a, withGrantOption: t1 === 'grantable' })]),
      ...(c1 === 'none' ? [] : [grant('SELECT', { to: r.og_a, columns: ['email'], withGrantOption: c1 === 'grantable' })]),
    ];
    const access = defineAccess({ roles: [r.og_a], tables: [table(on, { grants })] });
    const check = async (snap: AccessSnapshot) => {
      expect(entriesOf(relation(snap, s, 'people').acl, r.og_a)).toEqual(expected(t1, r.og_a));
      expect(entriesOf(relation(snap, s, 'people').columnAcl, r.og_a)).toEqual(expected(c1, r.og_a, 'email'));
    };
    if (t0 === t1 && c0 === c1) {
      expect((await plan(db.pool, access)).isEmpty).toBe(true);
      await check(await accessSnapshot(db.pool));
    } else {
      await roundTrip(access, check);
    }
  });
});

describe('sequences', () => {
  it('manages the whole ACL of a declared sequence for the declared roles: USAGE, SELECT, UPDATE, grant options; a bare name revokes what is not declared', async () => {
    const s = await freshSchema();
    await db.query(`CREATE SEQUENCE ${s}.invoice_number; CREATE SEQUENCE ${s}.legacy;
      GRANT SELECT ON SEQUENCE ${s}.invoice_number TO ${q(r.og_a)}; GRANT USAGE ON SEQUENCE ${s}.invoice_number TO ${q(r.og_b)} WITH GRANT OPTION;
      GRANT USAGE, UPDATE ON SEQUENCE ${s}.legacy TO ${q(r.og_a)}`);
    const access = defineAccess({
      roles: [r.og_a, r.og_b],
      tables: [],
      sequences: [sequence(`${s}.invoice_number`, { grants: [grant(['USAGE', 'UPDATE'], { to: r.og_a }), grant('SELECT', { to: r.og_b, withGrantOption: true })] }), `${s}.legacy`],
    });
    await roundTrip(access, (snap) => {
      expect(entriesOf(relation(snap, s, 'invoice_number').acl, r.og_a, r.og_b)).toEqual([`${r.og_a}:UPDATE`, `${r.og_a}:USAGE`, `${r.og_b}:SELECT*`].sort());
      expect(entriesOf(relation(snap, s, 'legacy').acl, r.og_a, r.og_b)).toEqual([]);
    });
    expect(await as(r.og_a, `SELECT nextval('${s}.invoice_number') AS n`)).toEqual([{ n: '1' }]);
    expect(await as(r.og_a, `SELECT setval('${s}.invoice_number', 41) AS n`)).toEqual([{ n: '41' }]);
    await expect(as(r.og_a, `SELECT last_value FROM ${s}.invoice_number`)).rejects.toThrow(/permission denied for sequence invoice_number/);
    expect(await as(r.og_b, `SELECT count(*)::int AS n FROM ${s}.invoice_number`)).toEqual([{ n: 1 }]);
    await expect(as(r.og_b, `SELECT nextval('${s}.invoice_number')`)).rejects.toThrow(/permission denied for sequence invoice_number/);
    await expect(as(r.og_a, `SELECT nextval('${s}.legacy')`)).rejects.toThrow(/permission denied for sequence legacy/);
  });
  it('a sequence both owned by a declared table and declared itself: the USAGE inserts need and the declared grants, once', async () => {
    const s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.orders (id serial PRIMARY KEY, total int); GRANT UPDATE ON SEQUENCE ${s}.orders_id_seq TO ${q(r.og_a)}`);
    const access = defineAccess({
      roles: [r.og_a],
      tables: [table(`${s}.orders`, { grants: [grant(['SELECT', 'INSERT'], { to: r.og_a })] })],
      sequences: [sequence(`${s}.orders_id_seq`, { grants: [grant('SELECT', { to: r.og_a })] })],
    });
    await roundTrip(access, (snap) => expect(entriesOf(relation(snap, s, 'orders_id_seq').acl, r.og_a)).toEqual([`${r.og_a}:SELECT`, `${r.og_a}:USAGE`]));
    expect(await as(r.og_a, `INSERT INTO ${s}.orders (total) VALUES (3) RETURNING total`)).toEqual([{ total: 3 }]);
    await expect(as(r.og_a, `SELECT setval('${s}.orders_id_seq', 100)`)).rejects.toThrow(/permission denied for sequence orders_id_seq/);
  });
});

describe('functions and procedures', () => {
  let s: string;
  beforeAll(async () => {
    s = await freshSchema();
  });

  it('grants EXECUTE and, with revokeFromPublic, takes PUBLIC\'s default EXECUTE away; an overload with other argument types is untouched', async () => {
    await db.query(`CREATE FUNCTION ${s}.add_one(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1 + 1';
      CREATE FUNCTION ${s}.add_one(text) RETURNS text LANGUAGE sql AS $$SELECT $1 || '+1'$$`);
    const access = defineAccess({ roles: [r.og_a, r.og_b], tables: [], routines: [routine(`${s}.add_one(int)`, { grants: [grant('EXECUTE', { to: r.og_a })], revokeFromPublic: true })] });
    const before = await accessSnapshot(db.pool);
    await roundTrip(access, (snap) => {
      expect(routineAcl(snap, `${s}.add_one(integer)`)).toEqual([`${me}:EXECUTE`, `${r.og_a}:EXECUTE`].sort());
      expect(routineAcl(snap, `${s}.add_one(text)`)).toEqual(routineAcl(before, `${s}.add_one(text)`));
    });
    expect(await as(r.og_a, `SELECT ${s}.add_one(1) AS v`)).toEqual([{ v: 2 }]);
    await expect(as(r.og_b, `SELECT ${s}.add_one(1)`)).rejects.toThrow(/permission denied for function add_one/);
    expect(await as(r.og_b, `SELECT ${s}.add_one('x'::text) AS v`)).toEqual([{ v: 'x+1' }]);
  });

  it('without revokeFromPublic, PUBLIC keeps its EXECUTE (and undeclared roles their grants): everyone can still call it', async () => {
    await db.query(`CREATE FUNCTION ${s}.open_fn() RETURNS int LANGUAGE sql AS 'SELECT 7'; GRANT EXECUTE ON FUNCTION ${s}.open_fn() TO ${q(r.og_other)}`);
    const access = defineAccess({ roles: [r.og_a], tables: [], routines: [routine(`${s}.open_fn()`, { grants: [grant('EXECUTE', { to: r.og_a })] })] });
    expect((await plan(db.pool, access)).operations.map((o) => o.description)).toEqual([`grant EXECUTE on function ${s}.open_fn() to ${r.og_a}`]);
    await roundTrip(access, (snap) => expect(routineAcl(snap, `${s}.open_fn()`)).toEqual(['PUBLIC:EXECUTE', `${me}:EXECUTE`, `${r.og_a}:EXECUTE`, `${r.og_other}:EXECUTE`].sort()));
    expect(await as(r.og_b, `SELECT ${s}.open_fn() AS v`)).toEqual([{ v: 7 }]);
  });

  it('a grant to PUBLIC without revokeFromPublic is only ever added, never revoked', async () => {
    await db.query(`CREATE FUNCTION ${s}.shared_fn() RETURNS int LANGUAGE sql AS 'SELECT 8'; REVOKE EXECUTE ON FUNCTION ${s}.shared_fn() FROM PUBLIC`);
    const access = defineAccess({ roles: [], tables: [], routines: [routine(`${s}.shared_fn()`, { grants: [grant('EXECUTE', { to: 'public' })] })] });
    await roundTrip(access, (snap) => expect(routineAcl(snap, `${s}.shared_fn()`)).toEqual(['PUBLIC:EXECUTE', `${me}:EXECUTE`]));
    expect((await plan(db.pool, defineAccess({ roles: [], tables: [], routines: [routine(`${s}.shared_fn()`)] }))).isEmpty).toBe(true);
    // Declared with revokeFromPublic, PUBLIC's entry is managed and goes.
    await roundTrip(defineAccess({ roles: [], tables: [], routines: [routine(`${s}.shared_fn()`, { revokeFromPublic: true })] }), (snap) =>
      expect(routineAcl(snap, `${s}.shared_fn()`)).toEqual([`${me}:EXECUTE`]),
    );
  });

  it('a procedure (with an INOUT argument) is granted ON PROCEDURE; CALL works for the grantee only', async () => {
    await db.query(`CREATE PROCEDURE ${s}.archive(keep_days int, INOUT note text) LANGUAGE plpgsql AS $$BEGIN note := note || ' archived'; END$$`);
    const access = defineAccess({ roles: [r.og_a, r.og_b], tables: [], routines: [routine(`${s}.archive(integer, text)`, { grants: [grant('EXECUTE', { to: r.og_a })], revokeFromPublic: true })] });
    await roundTrip(access, (snap) => expect(routineAcl(snap, `${s}.archive(IN keep_days integer, INOUT note text)`)).toEqual([`${me}:EXECUTE`, `${r.og_a}:EXECUTE`].sort()));
    expect(await as(r.og_a, `CALL ${s}.archive(30, 'x')`)).toEqual([{ note: 'x archived' }]);
    await expect(as(r.og_b, `CALL ${s}.archive(30, 'x')`)).rejects.toThrow(/permission denied for procedure archive/);
  });

  it('names with capitals, spaces and quotes, in a schema of their own, round-trip', async () => {
    const odd = `Odd "sch" ${counter}`;
    await db.query(`CREATE SCHEMA ${q(odd)}; CREATE FUNCTION ${q(odd)}."Mixed ""Case"" fn"("my arg" text) RETURNS text LANGUAGE sql AS 'SELECT $1'`);
    const access = defineAccess({ roles: [r.og_a], tables: [], routines: [routine(`${q(odd)}."Mixed ""Case"" fn"(text)`, { grants: [grant('EXECUTE', { to: r.og_a })], revokeFromPublic: true })] });
    await roundTrip(access, (snap) => {
      expect(routineAcl(snap, `${odd}.Mixed "Case" fn("my arg" text)`)).toEqual([`${me}:EXECUTE`, `${r.og_a}:EXECUTE`].sort());
      // The function is useless without USAGE on its schema: granted too.
      expect(snap.schemas.find((x) => x.name === odd)?.acl).toContain(`${r.og_a}:USAGE`);
    });
    expect(await as(r.og_a, `SELECT ${q(odd)}."Mixed ""Case"" fn"('hi') AS v`)).toEqual([{ v: 'hi' }]);
  });
});

describe('the database', () => {
  // Its own database: revoking CONNECT from PUBLIC here must not lock other tests out.
  let own: TestDatabase;
  let logins: Awaited<ReturnType<typeof moreRoles<'og_login_ok' | 'og_login_no'>>>;
  beforeAll(async () => {
    own = await createTestDatabase();
    logins = await moreRoles('og_login_ok', 'og_login_no');
    await own.query(`ALTER ROLE ${q(logins.og_login_ok)} LOGIN; ALTER ROLE ${q(logins.og_login_no)} LOGIN`);
  });
  afterAll(async () => {
    await own?.close();
  });

  /** Logs in as `user` (the test server trusts local connections) and runs `sql`. */
  async function loginAndRun(user: string, sql: string): Promise<unknown[]> {
    const url = new URL(own.url);
    url.username = user;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  it('without revokeFromPublic, PUBLIC keeps CONNECT and TEMPORARY; the declared grant is added and undeclared roles keep theirs', async () => {
    await own.query(`GRANT CREATE ON DATABASE ${q(own.name)} TO ${q(r.og_other)}`);
    const access = defineAccess({ roles: [r.og_a], tables: [], database: database({ grants: [grant('CREATE', { to: r.og_a })] }) });
    await roundTrip(access, (snap) => expect(entriesOf(snap.database, 'PUBLIC', r.og_a, r.og_other)).toEqual(['PUBLIC:CONNECT', 'PUBLIC:TEMPORARY', `${r.og_a}:CREATE`, `${r.og_other}:CREATE`]), own);
    expect(await loginAndRun(logins.og_login_no, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('CONNECT and TEMPORARY with revokeFromPublic: only the granted role can log in and create temporary tables', async () => {
    const access = defineAccess({
      roles: [r.og_a, logins.og_login_ok],
      tables: [],
      database: database({ grants: [grant('CONNECT', { to: logins.og_login_ok }), grant(['CONNECT', 'TEMP'], { to: r.og_a })], revokeFromPublic: true }),
    });
    await roundTrip(
      access,
      (snap) => {
        expect(snap.database.filter((e) => e.startsWith('PUBLIC:'))).toEqual([]);
        expect(entriesOf(snap.database, r.og_a, logins.og_login_ok)).toEqual([`${logins.og_login_ok}:CONNECT`, `${r.og_a}:CONNECT`, `${r.og_a}:TEMPORARY`].sort());
        // The earlier test's grant to a role this declaration does not name is still there.
        expect(entriesOf(snap.database, r.og_other)).toEqual([`${r.og_other}:CREATE`]);
      },
      own,
    );
    expect(await loginAndRun(logins.og_login_ok, 'SELECT current_user AS u')).toEqual([{ u: logins.og_login_ok }]);
    await expect(loginAndRun(logins.og_login_no, 'SELECT 1')).rejects.toThrow(/permission denied for database/);
    await expect(loginAndRun(logins.og_login_ok, 'CREATE TEMP TABLE scratch (i int)')).rejects.toThrow(/permission denied to create temporary tables/);
    await asRole(own.pool, r.og_a, {}, (c) => c.query('CREATE TEMP TABLE scratch (i int)'));
  });
  it('revokeFromPublic with a grant to PUBLIC: PUBLIC keeps exactly what is declared (CONNECT, not TEMPORARY)', async () => {
    const access = defineAccess({ roles: [r.og_a], tables: [], database: database({ grants: [grant('CONNECT', { to: 'public' }), grant('TEMPORARY', { to: r.og_a })], revokeFromPublic: true }) });
    await roundTrip(access, (snap) => expect(entriesOf(snap.database, 'PUBLIC', r.og_a)).toEqual(['PUBLIC:CONNECT', `${r.og_a}:TEMPORARY`]), own);
    expect(await loginAndRun(logins.og_login_no, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await expect(loginAndRun(logins.og_login_no, 'CREATE TEMP TABLE scratch (i int)')).rejects.toThrow(/permission denied to create temporary tables/);
  });
});

describe('default privileges', () => {
  it('global, for another role\'s tables: a table that role creates afterwards can be read by the grantee; undeclared grantees keep theirs', async () => {
    const { og_dp_owner: owner } = await moreRoles('og_dp_owner');
    const s = await freshSchema();
    await db.query(`GRANT CREATE ON SCHEMA ${s} TO ${q(owner)};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT INSERT ON TABLES TO ${q(r.og_a)};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT SELECT ON TABLES TO ${q(r.og_other)}`);
    const access = defineAccess({ roles: [r.og_a, owner], tables: [], defaultPrivileges: [defaultPrivileges({ forRole: owner, on: 'tables', grants: [grant(['SELECT', 'UPDATE'], { to: r.og_a })] })] });
    await roundTrip(access, (snap) => expect(entriesOf(defaultAcl(snap, `${owner}|-|r`) ?? [], r.og_a, r.og_other)).toEqual([`${r.og_a}:SELECT`, `${r.og_a}:UPDATE`, `${r.og_other}:SELECT`]));

    const seen = await asRole(db.pool, owner, {}, async (c) => {
      await c.query(`CREATE TABLE ${s}.later (id int); INSERT INTO ${s}.later VALUES (1)`);
      await c.query(`SET LOCAL ROLE ${q(r.og_a)}`);
      const rows = (await c.query(`SELECT id FROM ${s}.later`)).rows;
      await c.query(`SAVEPOINT before_insert`);
      await expect(c.query(`INSERT INTO ${s}.later VALUES (2)`)).rejects.toThrow(/permission denied for table later/);
      await c.query(`ROLLBACK TO SAVEPOINT before_insert`);
      await c.query(`RESET ROLE`);
      // A table created by anyone else gets nothing.
      await c.query(`CREATE TABLE ${s}.not_by_owner (id int); SET LOCAL ROLE ${q(r.og_a)}`);
      await expect(c.query(`SELECT * FROM ${s}.not_by_owner`)).rejects.toThrow(/permission denied for table not_by_owner/);
      return rows;
    });
    expect(seen).toEqual([{ id: 1 }]);
  });

  it('IN SCHEMA, for tables: only tables created in that schema get the grant', async () => {
    const { og_dps_owner: owner } = await moreRoles('og_dps_owner');
    const [s, elsewhere] = [await freshSchema(), await freshSchema()];
    await db.query(`GRANT CREATE ON SCHEMA ${s}, ${elsewhere} TO ${q(owner)}`);
    const access = defineAccess({ roles: [r.og_a, owner], tables: [], defaultPrivileges: [defaultPrivileges({ forRole: owner, inSchema: s, on: 'tables', grants: [grant('SELECT', { to: r.og_a })] })] });
    await roundTrip(access, (snap) => {
      expect(defaultAcl(snap, `${owner}|${s}|r`)).toEqual([`${r.og_a}:SELECT`]);
      expect(defaultAcl(snap, `${owner}|-|r`)).toBeUndefined();
    });
    await asRole(db.pool, owner, {}, async (c) => {
      await c.query(`CREATE TABLE ${s}.inside (id int); CREATE TABLE ${elsewhere}.outside (id int); SET LOCAL ROLE ${q(r.og_a)}`);
      expect((await c.query(`SELECT count(*)::int AS n FROM ${s}.inside`)).rows).toEqual([{ n: 0 }]);
      await expect(c.query(`SELECT * FROM ${elsewhere}.outside`)).rejects.toThrow(/permission denied for table outside/);
    });
  });

  it('global, for functions, with revokeFromPublic: a function the owner creates afterwards runs only for the grantee', async () => {
    const { og_dpf_owner: owner } = await moreRoles('og_dpf_owner');
    const s = await freshSchema();
    await db.query(`GRANT CREATE ON SCHEMA ${s} TO ${q(owner)}`);
    const access = defineAccess({
      roles: [r.og_a, owner],
      tables: [],
      defaultPrivileges: [defaultPrivileges({ forRole: owner, on: 'functions', grants: [grant('EXECUTE', { to: r.og_a })], revokeFromPublic: true })],
    });
    // No row before: PostgreSQL's built-in default (PUBLIC may execute) applies.
    expect(defaultAcl(await accessSnapshot(db.pool), `${owner}|-|f`)).toBeUndefined();
    await roundTrip(access, (snap) => expect(defaultAcl(snap, `${owner}|-|f`)).toEqual([`${owner}:EXECUTE`, `${r.og_a}:EXECUTE`].sort()));
    await asRole(db.pool, owner, {}, async (c) => {
      await c.query(`CREATE FUNCTION ${s}.later_fn() RETURNS int LANGUAGE sql AS 'SELECT 5'; SET LOCAL ROLE ${q(r.og_a)}`);
      expect((await c.query(`SELECT ${s}.later_fn() AS v`)).rows).toEqual([{ v: 5 }]);
      await c.query(`SET LOCAL ROLE ${q(r.og_b)}`);
      await expect(c.query(`SELECT ${s}.later_fn()`)).rejects.toThrow(/permission denied for function later_fn/);
    });
  });

  it('global, for functions, without revokeFromPublic: PUBLIC keeps its default EXECUTE', async () => {
    const { og_dpp_owner: owner } = await moreRoles('og_dpp_owner');
    const s = await freshSchema();
    await db.query(`GRANT CREATE ON SCHEMA ${s} TO ${q(owner)}`);
    const access = defineAccess({ roles: [r.og_a, owner], tables: [], defaultPrivileges: [defaultPrivileges({ forRole: owner, on: 'functions', grants: [grant('EXECUTE', { to: r.og_a })] })] });
    await roundTrip(access, (snap) => expect(defaultAcl(snap, `${owner}|-|f`)).toEqual(['PUBLIC:EXECUTE', `${owner}:EXECUTE`, `${r.og_a}:EXECUTE`].sort()));
    await asRole(db.pool, owner, {}, async (c) => {
      await c.query(`CREATE FUNCTION ${s}.later_fn() RETURNS int LANGUAGE sql AS 'SELECT 6'; SET LOCAL ROLE ${q(r.og_b)}`);
      expect((await c.query(`SELECT ${s}.later_fn() AS v`)).rows).toEqual([{ v: 6 }]);
    });
  });

  it("IN SCHEMA, for routines ('routines' is PostgreSQL's synonym of functions): procedures created there can be called by the grantee", async () => {
    const { og_dpr_owner: owner } = await moreRoles('og_dpr_owner');
    const s = await freshSchema();
    await db.query(`GRANT CREATE ON SCHEMA ${s} TO ${q(owner)}`);
    const access = defineAccess({ roles: [r.og_a, owner], tables: [], defaultPrivileges: [defaultPrivileges({ forRole: owner, inSchema: s, on: 'routines', grants: [grant('EXECUTE', { to: r.og_a })] })] });
    await roundTrip(access, (snap) => expect(defaultAcl(snap, `${owner}|${s}|f`)).toEqual([`${r.og_a}:EXECUTE`]));
    await asRole(db.pool, owner, {}, async (c) => {
      await c.query(`CREATE PROCEDURE ${s}.later_proc() LANGUAGE sql AS 'SELECT 1'; REVOKE EXECUTE ON PROCEDURE ${s}.later_proc() FROM PUBLIC; SET LOCAL ROLE ${q(r.og_a)}`);
      await c.query(`CALL ${s}.later_proc()`);
      await c.query(`SET LOCAL ROLE ${q(r.og_b)}`);
      await expect(c.query(`CALL ${s}.later_proc()`)).rejects.toThrow(/permission denied for procedure later_proc/);
    });
  });

  it('without forRole, for the connected role; sequences, types (PUBLIC\'s USAGE taken away) and schemas too', async () => {
    const access = defineAccess({
      roles: [r.og_a],
      tables: [],
      defaultPrivileges: [
        defaultPrivileges({ on: 'sequences', grants: [grant(['USAGE', 'SELECT'], { to: r.og_a })] }),
        defaultPrivileges({ on: 'types', grants: [grant('USAGE', { to: r.og_a })], revokeFromPublic: true }),
        defaultPrivileges({ on: 'schemas', grants: [grant('USAGE', { to: r.og_a })] }),
      ],
    });
    const p = await roundTrip(access, (snap) => {
      expect(entriesOf(defaultAcl(snap, `${me}|-|S`) ?? [], r.og_a)).toEqual([`${r.og_a}:SELECT`, `${r.og_a}:USAGE`]);
      expect(defaultAcl(snap, `${me}|-|T`)).toEqual([`${me}:USAGE`, `${r.og_a}:USAGE`].sort());
      expect(entriesOf(defaultAcl(snap, `${me}|-|n`) ?? [], r.og_a)).toEqual([`${r.og_a}:USAGE`]);
    });
    try {
      const s = `og_${++counter}`;
      await db.query(`CREATE SCHEMA ${s}`);
      const usage = async (role: string) => (await db.query(`SELECT has_schema_privilege($1, $2, 'USAGE') AS ok`, [role, s])).rows[0].ok as boolean;
      expect([await usage(r.og_a), await usage(r.og_b)]).toEqual([true, false]);
      await db.query(`GRANT USAGE ON SCHEMA ${s} TO PUBLIC; CREATE SEQUENCE ${s}.later_seq; CREATE TYPE ${s}.mood AS ENUM ('ok')`);
      expect(await as(r.og_a, `SELECT nextval('${s}.later_seq') AS n`)).toEqual([{ n: '1' }]);
      await expect(as(r.og_b, `SELECT nextval('${s}.later_seq')`)).rejects.toThrow(/permission denied for sequence later_seq/);
      await as(r.og_a, `CREATE TEMP TABLE feelings (m ${s}.mood)`);
      await expect(as(r.og_b, `CREATE TEMP TABLE feelings (m ${s}.mood)`)).rejects.toThrow(/permission denied for type (\S+\.)?mood/);
    } finally {
      // The connected role creates every other test's objects: give it its defaults back.
      await runStatements(db.pool, p.down);
    }
    expect((await accessSnapshot(db.pool)).defaultAcls.filter((d) => d.key.startsWith(`${me}|`))).toEqual([]);
  });
});

describe('schema USAGE is never wider than declared', () => {
  const usage = async (role: string, schemaName: string, privilege = 'USAGE') =>
    (await db.query(`SELECT has_schema_privilege($1, $2, $3) AS ok`, [role, schemaName, privilege])).rows[0].ok as boolean;

  it("a declared schema's ACL wins: a grantee of its tables without declared USAGE gets none, and an INERT_GRANT warning", async () => {
    const s = `og_${++counter}`;
    await db.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.t (id int); INSERT INTO ${s}.t VALUES (1)`);
    const access = defineAccess({
      roles: [r.og_a, r.og_b],
      schemas: [schema(s, { grants: [grant('USAGE', { to: r.og_a })] })],
      tables: [table(`${s}.t`, { grants: [grant('SELECT', { to: [r.og_a, r.og_b] })] })],
    });
    const p = await plan(db.pool, access);
    expect(p.diagnostics).toContainEqual(expect.objectContaining({ code: 'INERT_GRANT', severity: 'warning', subject: `${quoteIdent(s)} / ${quoteIdent(r.og_b)}` }));
    expect(p.diagnostics.filter((d) => d.code === 'INERT_GRANT')).toHaveLength(1);
    await runStatements(db.pool, p.up);
    expect([await usage(r.og_a, s), await usage(r.og_b, s)]).toEqual([true, false]);
    expect(await as(r.og_a, `SELECT id FROM ${s}.t`)).toEqual([{ id: 1 }]);
    await expect(as(r.og_b, `SELECT id FROM ${s}.t`)).rejects.toThrow(`permission denied for schema ${s}`);
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it('revokeFromPublic on a schema takes PUBLIC\'s USAGE (and CREATE before PostgreSQL 15) from the public schema; the downgrade gives it back', async () => {
    // A database of its own: the public schema's PUBLIC entry is every test's.
    const other = await createTestDatabase();
    try {
      const version = Number((await other.query('SHOW server_version_num')).rows[0].server_version_num);
      await other.query(`CREATE TABLE public.t (id int)`);
      const access = defineAccess({
        roles: [r.og_a],
        schemas: [schema('public', { revokeFromPublic: true, grants: [grant('USAGE', { to: r.og_a })] })],
        tables: [table('public.t', { grants: [grant('SELECT', { to: r.og_a })] })],
      });
      const check = async (role: string, privilege: string) =>
        (await other.query(`SELECT has_schema_privilege($1, 'public', $2) AS ok`, [role, privilege])).rows[0].ok as boolean;
      const before = [await check(r.og_b, 'USAGE'), await check(r.og_b, 'CREATE')];
      expect(before).toEqual([true, version < 150000]);
      const p = await plan(other.pool, access);
      await runStatements(other.pool, p.up);
      expect([await check(r.og_b, 'USAGE'), await check(r.og_b, 'CREATE'), await check(r.og_a, 'USAGE')]).toEqual([false, false, true]);
      expect((await plan(other.pool, access)).isEmpty).toBe(true);
      await runStatements(other.pool, p.down);
      expect([await check(r.og_b, 'USAGE'), await check(r.og_b, 'CREATE')]).toEqual(before);
    } finally {
      await other.close();
    }
  });

  it('impliedGrants: false grants only what is declared: no schema USAGE, no sequence USAGE for INSERT; the inert grant is named', async () => {
    const s = `og_${++counter}`;
    await db.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.t (id serial, v int)`);
    const access = defineAccess({ roles: [r.og_a], impliedGrants: false, tables: [table(`${s}.t`, { grants: [grant(['SELECT', 'INSERT'], { to: r.og_a })] })] });
    const p = await plan(db.pool, access);
    expect(p.diagnostics).toContainEqual(expect.objectContaining({ code: 'INERT_GRANT', subject: `${quoteIdent(s)} / ${quoteIdent(r.og_a)}` }));
    await runStatements(db.pool, p.up);
    expect(await usage(r.og_a, s)).toBe(false);
    expect((await db.query(`SELECT has_sequence_privilege($1, $2, 'USAGE') AS ok`, [r.og_a, `${s}.t_id_seq`])).rows[0].ok).toBe(false);
    expect((await db.query(`SELECT has_table_privilege($1, $2, 'INSERT') AS ok`, [r.og_a, `${s}.t`])).rows[0].ok).toBe(true);
    // With the default, both are implied.
    const implied = await plan(db.pool, defineAccess({ roles: [r.og_a], tables: [table(`${s}.t`, { grants: [grant(['SELECT', 'INSERT'], { to: r.og_a })] })] }));
    expect(implied.operations.map((o) => o.description).sort()).toEqual([`grant USAGE on schema ${s} to ${r.og_a}`, `grant USAGE on sequence ${s}.t_id_seq to ${r.og_a}`].sort());
  });
});

describe('the downgrade restores privileges, not always catalog bytes', () => {
  it('a table whose ACL was NULL (the built-in defaults) gets those defaults back written out: the same privileges for every role', async () => {
    const s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.plain (id int)`);
    const acl = async () =>
      (
        await db.query(
          `SELECT c.relacl IS NULL AS is_null,
             ARRAY(SELECT format('%s:%s:%s', e.grantee, e.privilege_type, e.is_grantable) FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) e ORDER BY 1) AS entries
           FROM pg_class c WHERE c.oid = $1::regclass`,
          [`${s}.plain`],
        )
      ).rows[0] as { is_null: boolean; entries: string[] };
    const before = await acl();
    expect(before.is_null).toBe(true);
    const p = await plan(db.pool, defineAccess({ roles: [r.og_a], tables: [table(`${s}.plain`, { grants: [grant('SELECT', { to: r.og_a })] })] }));
    await runStatements(db.pool, p.up);
    await runStatements(db.pool, p.down);
    const after = await acl();
    // PostgreSQL has no statement that puts an ACL back to NULL: the downgrade's REVOKE leaves the defaults explicit.
    expect(after).toEqual({ is_null: false, entries: before.entries });
    expect((await db.query(`SELECT has_table_privilege($1, $2, 'SELECT') AS ok`, [r.og_a, `${s}.plain`])).rows[0].ok).toBe(false);
  });
});

describe('forRole naming the connected role', () => {
  it('needs no listing in roles and plans what leaving forRole out plans; another unlisted role is an error naming it', async () => {
    const grants = [grant('SELECT', { to: r.og_a })];
    const named = await plan(db.pool, defineAccess({ roles: [r.og_a], tables: [], defaultPrivileges: [defaultPrivileges({ forRole: me, on: 'tables', grants })] }));
    const implied = await plan(db.pool, defineAccess({ roles: [r.og_a], tables: [], defaultPrivileges: [defaultPrivileges({ on: 'tables', grants })] }));
    expect(named.up).toEqual(implied.up);
    await runStatements(db.pool, named.up);
    try {
      expect(entriesOf(defaultAcl(await accessSnapshot(db.pool), `${me}|-|r`) ?? [], r.og_a)).toEqual([`${r.og_a}:SELECT`]);
    } finally {
      await runStatements(db.pool, named.down);
    }
    await expect(
      plan(db.pool, defineAccess({ roles: [r.og_a], tables: [], defaultPrivileges: [defaultPrivileges({ forRole: r.og_owner, on: 'tables', grants })] })),
    ).rejects.toThrow(`forRole names role ${quoteIdent(r.og_owner)}, which is not in defineAccess({ roles }); add it there, or leave forRole out for the role pg-access connects as (${quoteIdent(me)}).`);
  });
});

describe('many grantees on one object', () => {
  // Past 24 entries on one object, the diff finds entries through a map of
  // their own (model/grant-lookup): the same answers as the scan below it.
  it('30 roles: every table privilege for 20 (half with the grant option), SELECT for 10; held entries kept, others revoked, options added and taken; the downgrade restores all', async () => {
    const s = await freshSchema();
    const prefixes = Array.from({ length: 30 }, (_, i) => `og_m${i}`);
    const many = await moreRoles(...prefixes);
    const roles = prefixes.map((p) => many[p]!);
    const [full, readers] = [roles.slice(0, 20), roles.slice(20)];
    await db.query(`CREATE TABLE ${s}.shared (id int); INSERT INTO ${s}.shared VALUES (1);
      GRANT SELECT, INSERT ON ${s}.shared TO ${roles.slice(0, 15).map(q).join(', ')};
      GRANT UPDATE ON ${s}.shared TO ${readers.map(q).join(', ')};
      GRANT DELETE ON ${s}.shared TO ${full.slice(0, 5).map(q).join(', ')} WITH GRANT OPTION`);
    const access = defineAccess({
      roles,
      tables: [
        table(`${s}.shared`, {
          grants: [grant('ALL', { to: full.slice(0, 10) }), grant('ALL', { to: full.slice(10), withGrantOption: true }), grant('SELECT', { to: readers })],
        }),
      ],
    });
    const tablePrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', ...(serverVersion >= 170000 ? ['MAINTAIN'] : [])];
    await roundTrip(access, (snap) => {
      const expected = [
        ...full.slice(0, 10).flatMap((role) => tablePrivileges.map((p) => `${role}:${p}`)),
        ...full.slice(10).flatMap((role) => tablePrivileges.map((p) => `${role}:${p}*`)),
        ...readers.map((role) => `${role}:SELECT`),
      ].sort();
      expect(entriesOf(relation(snap, s, 'shared').acl, ...roles)).toEqual(expected);
    });
    expect(await as(readers[0]!, `SELECT id FROM ${s}.shared`)).toEqual([{ id: 1 }]);
    await expect(as(readers[0]!, `UPDATE ${s}.shared SET id = 2`)).rejects.toThrow(/permission denied/);
    expect(await as(full[0]!, `UPDATE ${s}.shared SET id = 2 RETURNING id`)).toEqual([{ id: 2 }]);
  });
});

describe('scope: what the declaration does not name stays as it is', () => {
  it('undeclared objects, undeclared roles\' grants on declared objects and PUBLIC\'s EXECUTE without revokeFromPublic are untouched', async () => {
    const s = await freshSchema();
    const { og_sc_owner: owner, og_sc_owner2: owner2 } = await moreRoles('og_sc_owner', 'og_sc_owner2');
    const [a, other] = [q(r.og_a), q(r.og_other)];
    await db.query(`
      CREATE TABLE ${s}.declared (id int, email text, secret text);
      GRANT SELECT (secret) ON ${s}.declared TO ${other}; GRANT SELECT ON ${s}.declared TO ${other};
      GRANT UPDATE (secret) ON ${s}.declared TO ${a};
      CREATE TABLE ${s}.undeclared (id int, email text); GRANT SELECT (email) ON ${s}.undeclared TO ${a}; GRANT SELECT ON ${s}.undeclared TO ${a};
      CREATE SEQUENCE ${s}.declared_seq; GRANT USAGE ON SEQUENCE ${s}.declared_seq TO ${other}; GRANT UPDATE ON SEQUENCE ${s}.declared_seq TO ${a};
      CREATE SEQUENCE ${s}.undeclared_seq; GRANT USAGE ON SEQUENCE ${s}.undeclared_seq TO ${a};
      CREATE FUNCTION ${s}.declared_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'; GRANT EXECUTE ON FUNCTION ${s}.declared_fn() TO ${other};
      CREATE FUNCTION ${s}.undeclared_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'; GRANT EXECUTE ON FUNCTION ${s}.undeclared_fn() TO ${a};
      REVOKE EXECUTE ON FUNCTION ${s}.undeclared_fn() FROM PUBLIC;
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT SELECT ON TABLES TO ${other};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT INSERT ON TABLES TO ${a};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} IN SCHEMA ${s} GRANT DELETE ON TABLES TO ${a};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner2)} GRANT SELECT ON TABLES TO ${a};
    `);
    const access = defineAccess({
      roles: [r.og_a, owner],
      tables: [table(`${s}.declared`, { grants: [grant('SELECT', { to: r.og_a, columns: ['email'] })] })],
      sequences: [sequence(`${s}.declared_seq`, { grants: [grant('USAGE', { to: r.og_a })] })],
      routines: [routine(`${s}.declared_fn()`, { grants: [grant('EXECUTE', { to: r.og_a })] })],
      defaultPrivileges: [defaultPrivileges({ forRole: owner, on: 'tables', grants: [grant('SELECT', { to: r.og_a })] })],
    });
    const before = await accessSnapshot(db.pool);
    const p = await plan(db.pool, access);
    expect(p.diagnostics).toContainEqual(expect.objectContaining({ code: 'UNMANAGED_GRANT', subject: `table ${s}.declared` }));
    await apply(db.pool, access);
    const after = await accessSnapshot(db.pool);

    // The declared entries changed as declared...
    expect(entriesOf(relation(after, s, 'declared').columnAcl, r.og_a)).toEqual([`email ${r.og_a}:SELECT`]);
    expect(entriesOf(relation(after, s, 'declared_seq').acl, r.og_a)).toEqual([`${r.og_a}:USAGE`]);
    expect(entriesOf(routineAcl(after, `${s}.declared_fn()`), r.og_a)).toEqual([`${r.og_a}:EXECUTE`]);
    expect(entriesOf(defaultAcl(after, `${owner}|-|r`)!, r.og_a)).toEqual([`${r.og_a}:SELECT`]);
    // ...everything of the role not named, and PUBLIC's EXECUTE, is as it was...
    const notA = (acl: readonly string[] | undefined) => (acl ?? []).filter((e) => !e.replace(/^\S+ /, '').startsWith(`${r.og_a}:`));
    expect(notA(relation(after, s, 'declared').acl)).toEqual(notA(relation(before, s, 'declared').acl));
    expect(notA(relation(after, s, 'declared').columnAcl)).toEqual(notA(relation(before, s, 'declared').columnAcl));
    expect(notA(relation(after, s, 'declared_seq').acl)).toEqual(notA(relation(before, s, 'declared_seq').acl));
    expect(notA(routineAcl(after, `${s}.declared_fn()`))).toEqual(notA(routineAcl(before, `${s}.declared_fn()`)));
    expect(routineAcl(after, `${s}.declared_fn()`)).toContain('PUBLIC:EXECUTE');
    expect(notA(defaultAcl(after, `${owner}|-|r`))).toEqual(notA(defaultAcl(before, `${owner}|-|r`)));
    // ...and so is every object the declaration does not name, whoever holds what there.
    const declared = new Set([`${s}.declared`, `${s}.declared_seq`]);
    expect(after.relations.filter((x) => !declared.has(`${x.schema}.${x.name}`))).toEqual(before.relations.filter((x) => !declared.has(`${x.schema}.${x.name}`)));
    expect(after.routines.filter((x) => x.signature !== `${s}.declared_fn()`)).toEqual(before.routines.filter((x) => x.signature !== `${s}.declared_fn()`));
    expect(after.defaultAcls.filter((d) => d.key !== `${owner}|-|r`)).toEqual(before.defaultAcls.filter((d) => d.key !== `${owner}|-|r`));
    expect(after.database).toEqual(before.database);
    expect(after.policies).toEqual(before.policies);
  });
});

describe('bad input is one clear error before anything runs', () => {
  let s: string;
  beforeAll(async () => {
    s = await freshSchema();
    await db.query(`CREATE TABLE ${s}.people (id int, email text); CREATE SEQUENCE ${s}.counter;
      CREATE FUNCTION ${s}.add_one(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1 + 1'`);
  });

  /** Applies and expects a PgAccessError with this code; the catalogs are unchanged. */
  async function refused(access: () => AccessDeclaration, code: string): Promise<PgAccessError> {
    const before = await accessSnapshot(db.pool);
    const e = await rejection(async () => apply(db.pool, access()));
    expect(e.code).toBe(code);
    expect(await accessSnapshot(db.pool)).toEqual(before);
    return e;
  }
  const onTable = (...grants: ReturnType<typeof grant>[]) => () => defineAccess({ roles: [r.og_a], tables: [table(`${s}.people`, { grants })] });

  it('EXECUTE on a table', async () => {
    const e = await refused(onTable(grant('EXECUTE', { to: r.og_a })), 'INVALID_DECLARATION');
    expect(e.message).toContain(`grant on "${s}"."people": "EXECUTE" is not a table privilege; allowed: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN, ALL.`);
  });

  it('TRUNCATE on a column names the column privileges', async () => {
    const e = await refused(onTable(grant(['SELECT', 'TRUNCATE'], { to: r.og_a, columns: ['email'] })), 'INVALID_DECLARATION');
    expect(e.message).toContain('"TRUNCATE" is not a column privilege');
    expect(e.message).toContain('allowed: SELECT, INSERT, UPDATE, REFERENCES, ALL.');
  });

  it('a column that does not exist names the column, the table and its columns', async () => {
    const e = await refused(onTable(grant('SELECT', { to: r.og_a, columns: ['email', 'emial'] })), 'DECLARATION_DOES_NOT_MATCH_DATABASE');
    expect(e.details).toEqual([`grant on "${s}"."people": column "emial" does not exist on "${s}"."people"; its columns are "id", "email".`]);
  });

  it('privileges that do not exist on sequences, routines, the database, default privileges; columns outside a table grant', async () => {
    const e = await refused(
      () =>
        defineAccess({
          roles: [r.og_a],
          tables: [],
          sequences: [sequence(`${s}.counter`, { grants: [grant('EXECUTE', { to: r.og_a }), grant('SELECT', { to: r.og_a, columns: ['x'] })] })],
          routines: [routine(`${s}.add_one(integer)`, { grants: [grant('SELECT', { to: r.og_a })] })],
          database: database({ grants: [grant('USAGE', { to: r.og_a })] }),
          defaultPrivileges: [defaultPrivileges({ on: 'functions', grants: [grant('SELECT', { to: r.og_a })] })],
        }),
      'INVALID_DECLARATION',
    );
    expect(e.details).toEqual([
      `grant on sequence "${s}"."counter": "EXECUTE" is not a sequence privilege; allowed: USAGE, SELECT, UPDATE, ALL.`,
      `grant on sequence "${s}"."counter": columns only apply to table grants.`,
      `grant on routine "${s}.add_one(integer)": "SELECT" is not a function privilege; allowed: EXECUTE, ALL.`,
      'grant on the database: "USAGE" is not a database privilege; allowed: CREATE, CONNECT, TEMPORARY, ALL.',
      'defaultPrivileges({ on: "functions" }): "SELECT" is not a function privilege; allowed: EXECUTE, ALL.',
    ]);
  });

  it.each([
    ['no function of that name', (sc: string) => `${sc}.add_two(integer)`],
    ['other argument types', (sc: string) => `${sc}.add_one(text)`],
    ['a schema that does not exist', () => 'og_no_such_schema.add_one(integer)'],
    ['an argument type that does not exist', (sc: string) => `${sc}.add_one(no_such_type)`],
    ['an argument type PostgreSQL cannot parse', (sc: string) => `${sc}.add_one(int int)`],
  ])('a routine signature that matches nothing: %s', async (_, signature) => {
    const e = await refused(() => defineAccess({ roles: [r.og_a], tables: [], routines: [routine(signature(s), { grants: [grant('EXECUTE', { to: r.og_a })] })] }), 'DECLARATION_DOES_NOT_MATCH_DATABASE');
    // The message names the signature (PostgreSQL 14/15 cannot even parse an unknown type: a message of its own).
    expect(e.message).toContain(JSON.stringify(signature(s)));
  });

  it('a routine without an argument list', async () => {
    const e = await refused(() => defineAccess({ roles: [r.og_a], tables: [], routines: [routine(`${s}.add_one`)] }), 'INVALID_DECLARATION');
    expect(e.message).toContain(`routine "${s}.add_one": write a signature with its argument types`);
  });

  it("IN SCHEMA with on: 'schemas'", async () => {
    const e = await refused(() => defineAccess({ roles: [r.og_a], tables: [], defaultPrivileges: [defaultPrivileges({ inSchema: s, on: 'schemas', grants: [grant('USAGE', { to: r.og_a })] })] }), 'INVALID_DECLARATION');
    expect(e.message).toContain('default privileges on schemas cannot be limited to a schema (PostgreSQL refuses IN SCHEMA with ON SCHEMAS); remove inSchema.');
  });

  it('withGrantOption to PUBLIC, on every kind', async () => {
    const toPublic = grant('EXECUTE', { to: 'public', withGrantOption: true });
    const e = await refused(
      () =>
        defineAccess({
          roles: [],
          tables: [table(`${s}.people`, { grants: [grant('SELECT', { to: 'public', withGrantOption: true, columns: ['email'] })] })],
          routines: [routine(`${s}.add_one(integer)`, { grants: [toPublic] })],
          database: database({ grants: [grant('CONNECT', { to: 'PUBLIC', withGrantOption: true })] }),
          defaultPrivileges: [defaultPrivileges({ on: 'functions', grants: [toPublic] })],
        }),
      'INVALID_DECLARATION',
    );
    expect(e.details).toHaveLength(4);
    for (const d of e.details) expect(d).toContain('withGrantOption cannot be given to PUBLIC (PostgreSQL grants options only to roles)');
  });

  it('revokeFromPublic on per-schema default privileges (PostgreSQL can only take PUBLIC\'s defaults away globally)', async () => {
    const e = await refused(() => defineAccess({ roles: [], tables: [], defaultPrivileges: [defaultPrivileges({ inSchema: s, on: 'functions', revokeFromPublic: true })] }), 'INVALID_DECLARATION');
    expect(e.message).toContain('revokeFromPublic needs a declaration without inSchema');
  });

  it('MAINTAIN before PostgreSQL 17, on tables and in default privileges', async () => {
    const access = () =>
      defineAccess({ roles: [r.og_a], tables: [table(`${s}.people`, { grants: [grant('MAINTAIN', { to: r.og_a })] })], defaultPrivileges: [defaultPrivileges({ on: 'tables', grants: [grant('MAINTAIN', { to: r.og_a })] })] });
    if (serverVersion >= 170000) {
      expect((await plan(db.pool, access())).operations.map((o) => o.op.kind)).toEqual(['grant', 'grant']);
      return;
    }
    const e = await refused(access, 'DECLARATION_DOES_NOT_MATCH_DATABASE');
    expect(e.details).toHaveLength(2);
    for (const d of e.details) expect(d).toContain('MAINTAIN exists from PostgreSQL 17 on');
  });
});
