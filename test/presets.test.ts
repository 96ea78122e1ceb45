/**
 * Provider presets on a Supabase-shaped database (the corpus's shim: the
 * API roles, auth.uid() and auth.jwt() reading the request's claims, plus
 * Supabase's blanket grants and a storage table owned by another role) and
 * on a Neon-shaped one (pg_session_jwt's auth.user_id()): round trip, the
 * roles' other privileges left alone, enforcement as the API roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apply, check, defineAccess, neon, ownerOnly, plan, policy, publicRead, supabase, table } from '../src/index.js';
import { expectCanSee, expectCannotSee, expectDenied, expectRows, withRole } from '../src/testing/index.js';
import { accessSnapshot, runStatements } from './support/catalog.js';
import { runUnderCorpusLock, supabaseShim } from './support/corpus.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

const sb = supabase();
const U1 = '00000000-0000-0000-0000-000000000001';
const U2 = '00000000-0000-0000-0000-000000000002';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await runUnderCorpusLock(
    db,
    `${supabaseShim()}
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_storage_admin') THEN CREATE ROLE supabase_storage_admin NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anonymous') THEN CREATE ROLE anonymous NOLOGIN; END IF;
    END $$;`,
  );
  await db.query(`
    -- Supabase grants the API roles everything on the tables of public (its default privileges), and RLS decides.
    CREATE TABLE todos (id int PRIMARY KEY, user_id uuid NOT NULL, task text, is_public boolean NOT NULL DEFAULT false);
    INSERT INTO todos VALUES (1, '${U1}', 'mine', false), (2, '${U2}', 'theirs', false), (3, '${U2}', 'shared', true);
    GRANT ALL ON todos TO anon, authenticated, service_role;
    CREATE TABLE profiles (id uuid PRIMARY KEY, name text);
    GRANT ALL ON profiles TO anon, authenticated, service_role;
    -- Storage's table: owned by its own role, RLS on, granted to the API roles.
    CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin;
    CREATE TABLE storage.objects (id uuid PRIMARY KEY, bucket_id text, name text, owner uuid, owner_id text);
    ALTER TABLE storage.objects OWNER TO supabase_storage_admin;
    ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
    GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role;
    GRANT ALL ON storage.objects TO anon, authenticated, service_role;
    INSERT INTO storage.objects VALUES ('10000000-0000-0000-0000-000000000001', 'avatars', 'u1.png', '${U1}', '${U1}'), ('10000000-0000-0000-0000-000000000002', 'avatars', 'u2.png', '${U2}', '${U2}');
  `);
});
afterAll(async () => {
  await db?.close();
});

const privileges = async (role: string, table: string) =>
  (await db.query(`SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = $1 AND table_schema || '.' || table_name = $2 ORDER BY 1`, [role, table])).rows.map((r) => r.privilege_type as string);

describe('supabase()', () => {
  const access = () =>
    defineAccess({
      roles: [...sb.roles],
      tables: [
        ownerOnly('todos', { column: 'user_id', ...sb.uid, to: sb.authenticated }),
        publicRead('todos', { where: 'is_public', to: [sb.anon, sb.authenticated], grant: false }),
        ownerOnly(sb.storage.objects, { column: 'owner_id', ...sb.jwt('sub'), to: sb.authenticated, grant: false, name: 'own_files', commands: ['SELECT', 'DELETE'] }),
        table('profiles', { policies: [policy('read_profiles', { for: 'SELECT', to: sb.authenticated, using: `id = ${sb.uidSql}` })] }),
      ],
    });

  it("changes only what is declared: the API roles' other privileges stay Supabase's, storage gets its policies and nothing else", async () => {
    const before = await accessSnapshot(db.pool);
    const p = await plan(db.pool, access());
    const onStorage = p.operations.filter((o) => o.description.includes(' storage.objects'));
    expect(onStorage.map((o) => o.op.kind)).toEqual(['create-policy', 'create-policy']);
    // Nothing is reported about the API roles' grants, and no policy is unreachable (they keep Supabase's privileges).
    expect(p.diagnostics.map((d) => d.code)).toEqual([]);
    await runStatements(db.pool, p.up);
    // Declared where ownerOnly grants: exactly its four commands for authenticated on todos; Supabase's ALL elsewhere.
    expect(await privileges('authenticated', 'public.todos')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    expect(await privileges('anon', 'public.todos')).toEqual(['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE']);
    expect(await privileges('authenticated', 'public.profiles')).toEqual(['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE']);
    expect(await privileges('authenticated', 'storage.objects')).toEqual(['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE']);
    expect((await plan(db.pool, access())).operations.map((o) => o.description)).toEqual([]);
    const after = await accessSnapshot(db.pool);
    await runStatements(db.pool, p.down);
    expect(await accessSnapshot(db.pool)).toEqual(before);
    await runStatements(db.pool, p.up);
    expect(await accessSnapshot(db.pool)).toEqual(after);
  });

  it('is enforced as the API roles with the request claims PostgREST sets', async () => {
    await withRole(db.pool, sb.authenticated, { settings: sb.settings({ sub: U1, role: 'authenticated' }) }, async (tx) => {
      await expectRows(tx, 'todos').toEqual([{ id: 1 }, { id: 3 }]);
      await expectDenied(tx, `INSERT INTO todos VALUES (4, '${U2}', 'for them')`);
      await expectRows(tx, sb.storage.objects).toEqual([{ name: 'u1.png' }]);
      await expectCannotSee(tx, 'storage.objects', { name: 'u2.png' });
    });
    await withRole(db.pool, sb.anon, async (tx) => {
      await expectRows(tx, 'todos').toEqual([{ id: 3 }]);
      await expectCannotSee(tx, sb.storage.objects, { bucket_id: 'avatars' });
    });
    // service_role bypasses RLS on Supabase (the shim gives it BYPASSRLS when run by a superuser).
    await withRole(db.pool, sb.serviceRole, async (tx) => {
      await expectCanSee(tx, 'todos', { id: 2 });
    });
  });

  it("storage's tables are declared without owning them: plan and check need no ownership; apply needs only membership in Storage's owner role", async () => {
    const r = await createRoles('sb_planner', 'sb_deployer');
    try {
      await db.admin.query(`ALTER ROLE ${quoteIdent(r.sb_planner)} LOGIN; ALTER ROLE ${quoteIdent(r.sb_deployer)} LOGIN; GRANT supabase_storage_admin TO ${quoteIdent(r.sb_deployer)}`);
      // Both read the schemas the policies name (the planner checks the expressions, as PostgreSQL would create them).
      await db.query(`GRANT USAGE ON SCHEMA storage, auth TO ${quoteIdent(r.sb_planner)}, ${quoteIdent(r.sb_deployer)}`);
      // storage.objects' whole policy set: the files policies of the declaration above, and one more.
      const storageOnly = defineAccess({
        roles: [...sb.roles],
        tables: [
          ownerOnly(sb.storage.objects, { column: 'owner_id', ...sb.jwt('sub'), to: sb.authenticated, grant: false, name: 'own_files', commands: ['SELECT', 'DELETE'] }),
          ownerOnly(sb.storage.objects, { column: 'owner_id', ...sb.jwt('sub'), to: sb.authenticated, grant: false, name: 'own_avatars', commands: ['UPDATE'] }),
        ],
      });
      const as = async (role: string) => {
        const url = new URL(db.url);
        url.username = role;
        url.password = '';
        const client = new pg.Client({ connectionString: url.toString() });
        await client.connect();
        return client;
      };
      const planner = await as(r.sb_planner);
      try {
        const p = await plan(planner, storageOnly);
        expect(p.operations.map((o) => o.description)).toContain('create policy "own_avatars_update" on storage.objects');
        expect(p.operations.filter((o) => o.op.kind !== 'create-policy' || !o.description.endsWith(' on storage.objects'))).toEqual([]);
        await expect(apply(planner, storageOnly)).rejects.toThrow(/must be owner of table objects/);
      } finally {
        await planner.end();
      }
      const deployer = await as(r.sb_deployer);
      try {
        await apply(deployer, storageOnly);
        expect((await check(deployer, storageOnly)).inSync).toBe(true);
      } finally {
        await deployer.end();
      }
      await db.query('DROP POLICY own_avatars_update ON storage.objects');
    } finally {
      await db.query(`REVOKE ALL ON SCHEMA storage, auth FROM ${quoteIdent(r.sb_planner)}, ${quoteIdent(r.sb_deployer)}`);
      await r.drop();
    }
  });

  it("with grants: 'managed', the API roles' privileges on declared tables are exactly the declared ones (and the plan warns about what that leaves unreachable)", async () => {
    const managed = supabase({ grants: 'managed' });
    const p = await plan(db.pool, defineAccess({ roles: [...managed.roles], tables: [table('profiles', { policies: [policy('read_profiles', { for: 'SELECT', to: managed.authenticated, using: `id = ${managed.uidSql}` })] })] }));
    expect(p.operations.filter((o) => o.op.kind === 'revoke').length).toBeGreaterThan(0);
    expect(p.diagnostics.map((d) => d.code)).toContain('POLICY_UNREACHABLE');
  });
});

describe('neon()', () => {
  const nn = neon();
  it('declares against auth.user_id() for the Data API roles; round trip and enforcement', async () => {
    await db.query(`
      CREATE OR REPLACE FUNCTION auth.user_id() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub' $f$;
      GRANT EXECUTE ON FUNCTION auth.user_id() TO authenticated, anonymous;
      GRANT USAGE ON SCHEMA auth TO anonymous;
      CREATE TABLE notes (id int PRIMARY KEY, user_id text NOT NULL);
      INSERT INTO notes VALUES (1, 'user_1'), (2, 'user_2');
    `);
    const access = defineAccess({ roles: [...nn.roles], tables: [ownerOnly('notes', { column: 'user_id', ...nn.uid, to: nn.authenticated }), publicRead('notes', { where: 'false', to: nn.anonymous, name: 'nothing_for_anonymous' })] });
    const before = await accessSnapshot(db.pool);
    const p = await plan(db.pool, access);
    await runStatements(db.pool, p.up);
    expect((await plan(db.pool, access)).operations).toEqual([]);
    await withRole(db.pool, nn.authenticated, { settings: { 'request.jwt.claims': JSON.stringify({ sub: 'user_2' }) } }, async (tx) => {
      await expectRows(tx, 'notes').toEqual([{ id: 2 }]);
    });
    await withRole(db.pool, nn.anonymous, async (tx) => {
      await expectRows(tx, 'notes').toHaveCount(0);
    });
    await runStatements(db.pool, p.down);
    expect(await accessSnapshot(db.pool)).toEqual(before);
  });
});
