/**
 * What PostgreSQL enforces after apply (SET ROLE + settings: the rows one sees,
 * the error one gets), and that nothing outside the declaration changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, grant, plan, policy, table } from '../src/index.js';
import { accessSnapshot, runStatements } from './support/catalog.js';
import { asRole, createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'enf_app' | 'enf_admin' | 'enf_other'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('enf_app', 'enf_admin', 'enf_other');
  await db.query(`
    CREATE SCHEMA app;
    CREATE TABLE app.documents (id serial PRIMARY KEY, owner_id int NOT NULL, tenant_id int NOT NULL, body text);
    INSERT INTO app.documents (owner_id, tenant_id, body) VALUES (1, 10, 'alice-1'), (1, 10, 'alice-2'), (2, 10, 'bob-1'), (3, 20, 'carol-1');
    CREATE TABLE app.untouched (id int);
    CREATE POLICY foreign_policy ON app.untouched USING (id > 0);
    ALTER TABLE app.untouched ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON app.untouched TO ${quoteIdent(r.enf_app)};
    CREATE SCHEMA other;
    CREATE TABLE other.stuff (id int);
    GRANT USAGE ON SCHEMA other TO ${quoteIdent(r.enf_other)};
    GRANT SELECT ON other.stuff TO ${quoteIdent(r.enf_other)};
    -- a grant to a role the declaration does not name, on a declared table
    GRANT SELECT ON app.documents TO ${quoteIdent(r.enf_other)};
  `);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

const uid = `current_setting('app.user_id')::int`;
const declaration = (readPolicy: string) =>
  defineAccess({
    roles: [r.enf_app, r.enf_admin],
    tables: [
      table('app.documents', {
        policies: [
          policy('owner_reads', { for: 'SELECT', to: r.enf_app, using: readPolicy }),
          policy('owner_inserts', { for: 'INSERT', to: r.enf_app, withCheck: `owner_id = ${uid}` }),
          policy('owner_updates', { for: 'UPDATE', to: r.enf_app, using: `owner_id = ${uid}`, withCheck: `owner_id = ${uid}` }),
          policy('tenant_fence', { as: 'restrictive', to: r.enf_app, using: `tenant_id = current_setting('app.tenant_id')::int` }),
          policy('admin_all', { to: r.enf_admin, using: 'true' }),
        ],
        grants: [grant(['SELECT', 'INSERT', 'UPDATE'], { to: r.enf_app }), grant('SELECT', { to: r.enf_admin })],
      }),
    ],
  });

describe('enforcement after apply', () => {
  beforeAll(async () => {
    await apply(db.pool, declaration(`owner_id = ${uid}`));
  });

  it('a user sees only its own rows, within its tenant', async () => {
    const rows = await asRole(db.pool, r.enf_app, { 'app.user_id': '1', 'app.tenant_id': '10' }, async (c) => (await c.query('SELECT body FROM app.documents ORDER BY body')).rows);
    expect(rows.map((x) => x.body)).toEqual(['alice-1', 'alice-2']);
    const wrongTenant = await asRole(db.pool, r.enf_app, { 'app.user_id': '1', 'app.tenant_id': '20' }, async (c) => (await c.query('SELECT body FROM app.documents')).rows);
    expect(wrongTenant).toEqual([]);
  });

  it('inserting a row for someone else is refused by the policy; its own row goes in (sequence USAGE was granted)', async () => {
    const settings = { 'app.user_id': '1', 'app.tenant_id': '10' };
    await expect(asRole(db.pool, r.enf_app, settings, (c) => c.query(`INSERT INTO app.documents (owner_id, tenant_id, body) VALUES (2, 10, 'forged')`))).rejects.toThrow(
      /new row violates row-level security policy/,
    );
    const inserted = await asRole(db.pool, r.enf_app, settings, async (c) => (await c.query(`INSERT INTO app.documents (owner_id, tenant_id, body) VALUES (1, 10, 'new') RETURNING id`)).rowCount);
    expect(inserted).toBe(1);
  });

  it('a privilege that was not granted is refused (DELETE)', async () => {
    await expect(asRole(db.pool, r.enf_app, { 'app.user_id': '1', 'app.tenant_id': '10' }, (c) => c.query('DELETE FROM app.documents'))).rejects.toThrow(/permission denied for table documents/);
  });

  it("updating another user's row changes nothing; moving one's own row to another owner is refused", async () => {
    const settings = { 'app.user_id': '1', 'app.tenant_id': '10' };
    const touched = await asRole(db.pool, r.enf_app, settings, async (c) => (await c.query(`UPDATE app.documents SET body = 'x' WHERE owner_id = 2`)).rowCount);
    expect(touched).toBe(0);
    await expect(asRole(db.pool, r.enf_app, settings, (c) => c.query(`UPDATE app.documents SET owner_id = 2 WHERE owner_id = 1`))).rejects.toThrow(/new row violates row-level security policy/);
  });

  it('another role is unaffected by policies it is not named in: the admin sees everything', async () => {
    const n = await asRole(db.pool, r.enf_admin, {}, async (c) => (await c.query('SELECT count(*)::int AS n FROM app.documents')).rows[0].n);
    expect(n).toBe(4);
  });

  it('editing one policy replaces its old version with the new one and changes what the user sees', async () => {
    const p = await plan(db.pool, declaration(`owner_id = ${uid} OR body LIKE 'bob%'`));
    expect(p.operations.map((o) => o.op.kind)).toEqual(['drop-policy', 'create-policy']);
    await runStatements(db.pool, p.up);
    const rows = await asRole(db.pool, r.enf_app, { 'app.user_id': '1', 'app.tenant_id': '10' }, async (c) => (await c.query('SELECT body FROM app.documents ORDER BY body')).rows);
    expect(rows.map((x) => x.body)).toEqual(['alice-1', 'alice-2', 'bob-1']);
    await runStatements(db.pool, p.down);
  });
});

describe('scope', () => {
  it('objects outside the declaration are identical in the catalogs before and after apply', async () => {
    const outside = (s: Awaited<ReturnType<typeof accessSnapshot>>) => ({
      schemas: s.schemas.filter((x) => x.name === 'other'),
      relations: s.relations.filter((x) => x.name === 'untouched' || x.name === 'stuff'),
      policies: s.policies.filter((x) => x.table === 'untouched'),
      otherRoleOnDocuments: s.relations.find((x) => x.name === 'documents')!.acl.filter((e) => e.startsWith(r.enf_other)),
    });
    const before = outside(await accessSnapshot(db.pool));
    expect(before.otherRoleOnDocuments).toEqual([`${r.enf_other}:SELECT`]);
    const changed = defineAccess({
      roles: [r.enf_app],
      tables: [table('app.documents', { policies: [policy('only', { to: r.enf_app, using: 'false' })], grants: [grant('SELECT', { to: r.enf_app })] })],
    });
    const p = await plan(db.pool, changed);
    expect(p.isEmpty).toBe(false);
    expect(p.diagnostics).toContainEqual(expect.objectContaining({ code: 'UNMANAGED_GRANT', subject: 'table app.documents', message: expect.stringContaining(`Role "${r.enf_other}" holds SELECT`) }));
    await apply(db.pool, changed);
    expect(outside(await accessSnapshot(db.pool))).toEqual(before);
    // And the admin role, no longer named, keeps its grant: pg-access only manages listed roles.
    const { rows } = await db.query(`SELECT has_table_privilege($1, 'app.documents', 'SELECT') AS ok`, [r.enf_admin]);
    expect(rows[0].ok).toBe(true);
  });
});
