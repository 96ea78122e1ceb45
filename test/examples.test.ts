/**
 * examples/<stack> (issue 12), run as a user runs them: each folder copied
 * into a project of its own, with pg-access installed as built (a fresh
 * build of this checkout, not dist/, which other tests rebuild), then
 * `pg-access generate`, the stack's tool migrating up, the access design
 * checked under SET ROLE, `pg-access check` in sync, the tool migrating
 * down, and `check` reporting the drift.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole, createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess } from './support/run-process.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STACKS = (process.env.EXAMPLES ?? 'drizzle,kysely,prisma,typeorm,mikro-orm').split(',');

let root: string;
let pkg: string;
let r: Awaited<ReturnType<typeof createRoles<'ex_app' | 'ex_reporting'>>>;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  r = await createRoles('ex_app', 'ex_reporting');
  await mkdir(join(repo, '.pg-access-tmp'), { recursive: true });
  // Under the repository, so that every package resolves from its node_modules.
  root = await mkdtemp(join(repo, '.pg-access-tmp', 'examples-'));
  pkg = join(root, 'pg-access');
  await mkdir(join(pkg, 'bin'), { recursive: true });
  await cp(join(repo, 'package.json'), join(pkg, 'package.json'));
  await cp(join(repo, 'bin/pg-access.js'), join(pkg, 'bin/pg-access.js'));
  await build({
    entry: { index: join(repo, 'src/index.ts'), 'integrations/drizzle/index': join(repo, 'src/integrations/drizzle/index.ts'), 'cli/main': join(repo, 'src/cli/main.ts') },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: true,
    outDir: join(pkg, 'dist'),
    silent: true,
    dts: false,
    external: [/^[^./]/],
  });
}, 120_000);
afterAll(async () => {
  for (const d of databases) await d.close();
  await r?.drop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('examples/<stack>: generate, the tool migrates up and down, pg-access judges', () => {
  for (const stack of STACKS) {
    it(stack, async () => {
      const db = await createTestDatabase();
      databases.push(db);
      await db.query(await readFile(join(repo, 'examples', stack, 'setup.sql'), 'utf8'));
      await db.query(`INSERT INTO public.documents (tenant_id, owner_id, title) VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c')`);
      const app = join(root, stack);
      await cp(join(repo, 'examples', stack), app, { recursive: true });
      await mkdir(join(app, 'node_modules'));
      await symlink(pkg, join(app, 'node_modules/pg-access'), 'dir');
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, APP_ROLE: r.ex_app, REPORTING_ROLE: r.ex_reporting };
      for (const key of ['PG_ACCESS_FROM_SOURCE', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'CI']) delete env[key];
      const cli = (...args: string[]) => runNodeProcess(app, [join(pkg, 'bin/pg-access.js'), ...args], env);
      const migrate = async (direction: 'up' | 'down') => {
        const run = await runNodeProcess(app, ['--import', 'tsx', 'migrate.ts', direction], env);
        expect(run.code, `${stack} migrate ${direction}:\n${run.stdout}\n${run.stderr}`).toBe(0);
      };
      const titles = (role: string, settings: Record<string, string>) =>
        asRole(db.pool, role, settings, async (c) => (await c.query('SELECT title FROM public.documents ORDER BY 1')).rows.map((row) => row.title)).catch((e: Error) => e.message);

      const generated = await cli('generate', '--name', 'access');
      expect(generated.code, generated.stderr).toBe(0);
      expect(generated.stdout).toContain('migration "access"');
      expect(await titles(r.ex_app, { 'app.user_id': '1', 'app.tenant_id': '1' })).toBe('permission denied for table documents');

      await migrate('up');
      expect((await cli('check')).code).toBe(0);
      // Own documents, in the tenant; the reporting role reads its tenant, and writes nothing.
      expect(await titles(r.ex_app, { 'app.user_id': '1', 'app.tenant_id': '1' })).toEqual(['a']);
      expect(await titles(r.ex_app, { 'app.user_id': '1', 'app.tenant_id': '2' })).toEqual(['c']);
      expect(await titles(r.ex_reporting, { 'app.tenant_id': '1' })).toEqual(['a', 'b']);
      const write = await asRole(db.pool, r.ex_reporting, { 'app.tenant_id': '1' }, (c) => c.query(`INSERT INTO public.documents (tenant_id, owner_id, title) VALUES (1, 1, 'x')`)).then(() => 'inserted', (e: Error) => e.message);
      expect(write).toBe('permission denied for table documents');

      await migrate('down');
      const drift = await cli('check');
      expect(drift.code).toBe(1);
      expect(drift.stdout).toContain('create policy "tenant_fence" on public.documents');
      expect(await titles(r.ex_app, { 'app.user_id': '1', 'app.tenant_id': '1' })).toBe('permission denied for table documents');
    }, 120_000);
  }
});
