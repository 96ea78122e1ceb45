/**
 * Hostile names and expressions, end to end: quotes, spaces, capitals,
 * reserved words, unicode, SQL fragments inside names, the 63-byte limit.
 * Every object must come out in the catalogs exactly as declared, and the
 * next plan must be empty.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, database, defaultPrivileges, defineAccess, grant, plan, policy, quoteIdent, role, routine, table } from '../src/index.js';
import { accessSnapshot, policiesOf, rolesSnapshot, runStatements } from './support/catalog.js';
import { asRole, createTestDatabase, uniqueName, type TestDatabase } from './support/database.js';
import { dropRoles } from './support/roles.js';
import { parseAclItem } from '../src/introspect/acl-json.js';

let db: TestDatabase;
const suffix = uniqueName('x').slice(2);
const hostileRole = `Read "Only"; DROP TABLE x; -- ü ${suffix}`;
const plainRole = `app ${suffix}`;
const schemaName = `Sché ma"/* ${suffix} */`;
const tableName = 'user';
const mixed = 'Mixed Case Table';
// 63 bytes exactly, with multibyte characters: kept as is by PostgreSQL.
const longPolicy = `${'é'.repeat(30)}abc`;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.admin.query(`CREATE ROLE ${quoteIdent(hostileRole)}; CREATE ROLE ${quoteIdent(plainRole)}`);
  await db.query(`CREATE SCHEMA ${quoteIdent(schemaName)};
    CREATE TABLE ${quoteIdent(schemaName)}.${quoteIdent(tableName)} ("Owner Id" int, "select" text, note text);
    INSERT INTO ${quoteIdent(schemaName)}.${quoteIdent(tableName)} VALUES (1, 'it''s', 'a;b'), (2, '--', '/* */');
    CREATE TABLE ${quoteIdent(mixed)} (id int)`);
});
afterAll(async () => {
  await db?.close();
  await dropRoles(hostileRole, plainRole);
});

describe('hostile identifiers and expressions', () => {
  const qualified = `${quoteIdent(schemaName)}.${quoteIdent(tableName)}`;
  const access = () =>
    defineAccess({
      roles: [hostileRole, plainRole],
      tables: [
        table(qualified, {
          policies: [
            policy(`it's "quoted"; -- not a comment`, { for: 'SELECT', to: hostileRole, using: (t) => `${t['Owner Id']} = 1 -- trailing comment\n OR "select" = 'it''s'` }),
            policy(longPolicy, { for: 'SELECT', to: plainRole, using: `note = $q$a;b$q$ OR note = '/* */' OR "select" = E'\\x2d-'` }),
            policy('multi\nline', { for: 'UPDATE', to: [hostileRole, plainRole], using: 'true', withCheck: `"select" <> ')'` }),
          ],
          grants: [grant(['SELECT', 'UPDATE'], { to: [hostileRole, plainRole] })],
        }),
        table(mixed, { grants: [grant('SELECT', { to: plainRole })] }),
      ],
    });

  it('applies, lands in the catalogs exactly as declared, and replans empty', async () => {
    await apply(db.pool, access());
    const snapshot = await accessSnapshot(db.pool);
    const policies = policiesOf(snapshot, schemaName, tableName);
    expect(policies.map((p) => p.name).sort()).toEqual([`it's "quoted"; -- not a comment`, longPolicy, 'multi\nline'].sort());
    expect(policies.find((p) => p.name.startsWith('it'))!.roles).toEqual([hostileRole]);
    expect(snapshot.relations.find((x) => x.name === mixed)!.acl).toContain(`${plainRole}:SELECT`);
    expect(snapshot.schemas.find((x) => x.name === schemaName)!.acl).toEqual(expect.arrayContaining([`${hostileRole}:USAGE`, `${plainRole}:USAGE`]));
    expect((await plan(db.pool, access())).operations.map((o) => o.description)).toEqual([]);
  });

  it('the expressions mean what they say (the comment did not swallow anything)', async () => {
    const seen = await asRole(db.pool, hostileRole, {}, async (c) => (await c.query(`SELECT "Owner Id" AS id FROM ${qualified} ORDER BY 1`)).rows);
    expect(seen.map((x) => x.id)).toEqual([1]);
    const seenByPlain = await asRole(db.pool, plainRole, {}, async (c) => (await c.query(`SELECT "Owner Id" AS id FROM ${qualified} ORDER BY 1`)).rows);
    expect(seenByPlain.map((x) => x.id)).toEqual([1, 2]);
  });

  it('the downgrade removes everything again, names and all', async () => {
    const p = await plan(db.pool, defineAccess({ roles: [hostileRole, plainRole], tables: [table(qualified, { rls: false }), table(mixed)] }));
    await runStatements(db.pool, p.up);
    const s = await accessSnapshot(db.pool);
    expect(policiesOf(s, schemaName, tableName)).toEqual([]);
    await runStatements(db.pool, p.down);
    expect(policiesOf(await accessSnapshot(db.pool), schemaName, tableName)).toHaveLength(3);
  });

  it('a name over 63 bytes is an error naming it and the name PostgreSQL would store, before anything runs', async () => {
    // 64 and 65 bytes; the second is cut before a two-byte character that would not fit whole.
    for (const tooLong of [`${'é'.repeat(31)}ab`, `a${'é'.repeat(32)}`]) {
      const stored = (await db.query('SELECT $1::name AS n', [tooLong])).rows[0].n as string; // PostgreSQL's own truncation, the oracle
      await expect(plan(db.pool, defineAccess({ roles: [], tables: [table(qualified, { policies: [policy(tooLong, { using: 'true' })] })] }))).rejects.toThrow(
        `bytes long; PostgreSQL truncates identifiers to 63 bytes (it would store ${JSON.stringify(stored)})`,
      );
    }
  });

  it('an expression that tries to break out of its parentheses is refused before reaching the server', async () => {
    const attempts = ['true) WITH CHECK (true', 'true); DROP TABLE x; --', "true /* unclosed", "'unterminated", '$a$ never closed', '(true'];
    for (const using of attempts) {
      await expect(plan(db.pool, defineAccess({ roles: [], tables: [table(mixed, { policies: [policy('p', { using })] })] })), using).rejects.toMatchObject({ code: 'INVALID_DECLARATION' });
    }
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_policy`);
    expect(rows[0].n).toBe(3);
  });
});

describe('hostile names in roles, memberships, columns, routines, the database and default privileges', () => {
  // A database whose name ends up in a COMMENT literal and in GRANT ... ON DATABASE.
  const databaseName = `db "x'; -- ${suffix}`;
  const managedRole = `Ro"le'; DROP ROLE postgres; -- ${suffix}`;
  const column = `co"l; --`;
  const fn = `f'n"; DROP FUNCTION x; --`;
  let pool: pg.Pool;

  beforeAll(async () => {
    await db.admin.query(`CREATE DATABASE ${quoteIdent(databaseName)} TEMPLATE template0`);
    const url = new URL(db.url);
    pool = new pg.Pool({ host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), database: databaseName, max: 2 });
    pool.on('error', () => undefined);
    await pool.query(`CREATE SCHEMA ${quoteIdent(schemaName)};
      CREATE TABLE ${quoteIdent(schemaName)}.${quoteIdent(tableName)} (id int, ${quoteIdent(column)} text);
      CREATE FUNCTION ${quoteIdent(schemaName)}.${quoteIdent(fn)}(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1'`);
  });
  afterAll(async () => {
    await pool?.end();
    await db.admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseName)} WITH (FORCE)`);
    await dropRoles(managedRole);
  });

  const qualified = `${quoteIdent(schemaName)}.${quoteIdent(tableName)}`;
  const signature = `${quoteIdent(schemaName)}.${quoteIdent(fn)}(integer)`;
  const access = () =>
    defineAccess({
      roles: [role(managedRole, { validUntil: `2030-01-01T00:00:00Z`, inRoles: [hostileRole] }), hostileRole, plainRole],
      tables: [table(qualified, { grants: [grant(['SELECT', 'UPDATE'], { to: managedRole, columns: [column] })] })],
      routines: [routine(signature, { grants: [grant('EXECUTE', { to: managedRole })], revokeFromPublic: true })],
      database: database({ grants: [grant('CONNECT', { to: managedRole })] }),
      defaultPrivileges: [defaultPrivileges({ forRole: managedRole, inSchema: schemaName, on: 'tables', grants: [grant('SELECT', { to: plainRole })] })],
    });

  it('round-trips every kind exactly, and the downgrade removes it all again', async () => {
    const before = await accessSnapshot(pool);
    const p = await plan(pool, access());
    await runStatements(pool, p.up);
    const [facts] = await rolesSnapshot(pool, [managedRole]);
    expect(facts).toMatchObject({ name: managedRole, comment: `created by pg-access (database ${JSON.stringify(databaseName)})` });
    expect(facts!.memberOf.map((m) => m.split(' admin=')[0])).toEqual([hostileRole]);
    const after = await accessSnapshot(pool);
    expect(after.relations.find((r) => r.name === tableName)!.columnAcl).toEqual([`${column} ${managedRole}:SELECT`, `${column} ${managedRole}:UPDATE`]);
    expect(after.routines.find((r) => r.signature.includes(fn))!.acl.filter((e) => !e.startsWith('postgres:'))).toEqual([`${managedRole}:EXECUTE`]);
    expect(after.database).toContain(`${managedRole}:CONNECT`);
    expect(after.defaultAcls).toEqual([{ key: `${managedRole}|${schemaName}|r`, acl: [`${plainRole}:SELECT`] }]);
    expect((await plan(pool, access())).operations.map((o) => o.description)).toEqual([]);
    await runStatements(pool, p.down);
    expect(await accessSnapshot(pool)).toEqual(before);
    expect(await rolesSnapshot(pool, [managedRole])).toEqual([]);
  });

  it('a signature is only data: SQL in it is looked up as a name, never run', async () => {
    for (const attempt of [`${signature}; DROP TABLE ${qualified}; --()`, `pg_sleep(1) OR 1=1 --(integer)`]) {
      await expect(plan(pool, defineAccess({ roles: [], tables: [], routines: [routine(attempt)] })), attempt).rejects.toMatchObject({ code: 'DECLARATION_DOES_NOT_MATCH_DATABASE' });
    }
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${qualified}`)).rows[0].n).toBe(0);
  });
});

describe('access privileges as the server writes them (aclitem text) are read back exactly', () => {
  let db: TestDatabase;
  const tag = uniqueName('a').slice(2);
  // Every character aclitem text treats specially: quotes, '=', '/', '*', ',', braces, spaces, a leading digit, unicode.
  const names = [`q"u""o=t/e*${tag}`, `{a,b} c ${tag}`, `1${tag}`, `ü_${tag}`, `plain_${tag}`];

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.admin.query(names.map((n) => `CREATE ROLE ${quoteIdent(n)};`).join('\n'));
    await db.query(`CREATE TABLE acl_probe (id int, note text); CREATE FUNCTION acl_probe_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
    const all = names.map(quoteIdent).join(', ');
    await db.query(`GRANT SELECT, INSERT, TRUNCATE ON acl_probe TO ${all} WITH GRANT OPTION;
      GRANT UPDATE (note), REFERENCES (id) ON acl_probe TO ${all};
      GRANT ALL ON acl_probe TO ${quoteIdent(names[4]!)};
      GRANT SELECT ON acl_probe TO PUBLIC;
      GRANT EXECUTE ON FUNCTION acl_probe_fn() TO ${all} WITH GRANT OPTION;
      GRANT USAGE, CREATE ON SCHEMA public TO ${all}`);
    // Granted by someone other than the owner: the grantor is written after '/'.
    await db.query(`SET ROLE ${quoteIdent(names[0]!)}; GRANT SELECT ON acl_probe TO ${quoteIdent(names[1]!)}; RESET ROLE`);
  });
  afterAll(async () => {
    await db?.close();
    await dropRoles(...names);
  });

  it('parses every entry as aclexplode() names it, grantee, privilege and grant option', async () => {
    const { rows } = await db.query(`
      SELECT acl::text[] AS items, owner, (SELECT json_agg(json_build_array(
          CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee)::text END, x.privilege_type, x.is_grantable)) FROM aclexplode(acl) x) AS exploded
      FROM (SELECT relacl, pg_get_userbyid(relowner)::text FROM pg_class WHERE relname = 'acl_probe'
            UNION ALL SELECT attacl, pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = attrelid))::text FROM pg_attribute WHERE attrelid = 'acl_probe'::regclass AND attacl IS NOT NULL
            UNION ALL SELECT proacl, pg_get_userbyid(proowner)::text FROM pg_proc WHERE proname = 'acl_probe_fn'
            UNION ALL SELECT nspacl, pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = 'public'
            UNION ALL SELECT datacl, pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()) AS objects(acl, owner)
      WHERE acl IS NOT NULL`);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const row of rows) {
      const parsed = (row.items as string[]).flatMap((item) => {
        const { grantee, privileges } = parseAclItem(item);
        return privileges.map(([privilege, grantable]) => [grantee, privilege, grantable]);
      });
      expect(parsed, (row.items as string[]).join(' ')).toEqual(row.exploded);
      // Every hostile name was read back as itself.
      for (const name of names) if ((row.items as string[]).length > 3) expect(parsed.some(([grantee]) => grantee === name), name).toBe(true);
    }
  });

  it('a plan reads them back: the declared grants, named with those characters, are in sync', async () => {
    const access = defineAccess({
      roles: names,
      tables: [table('acl_probe', { grants: [grant(['SELECT', 'INSERT', 'TRUNCATE'], { to: names, withGrantOption: true }), grant('ALL', { to: names[4]! })] })],
    });
    const p = await plan(db.pool, access);
    // Only the undeclared column grants differ, each named exactly; PUBLIC's SELECT is reported, as PUBLIC.
    const expected = names.flatMap((n) => [`revoke REFERENCES on column public.acl_probe.id from ${n}`, `revoke UPDATE on column public.acl_probe.note from ${n}`]);
    expect(p.operations.map((o) => o.description).sort()).toEqual(expected.sort());
    expect(p.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/^PUBLIC holds SELECT on table public\.acl_probe/)]);
    await apply(db.pool, access);
    expect((await plan(db.pool, access)).operations).toEqual([]);
    const { rows } = await db.query(`SELECT r.rolname::text AS name, has_table_privilege(r.oid, 'acl_probe', 'TRUNCATE WITH GRANT OPTION') AS truncate,
      has_column_privilege(r.oid, 'acl_probe', 'note', 'UPDATE') AS update_note FROM pg_roles r WHERE r.rolname = ANY($1)`, [names]);
    expect(rows.filter((r) => r.truncate && (r.name === names[4]) === r.update_note).map((r) => r.name).sort()).toEqual([...names].sort());
  });
});
