/**
 * Hostile names and expressions, end to end: quotes, spaces, capitals,
 * reserved words, unicode, SQL fragments inside names, the 63-byte limit.
 * Every object must come out in the catalogs exactly as declared, and the
 * next plan must be empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, grant, plan, policy, quoteIdent, table } from '../src/index.js';
import { accessSnapshot, policiesOf, runStatements } from './support/catalog.js';
import { asRole, createTestDatabase, uniqueName, type TestDatabase } from './support/database.js';
import { dropRoles } from './support/roles.js';

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

  it('a name over 63 bytes is an error naming it, before anything runs', async () => {
    const tooLong = `${'é'.repeat(31)}ab`; // 64 bytes
    await expect(plan(db.pool, defineAccess({ roles: [], tables: [table(qualified, { policies: [policy(tooLong, { using: 'true' })] })] }))).rejects.toThrow(/64 bytes long; PostgreSQL truncates identifiers to 63 bytes/);
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
