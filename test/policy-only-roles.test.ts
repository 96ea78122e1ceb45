/**
 * The lockout trap: a provider's role (Supabase's `authenticated`) gets its
 * table privileges from elsewhere, and a declaration that only gives it
 * policies would revoke them all, leaving every policy unreachable. The plan
 * warns about that (POLICY_UNREACHABLE), and the role can be declared
 * policy-only: existingRole(name, { grants: 'unmanaged' }).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, existingRole, grant, plan, policy, table } from '../src/index.js';
import { asRole, createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { accessSnapshot, runStatements } from './support/catalog.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'po_authenticated' | 'po_app'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('po_authenticated', 'po_app');
  // As a provider sets it up: the role may read and write both tables; policies are the user's to declare.
  await db.query(`CREATE TABLE notes (id int, owner_id int); CREATE TABLE tags (id int, owner_id int);
    INSERT INTO notes VALUES (1, 1), (2, 2); INSERT INTO tags VALUES (1, 1), (2, 2);
    GRANT SELECT, INSERT, UPDATE, DELETE ON notes, tags TO ${quoteIdent(r.po_authenticated)};`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

const own = (to: string) => [
  policy('own_read', { for: 'SELECT', to, using: `owner_id = current_setting('app.uid')::int` }),
  policy('own_delete', { for: 'DELETE', to, using: `owner_id = current_setting('app.uid')::int` }),
];
const heldBy = async (role: string) =>
  (
    await db.query(
      `SELECT table_name::text || ':' || privilege_type AS p FROM information_schema.role_table_grants WHERE grantee = $1 AND table_name IN ('notes', 'tags') ORDER BY 1`,
      [role],
    )
  ).rows.map((row) => row.p as string);

describe('a role that only policies name', () => {
  it('with its grants managed, a plan that revokes them warns once that its policies can never apply, naming them', async () => {
    const p = await plan(db.pool, defineAccess({ roles: [r.po_authenticated], tables: [table('notes', { policies: own(r.po_authenticated) }), table('tags', { policies: own(r.po_authenticated) })] }));
    expect(p.operations.filter((o) => o.op.kind === 'revoke')).not.toHaveLength(0);
    const warnings = p.diagnostics.filter((d) => d.code === 'POLICY_UNREACHABLE');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ severity: 'warning', subject: quoteIdent(r.po_authenticated) });
    expect(warnings[0]!.message).toContain(`4 policies for role ${quoteIdent(r.po_authenticated)} can never apply`);
    expect(warnings[0]!.message).toContain(`"own_read" on "public"."notes" (SELECT)`);
    expect(warnings[0]!.message).toContain(`existingRole(${JSON.stringify(r.po_authenticated)}, { grants: 'unmanaged' })`);
    // Only the commands it would lose: with SELECT declared, the read policies are reachable and only DELETE is warned about.
    const partly = await plan(
      db.pool,
      defineAccess({ roles: [r.po_authenticated], tables: [table('notes', { policies: own(r.po_authenticated), grants: [grant('SELECT', { to: r.po_authenticated })] })] }),
    );
    const warning = partly.diagnostics.find((d) => d.code === 'POLICY_UNREACHABLE')!;
    expect(warning.message).toContain(`1 policy for role`);
    expect(warning.message).toContain(`"own_delete" on "public"."notes" (DELETE)`);
    // Many: five are named, the rest counted.
    const many = Array.from({ length: 7 }, (_, i) => policy(`read_${i}`, { for: 'SELECT', to: r.po_authenticated, using: `owner_id = ${i}` }));
    const counted = (await plan(db.pool, defineAccess({ roles: [r.po_authenticated], tables: [table('notes', { policies: many })] }))).diagnostics.find(
      (d) => d.code === 'POLICY_UNREACHABLE',
    )!;
    expect(counted.message).toContain(`7 policies for role`);
    expect(counted.message).toContain(`"read_4" on "public"."notes" (SELECT), and 2 more.`);
    expect(counted.message).not.toContain('"read_5"');
  });

  it("declared with grants: 'unmanaged', its privileges are left alone and not reported; its policies are enforced", async () => {
    const access = defineAccess({
      roles: [existingRole(r.po_authenticated, { grants: 'unmanaged' })],
      tables: [table('notes', { policies: own(r.po_authenticated) }), table('tags', { policies: own(r.po_authenticated) })],
    });
    const before = await heldBy(r.po_authenticated);
    const p = await plan(db.pool, access);
    expect(p.operations.map((o) => o.op.kind).filter((k) => k.startsWith('grant') || k.startsWith('revoke'))).toEqual([]);
    expect(p.diagnostics.map((d) => d.code)).not.toContain('POLICY_UNREACHABLE');
    expect(p.diagnostics.map((d) => d.code)).not.toContain('UNMANAGED_GRANT');
    await apply(db.pool, access);
    expect(await heldBy(r.po_authenticated)).toEqual(before);
    const seen = await asRole(db.pool, r.po_authenticated, { 'app.uid': '1' }, async (c) => ({
      notes: (await c.query('SELECT id FROM notes')).rows,
      deleted: (await c.query('DELETE FROM tags RETURNING id')).rows,
    }));
    expect(seen).toEqual({ notes: [{ id: 1 }], deleted: [{ id: 1 }] });
    expect((await plan(db.pool, access)).isEmpty).toBe(true);
  });

  it("a grant naming a role declared with grants: 'unmanaged' is an error; without privileges its policies are still warned about", async () => {
    await expect(
      plan(db.pool, defineAccess({ roles: [existingRole(r.po_authenticated, { grants: 'unmanaged' })], tables: [table('notes', { grants: [grant('SELECT', { to: r.po_authenticated })] })] })),
    ).rejects.toThrow(`grant on "public"."notes" names role ${JSON.stringify(r.po_authenticated)}, declared with existingRole(${JSON.stringify(r.po_authenticated)}, { grants: 'unmanaged' })`);
    // po_app holds nothing on notes and its grants are not pg-access's: its policy can never apply.
    const p = await plan(db.pool, defineAccess({ roles: [existingRole(r.po_app, { grants: 'unmanaged' })], tables: [table('notes', { policies: own(r.po_app).slice(0, 1) })] }));
    const warning = p.diagnostics.find((d) => d.code === 'POLICY_UNREACHABLE')!;
    expect(warning.message).toContain(`its grants are unmanaged (grants: 'unmanaged')`);
    await expect(plan(db.pool, defineAccess({ roles: [existingRole(r.po_app, { grants: 'none' as never })], tables: [] }))).rejects.toThrow(
      `existingRole(${JSON.stringify(r.po_app)}): grants must be 'managed', 'unmanaged', 'where-declared', got "none".`,
    );
  });

  it('a fence for a group whose member holds the privileges is reachable: no warning', async () => {
    await db.query(`GRANT ${quoteIdent(r.po_app)} TO ${quoteIdent(r.po_authenticated)}`);
    try {
      const fenced = (grants: boolean) =>
        defineAccess({
          roles: [existingRole(r.po_app, { grants: 'unmanaged' }), r.po_authenticated],
          tables: [
            table('notes', {
              policies: [policy('fence', { as: 'restrictive', for: 'SELECT', to: r.po_app, using: 'owner_id = 1' }), policy('open', { for: 'SELECT', to: r.po_authenticated, using: 'true' })],
              grants: grants ? [grant('SELECT', { to: r.po_authenticated })] : [],
            }),
          ],
        });
      const unreachable = async (grants: boolean) => (await plan(db.pool, fenced(grants))).diagnostics.filter((d) => d.code === 'POLICY_UNREACHABLE').map((d) => d.subject);
      expect(await unreachable(true)).toEqual([]);
      // Without the member's privilege, both are warned about: the member's own policy and the group's fence.
      expect((await unreachable(false)).sort()).toEqual([quoteIdent(r.po_app), quoteIdent(r.po_authenticated)].sort());
    } finally {
      await db.query(`REVOKE ${quoteIdent(r.po_app)} FROM ${quoteIdent(r.po_authenticated)}`);
    }
  });
});

describe("a role declared with grants: 'where-declared'", () => {
  it('has exactly the declared privileges on the objects where it is granted something, keeps what it holds elsewhere unreported, and round-trips', async () => {
    const r2 = await createRoles('wd_api');
    const api = r2.wd_api;
    try {
      await db.query(`CREATE TABLE wd_one (id int, owner_id int); CREATE TABLE wd_two (id int, owner_id int); CREATE TABLE wd_other (id int);
        INSERT INTO wd_one VALUES (1, 1), (2, 2); INSERT INTO wd_two VALUES (1, 1), (2, 2);
        GRANT ALL ON wd_one, wd_two, wd_other TO ${quoteIdent(api)}`);
      const held = async (t: string) =>
        (await db.query(`SELECT privilege_type AS p FROM information_schema.role_table_grants WHERE grantee = $1 AND table_name = $2 ORDER BY 1`, [api, t])).rows.map((row) => row.p as string);
      const all = await held('wd_two');
      const access = (grantOnOne: boolean) =>
        defineAccess({
          roles: [existingRole(api, { grants: 'where-declared' })],
          tables: [
            table('wd_one', { policies: own(api), grants: grantOnOne ? [grant(['SELECT', 'DELETE'], { to: api })] : [] }),
            // Policies only: its privileges here are the provider's, left alone (no lockout).
            table('wd_two', { policies: own(api) }),
          ],
        });
      const p = await plan(db.pool, access(true));
      // MAINTAIN exists from PostgreSQL 17 on.
      const maintain = (await db.query(`SELECT current_setting('server_version_num')::int >= 170000 AS has`)).rows[0].has ? ', MAINTAIN' : '';
      expect(p.operations.filter((o) => o.op.kind === 'grant' || o.op.kind === 'revoke').map((o) => o.description)).toEqual([`revoke INSERT, UPDATE, TRUNCATE, REFERENCES, TRIGGER${maintain} on table public.wd_one from ${api}`]);
      expect(p.diagnostics.map((d) => d.code)).not.toContain('POLICY_UNREACHABLE');
      expect(p.diagnostics.map((d) => d.code)).not.toContain('UNMANAGED_GRANT');
      const before = await accessSnapshot(db.pool);
      await runStatements(db.pool, p.up);
      expect(await held('wd_one')).toEqual(['DELETE', 'SELECT']);
      expect(await held('wd_two')).toEqual(all);
      expect(await held('wd_other')).toEqual(all);
      expect((await plan(db.pool, access(true))).isEmpty).toBe(true);
      const seen = await asRole(db.pool, api, { 'app.uid': '2' }, async (c) => ({ one: (await c.query('SELECT id FROM wd_one')).rows, two: (await c.query('DELETE FROM wd_two RETURNING id')).rows }));
      expect(seen).toEqual({ one: [{ id: 2 }], two: [{ id: 2 }] });
      // The documented limit: with its last grant there removed from the declaration, what it holds on wd_one is left as it is
      // (pg-access cannot tell its own grants from the provider's); the plan's downgrade, or grants: 'managed', takes them away.
      expect((await plan(db.pool, access(false))).operations.filter((o) => o.op.kind === 'revoke')).toEqual([]);
      await runStatements(db.pool, p.down);
      expect(await accessSnapshot(db.pool)).toEqual(before);
    } finally {
      await db.query('DROP TABLE wd_one, wd_two, wd_other');
      await r2.drop();
    }
  });
});
