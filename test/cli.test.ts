/**
 * The `pg-access` command end to end: a temporary project (pg-access.config.ts
 * + access.ts) under the repo's gitignored .pg-access-tmp/, the CLI run as a
 * child process (`node bin/pg-access.js ...`) against real PostgreSQL, and the
 * catalogs read back with plain SQL.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess } from './support/run-process.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
const bin = path.join(repo, 'bin/pg-access.js');
const root = path.join(repo, '.pg-access-tmp', `cli-${randomBytes(4).toString('hex')}`);

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'cli_app' | 'cli_other'>>>;
/** A port nothing listens on. */
let closedPort: number;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('cli_app', 'cli_other');
  await db.query(`CREATE TABLE docs (id int PRIMARY KEY, owner_id int NOT NULL)`);
  closedPort = await unusedPort();
  mkdirSync(root, { recursive: true });
});
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await db?.close();
  await r?.drop();
});

// ---------------------------------------------------------------- helpers

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI from `cwd`. The environment is the test's minus anything that
 * would change the outcome (DATABASE_URL, colour and debug switches), plus
 * `env`. PG_ACCESS_FROM_SOURCE: run src/, never a stale dist/ build.
 */
function run(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of ['DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'CI']) delete base[key];
  return runNodeProcess(cwd, [bin, ...args], { ...base, PG_ACCESS_FROM_SOURCE: '1', ...env });
}

let projects = 0;

/** A project folder with pg-access.config.ts (the given config object) and access.ts (the given source). Returns its path. */
function project(config: Record<string, unknown>, accessSource: string, configName = 'pg-access.config.ts'): string {
  const dir = path.join(root, `p${++projects}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, configName),
    `import { defineConfig } from ${importPath(dir, 'src/config.ts')};\n\nexport default defineConfig(${JSON.stringify({ access: './access.ts', ...config }, null, 2)});\n`,
  );
  writeFileSync(path.join(dir, 'access.ts'), accessSource);
  return dir;
}

/** A relative import of a repo file from `dir` (the project stands in for an app that installed pg-access). */
function importPath(dir: string, repoFile: string): string {
  return JSON.stringify(path.relative(dir, path.join(repo, repoFile)).split(path.sep).join('/'));
}

/** access.ts source: `body` is the defineAccess(...) argument, with the builders in scope. */
function accessModule(dir: string, body: string): string {
  return `import { defineAccess, grant, policy, table } from ${importPath(dir, 'src/index.ts')};\n\nexport default defineAccess(${body});\n`;
}

/** A project whose access module is built from `body` (see accessModule). */
function projectWith(config: Record<string, unknown>, body: (dir: string) => string): string {
  const dir = project(config, '');
  writeFileSync(path.join(dir, 'access.ts'), accessModule(dir, body(dir)));
  return dir;
}

/** The declaration the main scenario manages: RLS + one policy + SELECT for cli_app on docs. */
const docsAccess = () => `{
  roles: [${JSON.stringify(r.cli_app)}],
  tables: [
    table('docs', {
      policies: [policy('owner_read', { for: 'SELECT', to: ${JSON.stringify(r.cli_app)}, using: 'owner_id = 1' })],
      grants: [grant('SELECT', { to: ${JSON.stringify(r.cli_app)} })],
    }),
  ],
}`;

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const refusedUrl = () => `postgres://postgres@127.0.0.1:${closedPort}/postgres`;

function expectUserError(result: Run, ...fragments: string[]): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^pg-access: error: /);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
  expect(result.stderr).not.toContain('    at ');
  expect(result.stdout).toBe('');
}

// ---------------------------------------------------------------- plan → check → generate → apply → check

describe('plan, check, generate, apply against a fresh database', () => {
  let dir: string;
  beforeAll(() => {
    dir = projectWith({ url: db.url, out: './migrations' }, docsAccess);
  });

  it('plan prints the up and the down SQL under headings, as plain text when piped', async () => {
    // CI=1: picocolors alone would colour even into a pipe.
    const result = await run(dir, ['plan'], { CI: '1' });
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).not.toContain('\x1b[');
    // Who gains what comes first, then the SQL.
    const impact = `Access impact (1 widened, 0 changed, 0 narrowed):\n  + widened   ${r.cli_app} can now SELECT on public.docs: rows where (owner_id = 1)\n\n`;
    expect(out.slice(0, impact.length)).toBe(impact);
    expect(out.indexOf('Up (3 operations):')).toBe(impact.length);
    const down = out.indexOf('Down:');
    expect(down).toBeGreaterThan(0);
    const [up, downPart] = [out.slice(0, down), out.slice(down)];
    expect(up).toContain('-- enable row level security on public.docs\nALTER TABLE "public"."docs" ENABLE ROW LEVEL SECURITY;');
    expect(up).toContain(`CREATE POLICY "owner_read" ON "public"."docs" AS PERMISSIVE FOR SELECT TO "${r.cli_app}" USING ((owner_id = 1));`);
    // The declared 'owner_id = 1' is stored as '(owner_id = 1)': the record lets later checks skip normalizing it.
    expect(up).toMatch(/\nCOMMENT ON POLICY "owner_read" ON "public"."docs" IS 'pg-access normalized v1 [0-9a-f]{64}';\n/);
    expect(up).toContain(`GRANT SELECT ON TABLE "public"."docs" TO "${r.cli_app}";`);
    expect(downPart).toContain('DROP POLICY "owner_read" ON "public"."docs";');
    expect(downPart).toContain(`REVOKE SELECT ON TABLE "public"."docs" FROM "${r.cli_app}";`);
    expect(downPart).toContain('ALTER TABLE "public"."docs" DISABLE ROW LEVEL SECURITY;');
    // Every statement line ends with a semicolon; the rest are headings and comments.
    const statements = out.slice(impact.length).split('\n').filter((l) => l !== '' && !l.startsWith('-- ') && !/^(Up \(\d+ operations?\)|Down):$/.test(l));
    expect(statements).toHaveLength(7);
    for (const line of statements) expect(line).toMatch(/;$/);
  });

  it('plan colours only when asked (FORCE_COLOR), and NO_COLOR wins', async () => {
    expect((await run(dir, ['plan'], { FORCE_COLOR: '1' })).stdout).toContain('\x1b[');
    expect((await run(dir, ['plan'], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toContain('\x1b[');
  });

  it('plan --json prints a parseable document', async () => {
    const result = await run(dir, ['plan', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json).sort()).toEqual(['diagnostics', 'down', 'impact', 'isEmpty', 'operations', 'records', 'up']);
    expect(json.impact).toEqual([
      expect.objectContaining({ role: r.cli_app, schema: 'public', table: 'docs', command: 'SELECT', kind: 'widened', description: `${r.cli_app} can now SELECT on public.docs: rows where (owner_id = 1)` }),
    ]);
    expect(json.isEmpty).toBe(false);
    expect(json.operations).toHaveLength(3);
    expect(json.operations[1]).toEqual({
      description: 'create policy "owner_read" on public.docs',
      sql: [`CREATE POLICY "owner_read" ON "public"."docs" AS PERMISSIVE FOR SELECT TO "${r.cli_app}" USING ((owner_id = 1))`],
      inverseSql: ['DROP POLICY "owner_read" ON "public"."docs"'],
    });
    // The declared 'owner_id = 1' is stored as '(owner_id = 1)': a record (bookkeeping, last) lets later checks skip normalizing it.
    expect(json.records).toEqual([expect.stringMatching(/^COMMENT ON POLICY "owner_read" ON "public"."docs" IS 'pg-access normalized v1 [0-9a-f]{64}'$/)]);
    expect(json.up).toEqual([...json.operations.flatMap((o: { sql: string[] }) => o.sql), ...json.records]);
    expect(json.down).toEqual(['COMMENT ON POLICY "owner_read" ON "public"."docs" IS NULL', ...json.down.slice(1)]);
    expect(json.down).toHaveLength(4);
    expect(json.diagnostics).toEqual([]);
  });

  it('check exits 1 with a readable drift report before apply', async () => {
    const result = await run(dir, ['check']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('Drift: 3 differences between the database and the declaration.');
    expect(result.stdout).toContain('  - create policy "owner_read" on public.docs');
    expect(result.stdout).toContain(`  - grant SELECT on table public.docs to ${r.cli_app}`);
    expect(result.stdout).toContain('pg-access apply');
    expect(result.stderr).toBe('');
  });

  // Was an unhandled EPIPE with a stack trace (`pg-access check | head -1`).
  it('check into a pipe closed before it writes: ends quietly with its exit code', async () => {
    const base: Record<string, string | undefined> = { ...process.env };
    for (const key of ['DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'CI']) delete base[key];
    const result = await new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'check'], { cwd: dir, env: { ...base, PG_ACCESS_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader is gone before the report is written
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: '', stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
  });

  it('--lock-timeout is taken by plan and check too', async () => {
    expect((await run(dir, ['check', '--lock-timeout', '2000'])).code).toBe(1);
    expect((await run(dir, ['plan', '--lock-timeout', '2000'])).code).toBe(0);
    expect((await run(dir, ['check', '--lock-timeout', '0'])).code).toBe(2);
  });

  it('check --json exits 1 too', async () => {
    const result = await run(dir, ['check', '--json']);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.inSync).toBe(false);
    expect(json.operations).toHaveLength(3);
  });

  it('generate --name x --format sql writes the migration files (needs writeMigration)', async () => {
    const result = await run(dir, ['generate', '--name', 'docs_access', '--format', 'sql']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('docs_access');
    const out = path.join(dir, 'migrations');
    const written = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql'));
    expect(written.length).toBeGreaterThan(0);
    const all = written.map((f) => readFileSync(path.join(out, f), 'utf8')).join('\n');
    expect(all).toContain('CREATE POLICY "owner_read" ON "public"."docs"');
    expect(all).toContain('DROP POLICY "owner_read" ON "public"."docs"');
    // Every file it names exists.
    for (const line of result.stdout.split('\n').filter((l) => l.startsWith('  '))) expect(existsSync(path.resolve(dir, line.trim()))).toBe(true);
  });

  it('apply makes the catalogs say what was declared', async () => {
    const result = await run(dir, ['apply', '--lock-timeout', '2000']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Applied 3 operations in one transaction');
    expect(result.stdout).toContain('create policy "owner_read" on public.docs');

    const { rows: policies } = await db.query(
      `SELECT p.polname, p.polcmd, p.polpermissive, pg_get_expr(p.polqual, p.polrelid) AS qual, ARRAY(SELECT rolname::text FROM pg_roles WHERE oid = ANY (p.polroles) ORDER BY 1) AS roles
         FROM pg_policy p WHERE p.polrelid = 'public.docs'::regclass`,
    );
    expect(policies).toEqual([{ polname: 'owner_read', polcmd: 'r', polpermissive: true, qual: '(owner_id = 1)', roles: [r.cli_app] }]);
    const { rows: [flags] } = await db.query(`SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'public.docs'::regclass`);
    expect(flags).toEqual({ relrowsecurity: true, relforcerowsecurity: false });
    const { rows: [privileges] } = await db.query(
      `SELECT has_table_privilege($1, 'public.docs', 'SELECT') AS can_select, has_table_privilege($1, 'public.docs', 'INSERT') AS can_insert,
              has_table_privilege($2, 'public.docs', 'SELECT') AS other_select`,
      [r.cli_app, r.cli_other],
    );
    expect(privileges).toEqual({ can_select: true, can_insert: false, other_select: false });
  });

  it('after apply: check exits 0, plan has no changes, apply has nothing to do', async () => {
    const checked = await run(dir, ['check']);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('In sync');
    expect(JSON.parse((await run(dir, ['check', '--json'])).stdout).inSync).toBe(true);
    const planned = await run(dir, ['plan']);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('No changes');
    expect(JSON.parse((await run(dir, ['plan', '--json'])).stdout)).toMatchObject({ isEmpty: true, operations: [], up: [], down: [] });
    const applied = await run(dir, ['apply']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Nothing to apply');
  });

  it('generate on an empty plan prints "Nothing to generate" and writes nothing', async () => {
    const out = path.join(dir, 'empty-out');
    const result = await run(dir, ['generate', '--name', 'nothing', '--out', 'empty-out']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Nothing to generate');
    expect(existsSync(out)).toBe(false);
  });
});

// ---------------------------------------------------------------- roles: passwords and --allow-drop-roles

describe('roles from the CLI', () => {
  let own: TestDatabase;
  const roleName = `cli_role_${randomBytes(5).toString('hex')}`;
  beforeAll(async () => {
    // --allow-drop-roles looks at every role pg-access created for a database: use one of our own.
    own = await createTestDatabase();
  });
  afterAll(async () => {
    await own?.close();
    await db.admin.query(`DROP ROLE IF EXISTS "${roleName}"`);
  });

  const withRole = (dir: string, declared: boolean) =>
    `import { defineAccess, role } from ${importPath(dir, 'src/index.ts')};\n\n` +
    `export default defineAccess({ roles: [${declared ? `role(${JSON.stringify(roleName)}, { login: true, password: { env: 'CLI_ROLE_PASSWORD' } })` : ''}], tables: [] });\n`;

  it('apply creates the role and sets its password from the variable, printing neither the password nor its hash; generate never writes it', async () => {
    const dir = project({ url: own.url, out: './migrations' }, '');
    writeFileSync(path.join(dir, 'access.ts'), withRole(dir, true));
    const generated = await run(dir, ['generate', '--name', 'roles', '--format', 'sql'], { CLI_ROLE_PASSWORD: 'pw-cli-secret' });
    expect(generated.code, generated.stderr).toBe(0);
    const migration = readdirSync(path.join(dir, 'migrations'), { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => readFileSync(path.join(f.parentPath, f.name), 'utf8'))
      .join('\n');
    expect(migration).toContain(`CREATE ROLE "${roleName}"`);
    expect(migration).not.toMatch(/PASSWORD|pw-cli-secret|SCRAM/);

    const applied = await run(dir, ['apply'], { CLI_ROLE_PASSWORD: 'pw-cli-secret' });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`create role ${roleName}`);
    expect(applied.stderr).toContain(`set the password of role ${roleName} from $CLI_ROLE_PASSWORD`);
    expect(applied.stdout + applied.stderr).not.toMatch(/pw-cli-secret|SCRAM/);
    const { rows } = await own.query(`SELECT rolcanlogin, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = $1`, [roleName]);
    expect(rows).toEqual([{ rolcanlogin: true, scram: true }]);
  });

  it('an undeclared role pg-access created is a warning; --allow-drop-roles plans and applies its DROP ROLE', async () => {
    const dir = project({ url: own.url }, '');
    writeFileSync(path.join(dir, 'access.ts'), withRole(dir, false));
    const planned = await run(dir, ['plan']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toContain(`Role "${roleName}" was created by pg-access for this database and is no longer declared`);
    expect(planned.stdout).toContain('No changes');
    const dropping = await run(dir, ['plan', '--allow-drop-roles']);
    expect(dropping.stdout).toContain(`DROP ROLE "${roleName}"`);
    expect((await run(dir, ['check', '--allow-drop-roles'])).code).toBe(1);
    const applied = await run(dir, ['apply', '--allow-drop-roles']);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await own.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [roleName])).rowCount).toBe(0);
  });
});

// ---------------------------------------------------------------- where the connection comes from

describe.concurrent('connection', () => {
  it('--url overrides the config', async () => {
    const dir = projectWith({ url: refusedUrl() }, docsAccess);
    expect((await run(dir, ['plan'])).code).toBe(2);
    const result = await run(dir, ['plan', '--url', db.url]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('DATABASE_URL is used when neither --url nor the config names a database', async () => {
    const dir = projectWith({}, docsAccess);
    const result = await run(dir, ['check'], { DATABASE_URL: db.url });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('In sync');
  });

  it('the config url wins over DATABASE_URL', async () => {
    const dir = projectWith({ url: db.url }, docsAccess);
    const result = await run(dir, ['check'], { DATABASE_URL: refusedUrl() });
    expect(result.code, result.stderr).toBe(0);
  });

  it('dbCredentials are turned into a connection', async () => {
    const u = new URL(db.url);
    const dir = projectWith(
      { dbCredentials: { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), ...(u.password ? { password: decodeURIComponent(u.password) } : {}), database: u.pathname.slice(1) } },
      docsAccess,
    );
    const result = await run(dir, ['check']);
    expect(result.code, result.stderr).toBe(0);
  });

  it('no database anywhere is a clear error', async () => {
    const dir = projectWith({}, docsAccess);
    expectUserError(await run(dir, ['plan']), 'No database to connect to', '--url', 'DATABASE_URL');
  });

  it('connection refused exits 2 with a clear message', async () => {
    const dir = projectWith({ url: refusedUrl() }, docsAccess);
    expectUserError(await run(dir, ['check']), `127.0.0.1:${closedPort}`, 'connection refused', 'url in the config');
  });
});

// ---------------------------------------------------------------- errors a user can fix: exit 2, no stack

describe.concurrent('declaration errors', () => {
  it('an unknown privilege names the table, the privilege and the allowed ones', async () => {
    const dir = projectWith({ url: db.url }, () => `{ roles: [${JSON.stringify(r.cli_app)}], tables: [table('docs', { grants: [grant(['SELECT', 'FLY'], { to: ${JSON.stringify(r.cli_app)} })] })] }`);
    expectUserError(await run(dir, ['plan']), '"public"."docs"', '"FLY" is not a table privilege', 'allowed: SELECT');
  });

  it('a role missing from defineAccess({ roles }) is named with the policy', async () => {
    const dir = projectWith({ url: db.url }, () => `{ roles: [], tables: [table('docs', { policies: [policy('p', { to: 'ghost_role', using: 'true' })] })] }`);
    expectUserError(await run(dir, ['apply']), 'policy "p" on "public"."docs"', '"ghost_role"');
  });

  it('a declared role the database does not have is named', async () => {
    const dir = projectWith({ url: db.url }, () => `{ roles: ['no_such_role_cli'], tables: [table('docs', { grants: [grant('SELECT', { to: 'no_such_role_cli' })] })] }`);
    expectUserError(await run(dir, ['check']), 'Role "no_such_role_cli"', 'does not exist');
  });

  it('a missing table is named, with the fix', async () => {
    const dir = projectWith({ url: db.url }, () => `{ roles: [], tables: [table('nope.docs', { rls: true })] }`);
    expectUserError(await run(dir, ['plan']), 'Table "nope"."docs" does not exist');
  });

  it('a builder that rejects its input while the module loads', async () => {
    const dir = projectWith({ url: db.url }, () => `{ roles: [], tables: [table('docs', { grants: [grant([], { to: 'x' })] })] }`);
    expectUserError(await run(dir, ['plan']), 'grant() needs at least one privilege');
  });

  it('an access module without the declaration says what to export', async () => {
    const dir = project({ url: db.url }, 'export const tables = [];\n');
    expectUserError(await run(dir, ['plan']), './access.ts', 'default export or as `access`', 'it exports: tables');
  });

  it('a named `access` export is accepted', async () => {
    const dir = project({ url: db.url }, '');
    writeFileSync(path.join(dir, 'access.ts'), accessModule(dir, docsAccess()).replace('export default defineAccess', 'export const access = defineAccess'));
    expect((await run(dir, ['check'])).code).toBe(0);
  });

  // 1 MB of comment: the size from which the CLI loads a module through tsx (esbuild) instead of jiti (src/cli/module-loader.ts).
  const padding = `/*\n${'generated declaration padding\n'.repeat(40_000)}*/\n`;

  it('a module of 1 MB or more loads through esbuild: TypeScript, import.meta and an extensionless import of another .ts file', async () => {
    const dir = project({ url: db.url }, '');
    writeFileSync(path.join(dir, 'rules.ts'), `export const ownerRule: string = 'owner_id = 1';\n`);
    writeFileSync(
      path.join(dir, 'access.ts'),
      padding +
        accessModule(dir, docsAccess()).replace(`'owner_id = 1'`, 'ownerRule') +
        `import { ownerRule } from './rules';\nif (!new URL(import.meta.url).pathname.endsWith('/access.ts')) throw new Error('import.meta.url is ' + import.meta.url);\n`,
    );
    expect(statSync(path.join(dir, 'access.ts')).size).toBeGreaterThanOrEqual(1_000_000);
    const result = await run(dir, ['check']);
    expect(result.stderr).toBe('');
    expect([result.code, result.stdout]).toEqual([0, expect.stringContaining('In sync')]);
  });

  for (const size of ['small', 'large'] as const) {
    it(`a syntax error in a ${size} access module names the file and the line`, async () => {
      const dir = project({ url: db.url }, `${size === 'large' ? padding : ''}export default {\n  tables: [ ,, oops here ],\n};\n`);
      const result = await run(dir, ['check']);
      expectUserError(result, 'Could not load the access module ./access.ts');
      expect(result.stderr).toMatch(size === 'large' ? /access\.ts:40004:\d+/ : /access\.ts:2:\d+/);
    });
  }

  it('a misspelled option in the access module (loaded without type-checking) is an error naming it, and nothing is planned', async () => {
    const dir = projectWith({ url: db.url }, () => docsAccess().replace('policies:', 'polices:'));
    const result = await run(dir, ['plan']);
    expectUserError(result, 'table("docs"): unknown option "polices" (did you mean "policies"?); allowed: rls, policies, grants.', 'access.ts:');
  });

  it('DEBUG=pg-access adds the stack', async () => {
    const dir = projectWith({ url: db.url }, () => `{ roles: [], tables: [table('nope.docs', { rls: true })] }`);
    const result = await run(dir, ['plan'], { DEBUG: 'pg-access' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Table "nope"."docs" does not exist');
    expect(result.stderr).toContain('    at ');
  });
});

describe.concurrent('usage errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = projectWith({ url: db.url }, docsAccess);
  });

  it('an unknown option exits 2', async () => {
    const result = await run(dir, ['plan', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pg-access: error: unknown option '--frobnicate'");
  });

  it('an unknown command and no command exit 2', async () => {
    expect((await run(dir, ['deploy'])).code).toBe(2);
    expect((await run(dir, [])).code).toBe(2);
  });

  it('--help and --version exit 0', async () => {
    const help = await run(dir, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['plan', 'generate', 'apply', 'check']) expect(help.stdout).toContain(command);
    const version = await run(dir, ['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('generate without --name, or with an unknown --format, exits 2', async () => {
    const noName = await run(dir, ['generate']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name');
    expect((await run(dir, ['generate', '--name', 'x', '--format', 'xml'])).code).toBe(2);
  });

  it('a bad --lock-timeout exits 2', async () => {
    const result = await run(dir, ['apply', '--lock-timeout', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--lock-timeout');
  });

  it('no config in the folder exits 2 and shows how to write one', async () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    expectUserError(await run(empty, ['plan']), 'No pg-access.config.ts', 'defineConfig', '--config');
  });

  it('--config points to a config elsewhere; its paths are relative to it', async () => {
    const elsewhere = project({ url: db.url }, '', 'custom.config.ts');
    writeFileSync(path.join(elsewhere, 'access.ts'), accessModule(elsewhere, docsAccess()));
    const result = await run(root, ['check', '--config', path.relative(root, path.join(elsewhere, 'custom.config.ts'))]);
    expect(result.code, result.stderr).toBe(0);
    expectUserError(await run(root, ['check', '--config', 'missing.config.ts']), 'missing.config.ts', 'does not exist');
  });

  it('an invalid config names the option', async () => {
    const bad = project({ url: db.url, format: 'xml' }, '');
    expectUserError(await run(bad, ['plan']), 'pg-access.config.ts', '"format"', "must be one of 'sql', 'drizzle'");
    const typo = project({ url: db.url, ouT: './x' }, '');
    expectUserError(await run(typo, ['plan']), 'unknown option "ouT"');
  });
});

describe('internal errors', () => {
  it('exit 3 with the stack', async () => {
    // A declaration-shaped object whose tables fail when pg-access reads them: an error pg-access did not anticipate.
    const dir = project(
      { url: db.url },
      `let reads = 0;\nexport default {\n  kind: 'access', roles: [], schemas: [],\n  get tables() { if (reads++ > 0) throw new Error('simulated internal failure'); return []; },\n};\n`,
    );
    const result = await run(dir, ['plan']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('pg-access: internal error:');
    expect(result.stderr).toContain('simulated internal failure');
    expect(result.stderr).toContain('    at ');
  });
});
