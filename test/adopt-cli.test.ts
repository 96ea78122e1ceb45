/**
 * `pg-access pull` and `pg-access audit` through the CLI, as a child process
 * (as cli.test.ts runs the other commands): printing, writing a file, never
 * replacing a file it did not write, errors as exit codes, `plan` on the
 * pulled module; the audit's text, Markdown and JSON.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess, type ProcessRun } from './support/run-process.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
const bin = path.join(repo, 'bin/pg-access.js');
const root = path.join(repo, '.pg-access-tmp', `adopt-cli-${randomBytes(4).toString('hex')}`);

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'pc_app'>>>;
let folders = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('pc_app');
  await db.query(`CREATE SCHEMA app; CREATE TABLE app.docs (id int PRIMARY KEY, owner_id int NOT NULL);
    ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
    CREATE POLICY owner_reads ON app.docs FOR SELECT TO ${quoteIdent(r.pc_app)} USING (owner_id = current_setting('app.user_id')::int);
    GRANT USAGE ON SCHEMA app TO ${quoteIdent(r.pc_app)}; GRANT SELECT ON app.docs TO ${quoteIdent(r.pc_app)}`);
  mkdirSync(root, { recursive: true });
});
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await db?.close();
  await r?.drop();
});

function folder(): string {
  const dir = path.join(root, `f${++folders}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function run(cwd: string, args: string[]): Promise<ProcessRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, PG_ACCESS_FROM_SOURCE: '1' };
  for (const key of ['DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'CI']) delete env[key];
  return runNodeProcess(cwd, [bin, ...args], env);
}

/** A relative import of this checkout's source, standing in for the installed 'pg-access'. */
function importOf(dir: string, file: string): string {
  return JSON.stringify(path.relative(dir, path.join(repo, file)).split(path.sep).join('/'));
}

describe('pg-access pull', () => {
  it('prints the module without a config, and plan on the written module finds nothing to do', async () => {
    const dir = folder();
    const printed = await run(dir, ['pull', '--url', db.url, '--schema', 'app']);
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^\/\/ Written by `pg-access pull`/);
    expect(printed.stdout).toContain(`policy('owner_reads', { for: 'SELECT', to: '${r.pc_app}', using: "(owner_id = (current_setting('app.user_id'::text))::integer)" })`);

    const wrote = await run(dir, ['pull', '--url', db.url, '--schema', 'app', '-o', 'src/access.ts']);
    expect(wrote.code).toBe(0);
    expect(wrote.stdout).toContain('Wrote src/access.ts: 1 table, 1 policy, 1 role from 1 schema (app).');
    const written = readFileSync(path.join(dir, 'src/access.ts'), 'utf8');
    expect(written).toBe(printed.stdout);
    expect(existsSync(path.join(dir, 'src'))).toBe(true);

    // As the user's project would have it: the config names the module, which imports pg-access.
    writeFileSync(path.join(dir, 'src/access.ts'), written.replace(`from 'pg-access';`, `from ${importOf(path.join(dir, 'src'), 'src/index.ts')};`));
    writeFileSync(path.join(dir, 'pg-access.config.ts'), `export default { access: './src/access.ts', url: ${JSON.stringify(db.url)} };\n`);
    const planned = await run(dir, ['plan']);
    expect(planned.stderr).toBe('');
    expect(planned.stdout).toBe('No changes: the database matches the access declaration.\n');
    expect(planned.code).toBe(0);

    // The config gives the connection when there is one.
    const viaConfig = await run(dir, ['pull', '--schema', 'app']);
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.stdout).toBe(printed.stdout);
  });

  it('replaces a module it wrote, never one it did not (unless --force)', async () => {
    const dir = folder();
    expect((await run(dir, ['pull', '--url', db.url, '-o', 'access.ts'])).code).toBe(0);
    expect((await run(dir, ['pull', '--url', db.url, '-o', 'access.ts'])).code).toBe(0);

    writeFileSync(path.join(dir, 'mine.ts'), '// written by hand\n');
    const refused = await run(dir, ['pull', '--url', db.url, '-o', 'mine.ts']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('pg-access: error: mine.ts exists and was not written by pg-access pull; it is left as it is. Pull into another file and merge by hand, or pass --force to replace it.\n');
    expect(readFileSync(path.join(dir, 'mine.ts'), 'utf8')).toBe('// written by hand\n');

    expect((await run(dir, ['pull', '--url', db.url, '-o', 'mine.ts', '--force'])).code).toBe(0);
    expect(readFileSync(path.join(dir, 'mine.ts'), 'utf8')).toMatch(/^\/\/ Written by `pg-access pull`/);
  });

  it('errors are exit code 2 with a sentence, never a stack', async () => {
    const dir = folder();
    const missing = await run(dir, ['pull', '--url', db.url, '--schema', 'app', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`pg-access: error: Schema "nope" does not exist in database "${db.name}"; it has "app", "public".\n`);
    const typo = await run(dir, ['pull', '--url', db.url, '--shema', 'app']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("pg-access: error: unknown option '--shema'\n(Did you mean --schema?)");
    const noUrl = await run(dir, ['pull']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/^pg-access: error: No database to connect to\./);
  });
});

describe('pg-access audit', () => {
  it('prints the matrix as text, Markdown and JSON, filtered by role and table; a filter naming nothing is an error', async () => {
    const dir = folder();
    const text = await run(dir, ['audit', '--url', db.url, '--schema', 'app', '--role', r.pc_app, 'public']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Effective access in database "${db.name}" (schemas: app): 1 role and PUBLIC, 1 relation`);
    expect(text.stdout).toMatch(new RegExp(`  ${r.pc_app}  rows +- +- +- +-\\n`));
    expect(text.stdout).toContain(`    ${r.pc_app} SELECT: rows where (owner_id = (current_setting('app.user_id'::text))::integer)\n`);

    const markdown = await run(dir, ['audit', '--url', db.url, '--schema', 'app', '--markdown']);
    expect(markdown.stdout).toContain(`| ${r.pc_app.replaceAll('_', '\\_')} | rows | - | - | - | - |`);

    const json = await run(dir, ['audit', '--url', db.url, '--schema', 'app', '--table', 'docs', '--json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.version).toBe(1);
    expect(parsed.access.find((c: { role: string; command: string }) => c.role === r.pc_app && c.command === 'SELECT')).toMatchObject({
      access: 'filtered',
      policies: ['owner_reads'],
      using: "(owner_id = (current_setting('app.user_id'::text))::integer)",
    });

    const unknown = await run(dir, ['audit', '--url', db.url, '--table', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('pg-access: error: --table "nope": no such table or view in the audited schemas (app, public).\n');
    const both = await run(dir, ['audit', '--url', db.url, '--json', '--markdown']);
    expect(both.code).toBe(2);
  });
});

describe('pg-access check --fail-on widen', () => {
  /** A project whose declaration of app.docs keeps the policy and grants SELECT (`narrow`: no grant) or also DELETE (`widen`). */
  function projectFor(variant: 'narrow' | 'widen'): string {
    const dir = folder();
    const grants = variant === 'widen' ? `grant(['SELECT', 'DELETE'], { to: app })` : '';
    writeFileSync(
      path.join(dir, 'access.ts'),
      `import { defineAccess, grant, policy, schema, table } from ${importOf(dir, 'src/index.ts')};\n` +
        `const app = ${JSON.stringify(r.pc_app)};\n` +
        `export default defineAccess({ roles: [app], schemas: [schema('app', { grants: [grant('USAGE', { to: app })] })], tables: [table('app.docs', {\n` +
        `  rls: true, policies: [policy('owner_reads', { for: 'SELECT', to: app, using: "owner_id = current_setting('app.user_id')::int" })], grants: [${grants}] })] });\n`,
    );
    writeFileSync(path.join(dir, 'pg-access.config.ts'), `export default { access: './access.ts', url: ${JSON.stringify(db.url)} };\n`);
    return dir;
  }

  it('exits 0 for drift that only narrows access, 1 for drift that widens it, naming who gains what', async () => {
    const narrowing = await run(projectFor('narrow'), ['check', '--fail-on', 'widen']);
    expect(narrowing.stdout).toContain('Access impact (0 widened, 0 changed, 1 narrowed):');
    expect(narrowing.stdout).toContain(`${r.pc_app} can no longer SELECT on app.docs`);
    expect(narrowing.code).toBe(0);
    // The same drift fails a plain check.
    expect((await run(projectFor('narrow'), ['check'])).code).toBe(1);

    const widening = await run(projectFor('widen'), ['check', '--fail-on', 'widen']);
    expect(widening.stdout).toContain(`+ widened   ${r.pc_app} can now DELETE on app.docs: no rows`);
    expect(widening.code).toBe(1);
    const typo = await run(projectFor('widen'), ['check', '--fail-on', 'widdle']);
    expect(typo.code).toBe(2);
  });
});

describe('pg-access audit --diff', () => {
  it('prints what changed in effective access since an earlier audit --json, and refuses a file that is not one', async () => {
    const dir = folder();
    const earlier = await run(dir, ['audit', '--url', db.url, '--schema', 'app', '--json']);
    writeFileSync(path.join(dir, 'before.json'), earlier.stdout);
    expect((await run(dir, ['audit', '--url', db.url, '--schema', 'app', '--diff', 'before.json'])).stdout).toBe('No change in effective access since before.json.\n');
    await db.query(`GRANT DELETE ON app.docs TO ${quoteIdent(r.pc_app)}`);
    try {
      const diff = await run(dir, ['audit', '--url', db.url, '--schema', 'app', '--diff', 'before.json']);
      expect(diff.code).toBe(0);
      expect(diff.stdout).toBe(`Changes since before.json (1 widened, 0 changed, 0 narrowed):\n  + widened   ${r.pc_app} can now DELETE on app.docs: no rows\n\n`);
    } finally {
      await db.query(`REVOKE DELETE ON app.docs FROM ${quoteIdent(r.pc_app)}`);
    }
    writeFileSync(path.join(dir, 'other.json'), '{"version": 2}');
    const refused = await run(dir, ['audit', '--url', db.url, '--diff', 'other.json']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('pg-access: error: --diff other.json: not an audit of version 1 (pg-access audit --json writes one).\n');
  });
});

describe('pg-access pull --drizzle', () => {
  it('writes the tables a Drizzle schema module exports by their names, imported from it, and plans empty', async () => {
    const dir = folder();
    mkdirSync(path.join(dir, 'src/db'), { recursive: true });
    // The Drizzle table declares one policy itself: it comes with the table and is not written again.
    writeFileSync(
      path.join(dir, 'src/db/schema.ts'),
      `import { integer, pgPolicy, pgSchema } from 'drizzle-orm/pg-core';\nimport { sql } from 'drizzle-orm';\n` +
        `export const docs = pgSchema('app').table('docs', { id: integer('id').primaryKey(), ownerId: integer('owner_id').notNull() }, () => [\n` +
        `  pgPolicy('owner_reads', { for: 'select', to: ${JSON.stringify(r.pc_app)}, using: sql\`owner_id = current_setting('app.user_id')::int\` }),\n]);\n` +
        `export const notATable = 42;\n`,
    );
    const pulled = await run(dir, ['pull', '--url', db.url, '--schema', 'app', '--drizzle', 'src/db/schema.ts', '-o', 'src/access.ts']);
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    const source = readFileSync(path.join(dir, 'src/access.ts'), 'utf8');
    expect(source).toContain(`import { docs } from './db/schema';\n`);
    expect(source).toContain(`    table(docs, {\n      rls: true,\n      grants: [grant('SELECT', { to: '${r.pc_app}' })],\n    }),`);
    expect(source).not.toContain('owner_reads');

    writeFileSync(path.join(dir, 'src/access.ts'), source.replace(`from 'pg-access';`, `from ${importOf(path.join(dir, 'src'), 'src/index.ts')};`));
    writeFileSync(path.join(dir, 'pg-access.config.ts'), `export default { access: './src/access.ts', url: ${JSON.stringify(db.url)} };\n`);
    const planned = await run(dir, ['plan']);
    expect(planned.stderr).toBe('');
    expect(planned.stdout).toBe('No changes: the database matches the access declaration.\n');

    const empty = await run(dir, ['pull', '--url', db.url, '--drizzle', 'pg-access.config.ts']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('pg-access: error: --drizzle pg-access.config.ts exports no Drizzle table (pgTable(...)); point it at the module that defines your tables.\n');
  });
});
