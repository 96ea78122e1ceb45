/**
 * pg-access/testing as users use it: withRole on each client (a pg Pool, a
 * pg Client, postgres.js, PGlite in-process), always rolled back; the
 * assertions' failures; declarative expectations and their coverage; and
 * `pg-access test` through the CLI.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAccess, ownerOnly, plan, publicRead, sessionSettings, type AccessDeclaration } from '../src/index.js';
import { expectAffects, expectationCoverage, expectCannotSee, expectDenied, expectRows, formatExpectationReport, runExpectations, withRole, type AccessExpectation } from '../src/testing/index.js';
import { runStatements } from './support/catalog.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess } from './support/run-process.js';

const app = sessionSettings({ type: 'int' });
let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'tk_user'>>>;
let lite: PGlite;

const SCHEMA = `CREATE TABLE notes (id int PRIMARY KEY, owner_id int NOT NULL, body text);
  CREATE TABLE news (id int PRIMARY KEY, published boolean NOT NULL);`;
const access = (role: string): AccessDeclaration =>
  defineAccess({ roles: [role], tables: [ownerOnly('notes', { column: 'owner_id', ...app.user, to: role }), publicRead('news', { where: 'published', to: role })] });

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('tk_user');
  await db.query(SCHEMA);
  await runStatements(db.pool, (await plan(db.pool, access(r.tk_user))).up);
  // PGlite: the same schema and declaration, its statements run in-process.
  lite = new PGlite();
  await lite.exec(`CREATE ROLE ${quoteIdent(r.tk_user)}; ${SCHEMA}`);
  for (const statement of (await plan(lite, access(r.tk_user))).up) await lite.exec(statement);
});
afterAll(async () => {
  await lite?.close();
  await db?.close();
  await r?.drop();
});

const SEED = `INSERT INTO notes VALUES (1, 1, 'mine'), (2, 2, 'theirs'); INSERT INTO news VALUES (1, true), (2, false);`;

async function ownRowsAndRollback(client: object): Promise<void> {
  await withRole(client, r.tk_user, { seed: SEED, settings: app.settings({ user: 1 }) }, async (tx) => {
    await expectRows(tx, 'notes').toEqual([{ id: 1, body: 'mine' }]);
    await expectCannotSee(tx, 'notes', { id: 2 });
    await expectDenied(tx, `INSERT INTO notes VALUES (3, 2, 'for them')`);
    await expectAffects(tx, `INSERT INTO notes VALUES (3, 1, 'mine too')`, 1);
    await expectAffects(tx, 'UPDATE notes SET body = $1 WHERE id = 2', 0, ['x']);
    await expectRows(tx, 'news').toEqual([{ id: 1 }]);
    // A refused statement leaves the transaction usable.
    await expectRows(tx, 'notes').toHaveCount(1);
  });
}

describe('withRole', () => {
  it('on a pg Pool, a pg Client, postgres.js and PGlite: the same checks, and nothing is left behind', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const sql = postgres(db.url, { max: 3, onnotice: () => undefined });
    try {
      for (const c of [db.pool, client, sql, lite]) await ownRowsAndRollback(c);
    } finally {
      await client.end();
      await sql.end();
    }
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
    expect((await lite.query<{ n: number }>('SELECT count(*)::int AS n FROM notes')).rows[0]!.n).toBe(0);
  });

  it('rolls back when the test body throws, and passes the error on', async () => {
    await expect(
      withRole(db.pool, r.tk_user, { seed: SEED }, async () => {
        throw new Error('the test failed');
      }),
    ).rejects.toThrow('the test failed');
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
  });

  it('failures are AssertionErrors naming the role, the settings and the policies that applied', async () => {
    const errors = await withRole(db.pool, r.tk_user, { seed: SEED, settings: app.settings({ user: 2 }) }, async (tx) =>
      Promise.all([
        expectRows(tx, 'notes').toEqual([{ id: 1 }]).catch((e: Error) => e),
        expectDenied(tx, `INSERT INTO notes VALUES (5, 2, 'own')`).catch((e: Error) => e),
        expectRows(tx, 'news').toHaveCount(2).catch((e: Error) => e),
      ]),
    );
    for (const e of errors) expect(e).toMatchObject({ name: 'AssertionError' });
    expect((errors[0] as Error).message).toContain(`expected as role "${r.tk_user}" with app.user_id = "2" to see 1 row(s) of "public"."notes", it sees 1:`);
    expect((errors[0] as Error).message).toContain('actual   [{"id":2}]');
    expect((errors[0] as Error).message).toContain(`"${r.tk_user}" holds SELECT`);
    expect((errors[0] as Error).message).toContain(`owner_only: PERMISSIVE FOR ALL TO ${r.tk_user} USING ((owner_id = ( SELECT (NULLIF(current_setting('app.user_id'::text, true), ''::text))::integer AS "nullif")))`);
    expect((errors[1] as Error).message).toContain('to be refused "INSERT INTO notes VALUES (5, 2, \'own\')", but it ran (1 row(s))');
    expect((errors[2] as Error).message).toContain('public_read: PERMISSIVE FOR SELECT');
  });
});

describe('declarative expectations', () => {
  const expectations = (): AccessExpectation[] => [
    { role: r.tk_user, settings: { 'app.user_id': 1 }, table: 'notes', command: 'SELECT', rows: 1 },
    { role: r.tk_user, settings: { 'app.user_id': 1 }, table: 'notes', command: 'INSERT', values: { id: 9, owner_id: 2 }, allowed: false },
    { role: r.tk_user, settings: { 'app.user_id': 1 }, table: 'notes', command: 'UPDATE', where: { id: 2 }, values: { body: 'x' }, allowed: false },
    { name: 'own rows only', role: r.tk_user, table: 'notes', command: 'DELETE', allowed: false },
    { role: r.tk_user, table: 'news', command: 'SELECT', rows: 2 },
  ];

  it('checks each as its role after the seed, reports the failures with what happened, and changes nothing', async () => {
    for (const client of [db.pool, lite]) {
      const run = await runExpectations(client, expectations(), { seed: SEED });
      expect(run.results.map((x) => [x.pass, x.actual])).toEqual([
        [true, 'sees 1 row'],
        [true, expect.stringMatching(/^refused: new row violates row-level security policy/)],
        [true, 'changes 0 rows'],
        [true, 'changes 0 rows'],
        [false, 'sees 1 row'],
      ]);
      const report = formatExpectationReport(run);
      expect(report).toMatch(/^5 expectations: 4 passed, 1 failed/);
      expect(report).toMatch(new RegExp(`FAIL\\s+5\\s+${r.tk_user}\\s+-\\s+"public"."news"\\s+SELECT\\s+sees 2 rows\\s+sees 1 row`));
    }
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
  });

  it('coverage names the declared policy commands no expectation exercised', async () => {
    const coverage = await expectationCoverage(db.pool, access(r.tk_user), expectations());
    expect(coverage.total).toBe(5);
    expect(coverage.missing.map((m) => `${m.policy} ${m.command}`)).toEqual([]);
    const partial = await expectationCoverage(db.pool, access(r.tk_user), expectations().slice(0, 2));
    expect(partial.missing.map((m) => `${m.policy} ${m.command}`)).toEqual(['owner_only UPDATE', 'owner_only DELETE', 'public_read SELECT']);
    expect(formatExpectationReport(await runExpectations(db.pool, expectations().slice(0, 2), { seed: SEED }), partial)).toContain(
      `Coverage: 2 of 5 declared policy commands exercised\n  not exercised: "owner_only" on "public"."notes" (to ${r.tk_user}): UPDATE, DELETE\n  not exercised: "public_read" on "public"."news" (to ${r.tk_user}): SELECT`,
    );
  });

  it('bad expectations are errors naming each one', async () => {
    await expect(
      runExpectations(db.pool, [
        { role: r.tk_user, table: 'notes', command: 'SELECT' } as AccessExpectation,
        { role: r.tk_user, table: 'notes', command: 'INSERT', allowed: true } as AccessExpectation,
        { role: r.tk_user, table: 'notes', command: 'TRUNCATE', allowed: true } as unknown as AccessExpectation,
        { role: r.tk_user, table: 'notes', command: 'SELECT', allowed: true, setings: {} } as unknown as AccessExpectation,
      ]),
    ).rejects.toMatchObject({
      code: 'INVALID_EXPECTATION',
      details: [
        'expectation 1: give exactly one of allowed (true or false) or rows (a count).',
        'expectation 2: an INSERT needs values (the new row).',
        'expectation 3: command must be one of SELECT, INSERT, UPDATE, DELETE, got "TRUNCATE".',
        expect.stringContaining('expectation 4: unknown option "setings"'),
      ],
    });
  });
});

describe('pg-access test', () => {
  const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
  const dir = path.join(repo, '.pg-access-tmp', `test-cli-${randomBytes(4).toString('hex')}`);
  const run = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PG_ACCESS_FROM_SOURCE: '1' };
    for (const key of ['DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'CI']) delete env[key];
    return runNodeProcess(dir, [path.join(repo, 'bin/pg-access.js'), 'test', ...args], env);
  };
  const config = (expectations: string) => `import { defineConfig } from ${JSON.stringify(path.join(repo, 'src/index.ts'))};
export default defineConfig({ access: './access.ts', url: ${JSON.stringify(db.url)}, test: { seed: './seed.sql', expect: ${expectations} } });\n`;

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'seed.sql'), SEED);
    writeFileSync(
      path.join(dir, 'access.ts'),
      `import { defineAccess, ownerOnly, publicRead, sessionSettings } from ${JSON.stringify(path.join(repo, 'src/index.ts'))};
const app = sessionSettings({ type: 'int' });
export default defineAccess({ roles: [${JSON.stringify(r.tk_user)}], tables: [ownerOnly('notes', { column: 'owner_id', ...app.user, to: ${JSON.stringify(r.tk_user)} }), publicRead('news', { where: 'published', to: ${JSON.stringify(r.tk_user)} })] });\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exit 0 when every expectation holds, 1 with the failure table, coverage either way; the database is left as it was', async () => {
    const role = JSON.stringify(r.tk_user);
    writeFileSync(path.join(dir, 'pg-access.config.ts'), config(`[{ role: ${role}, settings: { 'app.user_id': 1 }, table: 'notes', command: 'SELECT', rows: 1 }, { role: ${role}, table: 'news', command: 'SELECT', rows: 1 }]`));
    const ok = await run([]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^2 expectations: 2 passed, 0 failed \(\d+ ms\)\n\nCoverage: 2 of 5 declared policy commands exercised\n {2}not exercised: "owner_only" on "public"."notes"/);
    const uncovered = await run(['--require-coverage']);
    expect(uncovered.code).toBe(1);
    expect(uncovered.stderr).toContain('3 declared policy commands are exercised by no expectation (--require-coverage).');

    writeFileSync(path.join(dir, 'pg-access.config.ts'), config(`[{ role: ${role}, table: 'notes', command: 'SELECT', allowed: true }]`));
    const failed = await run([]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(new RegExp(`FAIL\\s+1\\s+${r.tk_user}\\s+-\\s+"public"."notes"\\s+SELECT\\s+allowed\\s+sees 0 rows`));
    const json = JSON.parse((await run(['--json'])).stdout);
    expect(json).toMatchObject({ version: 1, passed: 0, failed: 1, results: [{ index: 1, pass: false, expected: 'allowed', actual: 'sees 0 rows' }], coverage: { total: 5, exercised: 1 } });
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
  });

  it('--pglite: the schema, the declaration applied and the expectations on PGlite in the CLI process, no server', async () => {
    const role = JSON.stringify(r.tk_user);
    writeFileSync(path.join(dir, 'schema.sql'), SCHEMA);
    const expectations = `[{ role: ${role}, settings: { 'app.user_id': 1 }, table: 'notes', command: 'SELECT', rows: 1 }, { role: ${role}, settings: { 'app.user_id': 1 }, table: 'notes', command: 'INSERT', values: { id: 7, owner_id: 2 }, allowed: false }, { role: ${role}, table: 'news', command: 'SELECT', rows: 2 }]`;
    writeFileSync(path.join(dir, 'pg-access.config.ts'), config(expectations).replace(`test: { seed: './seed.sql'`, `test: { schema: './schema.sql', seed: './seed.sql'`));
    const lite = await run(['--pglite']);
    expect(lite.stderr).toBe('');
    expect(lite.code).toBe(1);
    expect(lite.stdout).toMatch(/^3 expectations: 2 passed, 1 failed/);
    expect(lite.stdout).toMatch(/FAIL\s+3\s+\S+\s+-\s+"public"."news"\s+SELECT\s+sees 2 rows\s+sees 1 row/);
    expect((await run(['--pglite', '--url', db.url])).code).toBe(2);
    writeFileSync(path.join(dir, 'pg-access.config.ts'), config(expectations));
    const noSchema = await run(['--pglite']);
    expect(noSchema.code).toBe(2);
    expect(noSchema.stderr).toContain("--pglite starts from an empty database: name the SQL that creates your tables in pg-access.config.ts, test: { schema: './schema.sql', ... }.");
  });

  it('a bad expectation or a config without test is exit 2, naming it', async () => {
    writeFileSync(path.join(dir, 'pg-access.config.ts'), config(`[{ role: 'x', table: 'notes', command: 'SELECT', allowed: true, rows: 1 }]`));
    const bad = await run([]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expectation 1: give exactly one of allowed (true or false) or rows (a count).');
    writeFileSync(path.join(dir, 'pg-access.config.ts'), `export default { access: './access.ts', url: ${JSON.stringify(db.url)} };\n`);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('pg-access.config.ts has no test section');
  });
});
