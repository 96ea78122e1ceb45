/**
 * Migration formats run by their own tools (issue 12): each writes a
 * migration of a plan, the real tool migrates up and down against real
 * PostgreSQL, and pg-access judges the result: in sync after up (with the
 * policy enforced under SET ROLE), and after down exactly the drift the plan
 * had. The declaration's names and texts hold backticks, `${`, backslashes
 * and line breaks, which code-based formats must carry as data.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, defineAccess, grant, plan, policy, table, type Plan } from '../src/index.js';
import { jsTemplateLiteral } from '../src/render/migration/js-literal.js';
import { commitMigration } from '../src/render/migration/migration-writer.js';
import { migrationFormats, registerMigrationWriter, writeMigration } from '../src/render/migration/write-migration.js';
import { asRole, createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess } from './support/run-process.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository (gitignored), so that migration modules resolve kysely, pg and the tools from its node_modules.
const tmpRoot = join(repo, '.pg-access-tmp');
const now = new Date('2026-01-02T03:04:05Z');
const HOSTILE = 'own `${process.exit(7)}` \\ \'x\'\nnext line';

let r: Awaited<ReturnType<typeof createRoles<'mf_app'>>>;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  r = await createRoles('mf_app');
  await mkdir(tmpRoot, { recursive: true });
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await r?.drop();
});

async function folder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpRoot, `${prefix}-`));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A database with public.docs (three rows, owners 1-3) and the declaration to migrate to. */
async function docsDatabase(): Promise<{ db: TestDatabase; access: ReturnType<typeof defineAccess>; planned: Plan }> {
  const db = await createTestDatabase();
  cleanup.push(() => db.close());
  await db.query(`CREATE TABLE public.docs (id serial PRIMARY KEY, owner int NOT NULL, body text); INSERT INTO public.docs (owner, body) VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
  const access = defineAccess({
    roles: [r.mf_app],
    tables: [
      table('public.docs', {
        rls: true,
        grants: [grant(['SELECT', 'INSERT'], { to: r.mf_app })],
        policies: [
          policy(HOSTILE, { for: 'SELECT', to: r.mf_app, using: "owner = (SELECT current_setting('app.uid')::int) AND body <> '`${x}\\\\' AND body <> 'who?' AND body <> E'\\\\?'" }),
          policy('writes', { for: 'INSERT', to: r.mf_app, withCheck: "owner = (SELECT current_setting('app.uid')::int)" }),
        ],
      }),
    ],
  });
  return { db, access, planned: await plan(db.pool, access) };
}

async function seenByApp(db: TestDatabase): Promise<number | string> {
  return asRole(db.pool, r.mf_app, { 'app.uid': '1' }, async (c) => Number((await c.query('SELECT count(*) AS n FROM public.docs')).rows[0].n)).catch((e: Error) => e.message);
}

/** After up: in sync, and the policy enforced. After down: the drift the plan had, operation for operation. */
async function expectUpThenDown(db: TestDatabase, access: ReturnType<typeof defineAccess>, planned: Plan, up: () => Promise<void>, down: () => Promise<void>): Promise<void> {
  expect(await seenByApp(db)).toBe('permission denied for table docs');
  await up();
  const afterUp = await check(db.pool, access);
  expect(afterUp.inSync, afterUp.report).toBe(true);
  expect(await seenByApp(db)).toBe(1);
  await down();
  expect((await plan(db.pool, access)).operations.map((o) => o.description)).toEqual(planned.operations.map((o) => o.description));
  expect(await seenByApp(db)).toBe('permission denied for table docs');
}

describe('the writer registry', () => {
  it('lists the built-in formats; a new one can be registered once; an unknown one is an error naming the choices', async () => {
    expect(migrationFormats().slice(0, 3)).toEqual(['sql', 'drizzle', 'kysely']);
    const custom = { format: 'test-statements', summary: 'the up statements as JSON', files: async (m: { name: string; up: { statements: readonly string[] } }) => [{ path: `${m.name}.json`, text: JSON.stringify(m.up.statements) }] };
    registerMigrationWriter(custom);
    expect(() => registerMigrationWriter(custom)).toThrow(/already registered/);
    const { planned } = await docsDatabase();
    const out = await folder('custom');
    const { files } = await writeMigration('test-statements', { outDir: out, name: 'docs', plan: planned, now });
    expect(JSON.parse(await readFile(files[0]!, 'utf8'))).toEqual(planned.up);
    await expect(writeMigration('yaml', { outDir: out, name: 'docs', plan: planned, now })).rejects.toMatchObject({ code: 'UNKNOWN_MIGRATION_FORMAT', message: expect.stringContaining("'sql', 'drizzle', 'kysely'") });
  });

  it('commits new files before the index, never over an existing file, never outside the folder', async () => {
    const out = await folder('commit');
    await commitMigration(out, [{ path: 'a.sql', text: 'a' }, { path: 'meta/index.json', text: '1', index: true }]);
    await expect(commitMigration(out, [{ path: 'b.sql', text: 'b' }, { path: 'a.sql', text: 'changed' }])).rejects.toMatchObject({ code: 'MIGRATION_EXISTS' });
    // Refused before anything was written.
    expect(await readdir(out)).toEqual(['a.sql', 'meta']);
    await commitMigration(out, [{ path: 'b.sql', text: 'b' }, { path: 'meta/index.json', text: '2', index: true }]);
    expect([await readFile(join(out, 'a.sql'), 'utf8'), await readFile(join(out, 'meta/index.json'), 'utf8')]).toEqual(['a', '2']);
    await expect(commitMigration(out, [{ path: '../escape.sql', text: 'x' }])).rejects.toMatchObject({ code: 'INVALID_MIGRATION_PATH' });
  });
});

describe('SQL in JavaScript and TypeScript template literals', () => {
  it('reads back exactly, whatever the SQL holds', async () => {
    const hostile = [
      'SELECT `a` ${b} \\ \\\\ $ {c} $${d}',
      "CREATE POLICY \"x`\" ON t USING (body = E'\\\\n' AND body <> '${process.exit(1)}')",
      'line\r\nbreaks\u2028and\u2029separators\u0000nul\u0007bell\ttab',
      'lone \ud800 surrogate, pair \ud83d\ude00, trailing backslash \\',
    ];
    const dir = await folder('literal');
    await writeFile(join(dir, 'literals.mjs'), `export default [${hostile.map(jsTemplateLiteral).join(', ')}];\n`);
    const run = await runNodeProcess(dir, ['--input-type=module', '-e', `import v from './literals.mjs'; process.stdout.write(JSON.stringify(v));`], process.env);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(hostile);
  });
});

describe('kysely: Migrator with FileMigrationProvider', () => {
  it('migrates up (in sync, enforced) and down (the planned drift) with the real Migrator', async () => {
    const { db, access, planned } = await docsDatabase();
    const out = await folder('kysely');
    const migrations = join(out, 'migrations');
    const { files } = await writeMigration('kysely', { outDir: migrations, name: 'Docs access', plan: planned, now });
    expect(files.map((f) => f.slice(migrations.length + 1))).toEqual(['20260102030405_docs_access.ts']);
    await writeFile(
      join(out, 'migrate.ts'),
      `import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { FileMigrationProvider, Kysely, Migrator, PostgresDialect } from 'kysely';

const [url, folder, direction] = process.argv.slice(2);
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: folder }) });
const { error, results } = direction === 'down' ? await migrator.migrateDown() : await migrator.migrateToLatest();
await db.destroy();
process.stdout.write(JSON.stringify(results));
if (error) throw error;
`,
    );
    const migrate = async (direction: 'up' | 'down') => {
      const run = await runNodeProcess(out, ['--import', 'tsx', 'migrate.ts', db.url, migrations, direction], process.env);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([{ migrationName: '20260102030405_docs_access', direction: direction === 'up' ? 'Up' : 'Down', status: 'Success' }]);
    };
    await expectUpThenDown(db, access, planned, () => migrate('up'), () => migrate('down'));
    // The hostile name went through as data: the policy exists under it while migrated up.
    await migrate('up');
    expect((await db.query(`SELECT polname FROM pg_policy WHERE polrelid = 'public.docs'::regclass ORDER BY 1`)).rows.map((row) => row.polname)).toEqual([HOSTILE, 'writes'].sort());
  });
});

describe('node-pg-migrate: its CLI, up and down', () => {
  it('migrates up (in sync, enforced) and down (the planned drift) with node-pg-migrate 9', async () => {
    const { db, access, planned } = await docsDatabase();
    const out = await folder('node-pg-migrate');
    const migrations = join(out, 'migrations');
    const { files } = await writeMigration('node-pg-migrate', { outDir: migrations, name: 'Docs access', plan: planned, now });
    expect(files.map((f) => f.slice(migrations.length + 1))).toEqual(['20260102030405000_docs_access.ts']);
    const bin = join(repo, 'node_modules/node-pg-migrate/bin/node-pg-migrate.js');
    const migrate = async (direction: 'up' | 'down') => {
      const run = await runNodeProcess(out, [bin, direction, '--migrations-dir', migrations], { ...process.env, DATABASE_URL: db.url });
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain(`MIGRATION 20260102030405000_docs_access (${direction.toUpperCase()})`);
    };
    await expectUpThenDown(db, access, planned, () => migrate('up'), () => migrate('down'));
  });
});

describe('typeorm: migration:run and migration:revert', () => {
  it('migrates up (in sync, enforced) and down (the planned drift) with the TypeORM 1.1 CLI', async () => {
    const { db, access, planned } = await docsDatabase();
    const out = await folder('typeorm');
    const migrations = join(out, 'migrations');
    const { files } = await writeMigration('typeorm', { outDir: migrations, name: 'Docs access', plan: planned, now });
    expect(files.map((f) => f.slice(migrations.length + 1))).toEqual([`${now.getTime()}-DocsAccess.ts`]);
    await writeFile(
      join(out, 'data-source.ts'),
      `import { DataSource } from 'typeorm';\n\nexport default new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, migrations: ['migrations/*.ts'] });\n`,
    );
    const cli = join(repo, 'node_modules/typeorm/cli.js');
    const migrate = async (command: 'migration:run' | 'migration:revert') => {
      const run = await runNodeProcess(out, ['--import', 'tsx', cli, command, '-d', 'data-source.ts'], { ...process.env, DATABASE_URL: db.url });
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain(`DocsAccess${now.getTime()}`);
    };
    await expectUpThenDown(db, access, planned, () => migrate('migration:run'), () => migrate('migration:revert'));
  });
});

describe('mikro-orm: migration:up and migration:down', () => {
  it('migrates up (in sync, enforced) and down (the planned drift) with the MikroORM 6.6.16 CLI; a ?, and a backslash before one, reach PostgreSQL as written', async () => {
    const { db, access, planned } = await docsDatabase();
    expect(planned.up.some((s) => s.includes("'who?'") && s.includes("'\\?'"))).toBe(true);
    const out = await folder('mikro-orm');
    const migrations = join(out, 'migrations');
    const { files } = await writeMigration('mikro-orm', { outDir: migrations, name: 'Docs access', plan: planned, now });
    expect(files.map((f) => f.slice(migrations.length + 1))).toEqual(['Migration20260102030405_docs_access.ts']);
    await writeFile(
      join(out, 'mikro-orm.config.ts'),
      `import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';

export default defineConfig({
  clientUrl: process.env.DATABASE_URL,
  entities: [],
  discovery: { warnWhenNoEntities: false },
  extensions: [Migrator],
  migrations: { path: './migrations', pathTs: './migrations', glob: '!(*.d).{js,ts}' },
});
`,
    );
    const cli = join(repo, 'node_modules/@mikro-orm/cli/cli');
    const env = { ...process.env, DATABASE_URL: db.url, MIKRO_ORM_CLI_CONFIG: './mikro-orm.config.ts', MIKRO_ORM_CLI_ALWAYS_ALLOW_TS: '1' };
    const migrate = async (command: 'migration:up' | 'migration:down') => {
      const run = await runNodeProcess(out, ['--import', 'tsx', cli, command], env);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(`${run.stdout}${run.stderr}`).toContain('Migration20260102030405_docs_access');
    };
    await expectUpThenDown(db, access, planned, () => migrate('migration:up'), () => migrate('migration:down'));
  });

});

describe('prisma: the migrations folder Prisma Migrate reads', () => {
  // Prisma 6.19 cannot fetch its engines here: migrate status, migrate resolve and db execute run
  // offline with the JS engine and @prisma/adapter-pg (and no query engine library); migrate deploy does not.
  it('migrate status lists it; db execute runs it as deploy would (in sync, enforced, status up to date); down.sql gives the planned drift', async () => {
    const { db, access, planned } = await docsDatabase();
    const out = await folder('prisma');
    const migrations = join(out, 'prisma/migrations');
    const { files } = await writeMigration('prisma', { outDir: migrations, name: 'Docs access', plan: planned, now });
    expect(files.map((f) => f.slice(migrations.length + 1))).toEqual(['20260102030405_docs_access/migration.sql', '20260102030405_docs_access/down.sql', 'migration_lock.toml']);
    await writeFile(join(out, 'prisma/schema.prisma'), 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n');
    await writeFile(
      join(out, 'prisma.config.ts'),
      `import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  engine: 'js',
  experimental: { adapter: true },
  // The CLI does not close the pool: without allowExitOnIdle each command waits out the idle timeout (10 s).
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL, allowExitOnIdle: true }),
});
`,
    );
    const cli = join(repo, 'node_modules/prisma/build/index.js');
    const env = { ...process.env, DATABASE_URL: db.url, PRISMA_QUERY_ENGINE_LIBRARY: '/dev/null', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
    const prisma = (args: string[]) => runNodeProcess(out, [cli, ...args], env);
    const pending = await prisma(['migrate', 'status']);
    expect(pending.code, pending.stderr).toBe(1);
    expect(pending.stdout).toContain('1 migration found in prisma/migrations');
    expect(pending.stdout).toContain('20260102030405_docs_access');
    const execute = async (file: string) => {
      const run = await prisma(['db', 'execute', '--schema', 'prisma/schema.prisma', '--file', `prisma/migrations/20260102030405_docs_access/${file}`]);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    };
    await expectUpThenDown(
      db,
      access,
      planned,
      async () => {
        await execute('migration.sql');
        expect((await prisma(['migrate', 'resolve', '--applied', '20260102030405_docs_access'])).code).toBe(0);
        const status = await prisma(['migrate', 'status']);
        expect([status.code, status.stdout.includes('Database schema is up to date!')]).toEqual([0, true]);
      },
      () => execute('down.sql'),
    );
  });
});
