/**
 * `pull` (issue 11) on the corpus: real access-control schemas nobody here
 * wrote (../shared/corpus), read at run time.
 *
 * For each schema: the pulled module type-checks (tsc, strict, against the
 * package's own types), loads, and plans empty against the database it was
 * pulled from; pulling again writes the same text; applying it to a copy
 * stripped of every access statement (policies, RLS flags, table, column,
 * sequence, schema, routine and database grants, default privileges)
 * recreates the original's catalogs, read by an independent query
 * (support/catalog) with NULL ACLs read as the defaults they stand for.
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, plan, pull } from '../src/index.js';
import { accessSnapshot, type AccessSnapshot } from './support/catalog.js';
import { corpusDir, CORPUS_FILES, loadCorpus, stripAccess } from './support/corpus.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { loadPulledModule } from './support/pulled-module.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
const root = path.join(repo, '.pg-access-tmp', `pull-${randomBytes(4).toString('hex')}`);
const opened: TestDatabase[] = [];

beforeAll(() => mkdirSync(root, { recursive: true }));
afterAll(async () => {
  for (const db of opened) await db.close();
  rmSync(root, { recursive: true, force: true });
});

async function corpusDatabase(file: string): Promise<TestDatabase> {
  const db = await loadCorpus(file);
  opened.push(db);
  return db;
}

const loadPulled = (name: string, source: string) => loadPulledModule(root, name, source);

/** tsc --noEmit, strict, on the given files (one run for all: a compiler start takes seconds). */
function typeCheck(files: readonly string[]): string {
  const config = path.join(root, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, types: [] },
      files: files.map((f) => path.basename(f)),
    }),
  );
  const run = spawnSync(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', config], { encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`.trim() + (run.status === 0 ? '' : `\n(exit ${run.status})`);
}

/**
 * The snapshot as effective privileges: a role's grant to itself in a
 * schema's default privileges (pg_dump writes them, as Supabase's dumps
 * show) adds nothing when its global default privileges already give it
 * that privilege (without a global row, PostgreSQL's built-in defaults give
 * the owner everything); pg-access neither reads nor writes it.
 */
function effective(snapshot: AccessSnapshot): AccessSnapshot {
  const global = new Map(snapshot.defaultAcls.filter((d) => d.key.split('|')[1] === '-').map((d) => [d.key, d.acl]));
  const defaultAcls = snapshot.defaultAcls.flatMap(({ key, acl }) => {
    const [role, schema, type] = key.split('|');
    if (schema === '-') return [{ key, acl }];
    const ownerHolds = (privilege: string) => {
      const row = global.get(`${role}|-|${type}`);
      return row === undefined || row.includes(`${role}:${privilege}`) || row.includes(`${role}:${privilege}*`);
    };
    const kept = acl.filter((entry) => !(entry.startsWith(`${role}:`) && !entry.endsWith('*') && ownerHolds(entry.slice(role!.length + 1))));
    return kept.length ? [{ key, acl: kept }] : [];
  });
  return { ...snapshot, defaultAcls };
}

describe.skipIf(!existsSync(corpusDir))('pull on the corpus', () => {
  const written: string[] = [];

  for (const file of CORPUS_FILES) {
    it(`${file}: the pulled declaration plans empty, is pulled again identically, and recreates a stripped copy`, async () => {
      const original = await corpusDatabase(file);
      const { source } = await pull(original.pool);
      const { file: moduleFile, declaration } = await loadPulled(path.basename(file, '.sql'), source);
      written.push(moduleFile);

      const planned = await plan(original.pool, declaration);
      expect(planned.operations.map((o) => o.description)).toEqual([]);
      expect((await pull(original.pool)).source).toBe(source);

      const expected = effective(await accessSnapshot(original.pool));
      const copy = await corpusDatabase(file);
      await stripAccess(copy);
      expect((await accessSnapshot(copy.pool)).policies).toEqual([]);
      await apply(copy.pool, declaration);
      expect(effective(await accessSnapshot(copy.pool))).toEqual(expected);
      expect((await plan(copy.pool, declaration)).isEmpty).toBe(true);
    });
  }

  it('every pulled module type-checks against the package types (strict)', () => {
    expect(written.length).toBe(CORPUS_FILES.length);
    expect(typeCheck(written)).toBe('');
  });
});

describe('pull on a small database', () => {
  let r: Awaited<ReturnType<typeof createRoles<'pl_app' | 'pl_group' | 'pl_other' | 'pl_owner' | 'pl_login'>>>;
  beforeAll(async () => {
    r = await createRoles('pl_app', 'pl_group', 'pl_other', 'pl_owner', 'pl_login');
  });
  afterAll(async () => {
    for (const db of opened.splice(0)) await db.close();
    await r.drop();
  });

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    opened.push(db);
    return db;
  }

  /** Pulls, loads the module, and returns it with the plan it makes against the same database. */
  async function pullAndPlan(db: TestDatabase, name: string, options: Parameters<typeof pull>[1] = {}) {
    const pulled = await pull(db.pool, options);
    const { declaration } = await loadPulled(name, pulled.source);
    const planned = await plan(db.pool, declaration);
    return { pulled, declaration, planned };
  }

  it('reads only the selected schemas, names a missing one with the schemas there are, and refuses an unknown option', async () => {
    const db = await database();
    await db.query(`CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id int); CREATE TABLE b.u (id int); ALTER TABLE a.t ENABLE ROW LEVEL SECURITY`);
    const { access } = await pull(db.pool, { schemas: ['a'] });
    expect(access.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['a.t']);
    await expect(pull(db.pool, { schemas: ['nope'] })).rejects.toThrow(/Schema "nope" does not exist in database "pga_\w+"; it has "a", "b", "public"\./);
    await expect(pull(db.pool, { schemas: ['a'], schemaz: ['b'] } as never)).rejects.toThrow(/schemaz/);
    await expect(pull(db.pool, { manageRoles: 'yes' } as never)).rejects.toThrow(/manageRoles/);
  });

  it('writes names and texts that need quoting exactly: quotes, dots, spaces, capitals, unicode, backticks, ${ and backslashes', async () => {
    const db = await database();
    await db.query(`CREATE SCHEMA "Sch.ema ü"; CREATE TABLE "Sch.ema ü"."we""ird ${'`'}t" (id int, "Owner Id" int, note text);
      ALTER TABLE "Sch.ema ü"."we""ird ${'`'}t" ENABLE ROW LEVEL SECURITY;
      CREATE POLICY "it's ${'${'}x}" ON "Sch.ema ü"."we""ird ${'`'}t" FOR SELECT TO ${quoteIdent(r.pl_app)}
        USING (note <> E'back\\\\slash ${'`'}tick${'`'} ${'${'}y}' AND "Owner Id" = 1);
      CREATE POLICY multi ON "Sch.ema ü"."we""ird ${'`'}t" FOR UPDATE USING (EXISTS (SELECT 1 FROM "Sch.ema ü"."we""ird ${'`'}t" x WHERE x.id = 1));
      GRANT SELECT, UPDATE ON "Sch.ema ü"."we""ird ${'`'}t" TO ${quoteIdent(r.pl_app)}; GRANT USAGE ON SCHEMA "Sch.ema ü" TO ${quoteIdent(r.pl_app)}`);
    const before = await accessSnapshot(db.pool);
    const { planned, pulled } = await pullAndPlan(db, 'hostile');
    expect(planned.operations.map((o) => o.description)).toEqual([]);
    expect(pulled.access.tables[0]!.policies.map((p) => p.using)).toEqual([
      `((note <> 'back\\slash \`tick\` \${y}'::text) AND ("Owner Id" = 1))`,
      expect.stringContaining('EXISTS ('),
    ]);
    expect(await accessSnapshot(db.pool)).toEqual(before);
  });

  it("declares a named role's memberships whole (naming the groups), and with manageRoles declares attributes; both plan empty", async () => {
    const db = await database();
    await db.query(`GRANT ${quoteIdent(r.pl_group)} TO ${quoteIdent(r.pl_app)} WITH ADMIN OPTION; GRANT ${quoteIdent(r.pl_other)} TO ${quoteIdent(r.pl_app)};
      ALTER ROLE ${quoteIdent(r.pl_login)} LOGIN CONNECTION LIMIT 3 BYPASSRLS;
      CREATE TABLE t (id int); GRANT SELECT ON t TO ${quoteIdent(r.pl_app)}, ${quoteIdent(r.pl_login)}; GRANT INSERT ON t TO ${quoteIdent(r.pl_group)}`);
    const existing = await pullAndPlan(db, 'memberships');
    expect(existing.planned.operations.map((o) => o.description)).toEqual([]);
    expect(existing.pulled.source).toContain(`existingRole('${r.pl_app}', { inRoles: [{ role: '${r.pl_group}', admin: true }, '${r.pl_other}'] })`);
    const managed = await pullAndPlan(db, 'managed', { manageRoles: true });
    expect(managed.planned.operations.map((o) => o.description)).toEqual([]);
    expect(managed.pulled.source).toContain(`role('${r.pl_login}', { login: true, bypassRls: true, connectionLimit: 3 })`);
    // role() manages every membership of the role: the one to a group no grant names is declared, so applying keeps it.
    await apply(db.pool, managed.declaration);
    const { rows } = await db.query(`SELECT pg_has_role($1, $2, 'MEMBER') AS member`, [r.pl_app, r.pl_other]);
    expect(rows[0].member).toBe(true);
  });

  it('warns about what a declaration cannot say: an owner that revoked its own privileges, FORCE without RLS', async () => {
    const db = await database();
    await db.query(`CREATE TABLE forced (id int); ALTER TABLE forced FORCE ROW LEVEL SECURITY;
      CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO ${quoteIdent(r.pl_owner)}; REVOKE UPDATE, DELETE ON owned FROM ${quoteIdent(r.pl_owner)};
      GRANT SELECT ON owned TO ${quoteIdent(r.pl_app)}; ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(r.pl_owner)} REVOKE TRUNCATE ON TABLES FROM ${quoteIdent(r.pl_owner)}`);
    const { pulled, planned } = await pullAndPlan(db, 'owner');
    expect(planned.isEmpty).toBe(true);
    expect(pulled.diagnostics.map((d) => [d.code, d.subject])).toEqual([
      ['RLS_FORCED_NOT_PULLED', '"public"."forced"'],
      ['OWNER_PRIVILEGES_NOT_PULLED', `default privileges of ${quoteIdent(r.pl_owner)}`],
      ['OWNER_PRIVILEGES_NOT_PULLED', 'table public.owned'],
    ]);
    expect(pulled.diagnostics[2]!.message).toContain('DELETE, UPDATE');
    // What the warning says: the owner really cannot update.
    await expect(db.query(`SET ROLE ${quoteIdent(r.pl_owner)}; UPDATE owned SET id = 1; RESET ROLE`)).rejects.toThrow(/permission denied/);
    await db.query('RESET ROLE');
  });

  it('is read-only and safe on production: as a role that owns nothing, beside sessions holding EXCLUSIVE locks, and retryable behind ACCESS EXCLUSIVE', async () => {
    const db = await database();
    await db.admin.query(`ALTER ROLE ${quoteIdent(r.pl_login)} LOGIN`);
    await db.query(`CREATE TABLE docs (id int, owner_id int); CREATE TABLE members (user_id int);
      ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
      CREATE POLICY member ON docs FOR SELECT TO ${quoteIdent(r.pl_app)} USING (EXISTS (SELECT 1 FROM members m WHERE m.user_id = docs.owner_id));
      GRANT SELECT ON docs TO ${quoteIdent(r.pl_app)}`);
    const expected = (await pull(db.pool)).source;
    const url = new URL(db.url);
    url.username = r.pl_login;
    const checker = new pg.Client({ connectionString: url.toString() });
    const holder = await db.pool.connect();
    await checker.connect();
    try {
      // EXCLUSIVE conflicts with every lock but ACCESS SHARE: pull completes only if it takes nothing stronger.
      await holder.query('BEGIN; LOCK TABLE docs, members IN EXCLUSIVE MODE');
      expect((await pull(checker, { lockTimeoutMs: 2000 })).source).toBe(expected);
      await holder.query('ROLLBACK; BEGIN; LOCK TABLE docs IN ACCESS EXCLUSIVE MODE');
      await expect(pull(checker, { lockTimeoutMs: 200 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await checker.end();
    }
  });
});
