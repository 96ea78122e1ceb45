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
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, plan, pull, type AccessDeclaration } from '../src/index.js';
import { accessSnapshot, type AccessSnapshot } from './support/catalog.js';
import { corpusDir, CORPUS_FILES, loadCorpus, stripAccess } from './support/corpus.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

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

/** The pulled module written as a user would keep it, importing pg-access (here: this checkout's source), then imported. */
async function loadPulled(name: string, source: string): Promise<{ file: string; declaration: AccessDeclaration }> {
  expect(source).toContain(`from 'pg-access';`);
  const file = path.join(root, `${name}.ts`);
  const relative = path.relative(root, path.join(repo, 'src/index.js')).split(path.sep).join('/');
  writeFileSync(file, source.replace(`from 'pg-access';`, `from '${relative}';`));
  const module = (await import(file)) as { default: AccessDeclaration };
  return { file, declaration: module.default };
}

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
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    opened.push(db);
  });

  it('reads only the selected schemas, and names a missing one with the schemas there are', async () => {
    await db.query(`CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id int); CREATE TABLE b.u (id int); ALTER TABLE a.t ENABLE ROW LEVEL SECURITY`);
    const { access } = await pull(db.pool, { schemas: ['a'] });
    expect(access.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['a.t']);
    await expect(pull(db.pool, { schemas: ['nope'] })).rejects.toThrow(/Schema "nope" does not exist .* it has "a", "b", "public"/);
    await expect(pull(db.pool, { schemas: ['a'], schemaz: ['b'] } as never)).rejects.toThrow(/schemaz/);
  });
});
