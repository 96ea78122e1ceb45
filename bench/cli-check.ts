/**
 * `pg-access check` the way users run it: the built CLI (dist/, as installed
 * from the package) in a fresh process per run, from a project folder with a
 * pg-access.config.ts and a TypeScript access module that imports
 * 'pg-access' (config loading, transpiling and connecting included), run
 * interleaved with `pg_dump --schema-only` of the same database.
 *
 * Per run it also reads what the check cost the server, which is otherwise
 * quiet: WAL bytes (pg_current_wal_lsn), transaction IDs consumed (the
 * snapshot's xmax, read without taking one) and dead tuples added to the
 * system catalogs (pg_stat_all_tables, read once the CLI's backend has exited
 * and flushed its statistics). And, while an in-sync and a changed check run
 * with a long reader holding the first declared table, the longest wait a
 * new reader of that table saw.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pgDumpEnv, type PgDump } from './choose-server.js';
import { runNodeTool, runTool } from './run-tool.js';
import { BENCH_ROLES, tableName, tableSchema } from './bench-fixture.js';
import { writeLiteralAccess } from './literal-declaration.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');

export interface CheckCost {
  readonly ms: number;
  readonly exitCode: number | null;
  readonly maxRssMb: number;
  readonly walBytes: number;
  readonly xids: number;
  readonly deadCatalogTuples: number;
}

export interface CliCheckFigures {
  readonly n: number;
  /** With an empty transpile cache per run, as in CI. */
  readonly inSync: readonly CheckCost[];
  /** One in-sync check with jiti's transpile cache filled by an earlier run. */
  readonly inSyncWarm: CheckCost;
  /** With an empty transpile cache per run, as in CI. */
  readonly changed: readonly CheckCost[];
  readonly pgDumpMs: readonly number[];
  /**
   * pg_dump -s --no-comments: the same dump without the policies' comments,
   * which hold pg-access's normalization records (one per policy after an
   * apply, 40,000 at 10,000 tables) and make the plain dump slower. The fair
   * reference for pg-access's own speed.
   */
  readonly pgDumpNoCommentsMs: readonly number[];
  /** check with the declaration written out table by table (bench/literal-declaration.ts): loading an 11 MB module, cold and warm. */
  readonly literal?: { readonly bytes: number; readonly cold: CheckCost; readonly warm: CheckCost };
  /** `pg-access pull` of the whole database, a fresh process per run, interleaved with the in-sync checks and pg_dump -s. */
  readonly pull: readonly CheckCost[];
  /** `pg-access audit --json` of the whole database, likewise. */
  readonly audit: readonly CheckCost[];
  /** `pg-access lint --json` of the whole database, likewise. */
  readonly lint: readonly CheckCost[];
  /** Longest wait of a new reader of a declared table while check ran with a long reader open on it (ms). */
  readonly readerMaxWaitMs: { readonly inSync: number; readonly changed: number };
}

/** Builds dist/ once (tsup), as `npm pack` would ship it. */
export async function buildPackage(): Promise<void> {
  const run = await runTool(process.execPath, [path.join(repo, 'node_modules/tsup/dist/cli-default.js')], { timeoutMs: 300_000, cwd: repo });
  if (run.exitCode !== 0) throw new Error(`npm run build failed:\n${run.outputTail}`);
}

/**
 * A project folder: node_modules/pg-access links to this repository (its
 * package.json points at dist/), pg-access.config.ts names the database, and
 * access.ts builds the benchmark's declaration (bench-fixture.ts's rules, in
 * the user's own code) for BENCH_N tables, changed by 10% when BENCH_CHANGED=1.
 */
export function writeProject(url: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-access-bench-cli-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repo, path.join(dir, 'node_modules/pg-access'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-app', private: true, type: 'module' }));
  writeFileSync(path.join(dir, 'pg-access.config.ts'), `import { defineConfig } from 'pg-access';\n\nexport default defineConfig({ access: './access.ts', url: ${JSON.stringify(url)} });\n`);
  writeFileSync(
    path.join(dir, 'access.ts'),
    `import { defineAccess, grant, policy, table } from 'pg-access';

const n = Number(process.env.BENCH_N);
const changeTenPercent = process.env.BENCH_CHANGED === '1';
const schemas = ['bench_a', 'bench_b', 'bench_c'];
const [appUser, readonly, auditor, admin, service] = ['bench_app_user', 'bench_readonly', 'bench_auditor', 'bench_admin', 'bench_service'];
const USER_ID = "current_setting('app.user_id')::int";
const TENANT_ID = "current_setting('app.tenant_id', true)::int";

const tables = [];
for (let i = 0; i < n; i++) {
  const extra = (j: number) => (changeTenPercent && (i + j) % 10 === 0 ? ' AND tenant_id >= 0' : '');
  const owner = i % 2 === 0 ? (t: Record<string, string>) => \`\${t.owner_id} = \${USER_ID}\` : () => \`owner_id = \${USER_ID}\`;
  tables.push(
    table(\`\${schemas[i % 3]}.doc_\${String(i).padStart(5, '0')}\`, {
      policies: [
        policy('owner_reads', { for: 'SELECT', to: [appUser, readonly], using: (t) => \`\${owner(t)}\${extra(0)}\` }),
        policy('owner_inserts', { for: 'INSERT', to: appUser, withCheck: \`owner_id = \${USER_ID} AND tenant_id = \${TENANT_ID}\${extra(1)}\` }),
        policy('owner_updates', { for: 'UPDATE', to: appUser, using: (t) => \`\${owner(t)}\${extra(2)}\`, withCheck: (t) => \`\${owner(t)}\${extra(2)}\` }),
        policy('tenant_fence', { as: 'restrictive', for: i % 2 === 0 ? 'DELETE' : 'ALL', to: [appUser, admin], using: \`tenant_id = \${TENANT_ID}\${extra(3)}\` }),
      ],
      grants: [
        grant(['SELECT', 'INSERT', 'UPDATE'], { to: appUser }),
        grant('SELECT', { to: [readonly, auditor] }),
        i % 2 === 0 ? grant('DELETE', { to: admin }) : grant('ALL', { to: service }),
      ],
    }),
  );
}

export default defineAccess({ roles: [appUser, readonly, auditor, admin, service], tables });
`,
  );
  return dir;
}

const DEAD_CATALOG_TUPLES = `SELECT coalesce(sum(n_dead_tup), 0)::int8::text AS dead FROM pg_stat_all_tables WHERE schemaname = 'pg_catalog'`;

async function serverCounters(client: pg.Client): Promise<{ lsn: string; xmax: bigint; dead: bigint }> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query(
    `SELECT pg_current_wal_lsn()::text AS lsn, txid_snapshot_xmax(txid_current_snapshot())::text AS xmax, (${DEAD_CATALOG_TUPLES}) AS dead`,
  );
  return { lsn: rows[0].lsn, xmax: BigInt(rows[0].xmax), dead: BigInt(rows[0].dead) };
}

/** Until no backend of the CLI (application_name pg-access) is left: its statistics are flushed when it exits. */
async function untilCliBackendsGone(client: pg.Client): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pg-access'`);
    if (rows[0].n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An empty transpile cache for one run (jiti's and tsx's), as a CI job starts with; removed after. */
async function withColdCache<T>(fn: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'pg-access-bench-cache-'));
  try {
    // Both keep their caches under the temporary folder (jiti: unless the CLI sits beside a node_modules).
    return await fn({ TMPDIR: cache });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** A timed check, with the transpile cache empty (as in CI) unless `warm`. */
function coldCheck(dir: string, n: number, changed: boolean, admin: pg.Client): Promise<CheckCost> {
  return withColdCache((env) => runCheck(dir, n, changed, admin, env));
}

async function runCheck(dir: string, n: number, changed: boolean, admin: pg.Client, extraEnv: NodeJS.ProcessEnv = {}): Promise<CheckCost> {
  const config = extraEnv.PG_ACCESS_BENCH_CONFIG ? ['--config', extraEnv.PG_ACCESS_BENCH_CONFIG] : [];
  return runCommand(dir, ['check', ...config], admin, { BENCH_N: String(n), BENCH_CHANGED: changed ? '1' : '0', ...extraEnv });
}

/** `pg-access pull` of the whole database into a file, as a fresh process (no config loading: pull needs none). */
function runPull(dir: string, url: string, admin: pg.Client): Promise<CheckCost> {
  return runCommand(dir, ['pull', '--url', url, '--out', 'pulled.ts', '--force'], admin, {});
}

/** `pg-access audit` of the whole database as JSON (stdout to a file), as a fresh process. */
function runAudit(dir: string, url: string, admin: pg.Client): Promise<CheckCost> {
  return runCommand(dir, ['audit', '--url', url, '--json'], admin, {});
}

/** `pg-access lint --json` of the whole database (planner checks included), as a fresh process; findings do not fail it. */
function runLint(dir: string, url: string, admin: pg.Client): Promise<CheckCost> {
  return runCommand(dir, ['lint', '--url', url, '--json', '--fail-on', 'never'], admin, {});
}

async function runCommand(dir: string, args: string[], admin: pg.Client, extraEnv: NodeJS.ProcessEnv): Promise<CheckCost> {
  const before = await serverCounters(admin);
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.PG_ACCESS_FROM_SOURCE; // the built CLI, as installed
  const run = await runNodeTool(path.join(repo, 'bin/pg-access.js'), args, { timeoutMs: 600_000, cwd: dir, env, stdoutFile: path.join(dir, `${args[0]}.out`) });
  await untilCliBackendsGone(admin);
  const after = await serverCounters(admin);
  const { rows } = await admin.query('SELECT pg_wal_lsn_diff($1, $2)::int8::text AS bytes', [after.lsn, before.lsn]);
  return {
    ms: run.ms,
    exitCode: run.exitCode,
    maxRssMb: run.node?.maxRssMb ?? Number.NaN,
    walBytes: Number(rows[0].bytes),
    xids: Number(after.xmax - before.xmax),
    deadCatalogTuples: Number(after.dead - before.dead),
  };
}

/**
 * check with the declaration written out (literal.config.ts, literal.ts) in
 * the same project: once with an empty transpile cache, as in CI, then warm.
 */
async function measureLiteral(dir: string, url: string, n: number, admin: pg.Client): Promise<CliCheckFigures['literal']> {
  const bytes = await writeLiteralAccess(url, path.join(dir, 'literal.ts'), BENCH_ROLES);
  writeFileSync(path.join(dir, 'literal.config.ts'), `import { defineConfig } from 'pg-access';\n\nexport default defineConfig({ access: './literal.ts', url: ${JSON.stringify(url)} });\n`);
  return withColdCache(async (cache) => {
    const env = { ...cache, PG_ACCESS_BENCH_CONFIG: 'literal.config.ts' };
    const cold = await runCheck(dir, n, false, admin, env);
    const warm = await runCheck(dir, n, false, admin, env);
    return { bytes, cold, warm };
  });
}

/** Runs one check while a long reader holds the first declared table; returns the longest wait of a reader polling it. */
async function readerWaitDuring(url: string, check: () => Promise<CheckCost>): Promise<number> {
  const table = `${tableSchema(0)}.${tableName(0)}`;
  const longReader = new pg.Client({ connectionString: url });
  const reader = new pg.Client({ connectionString: url });
  await longReader.connect();
  await reader.connect();
  try {
    await longReader.query('BEGIN');
    await longReader.query(`SELECT count(*) FROM ${table}`);
    let running = true;
    let longest = 0;
    const polling = (async () => {
      while (running) {
        const started = performance.now();
        await reader.query(`SELECT 1 FROM ${table} LIMIT 1`);
        longest = Math.max(longest, performance.now() - started);
      }
    })();
    await check();
    running = false;
    await polling;
    return longest;
  } finally {
    await longReader.query('ROLLBACK').catch(() => undefined);
    await longReader.end();
    await reader.end();
  }
}

export async function measureCliCheck(pgDump: PgDump | undefined, url: string, n: number, runs: number): Promise<CliCheckFigures> {
  const dir = writeProject(url);
  // On the benchmark's database: pg_stat_all_tables shows the catalogs of the database it is read in.
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const dumpFile = path.join(dir, 'schema.sql');
  try {
    // One untimed check first: hint bits on catalog rows the last apply wrote are set once, by whoever reads them first.
    await runCheck(dir, n, false, admin);
    const inSync: CheckCost[] = [];
    const pulled: CheckCost[] = [];
    const audited: CheckCost[] = [];
    const linted: CheckCost[] = [];
    const changed: CheckCost[] = [];
    const pgDumpMs: number[] = [];
    const pgDumpNoCommentsMs: number[] = [];
    const dump = async (extra: string[]) =>
      (await runTool(pgDump!.path, ['--schema-only', ...extra, '--no-password', '--file', dumpFile, '--dbname', url], { timeoutMs: 600_000, env: pgDumpEnv(pgDump!.path) })).ms;
    for (let i = 0; i < runs; i++) {
      inSync.push(await coldCheck(dir, n, false, admin));
      pulled.push(await runPull(dir, url, admin));
      audited.push(await runAudit(dir, url, admin));
      linted.push(await runLint(dir, url, admin));
      if (pgDump) {
        pgDumpMs.push(await dump([]));
        pgDumpNoCommentsMs.push(await dump(['--no-comments']));
      }
    }
    // After the in-sync runs: a changed check leaves dead temporary catalog rows, and the next reader of those
    // pages prunes them (WAL that the in-sync check would be charged with, though it wrote nothing itself).
    for (let i = 0; i < runs; i++) changed.push(await coldCheck(dir, n, true, admin));
    // The same check with jiti's cache as the untimed first run left it: what a second run on a developer's machine costs.
    const inSyncWarm = await runCheck(dir, n, false, admin);
    const readerMaxWaitMs = {
      inSync: await readerWaitDuring(url, () => coldCheck(dir, n, false, admin)),
      changed: await readerWaitDuring(url, () => coldCheck(dir, n, true, admin)),
    };
    const literal = n >= 10_000 ? await measureLiteral(dir, url, n, admin) : undefined;
    return { n, inSync, inSyncWarm, changed, pull: pulled, audit: audited, lint: linted, pgDumpMs, pgDumpNoCommentsMs, readerMaxWaitMs, ...(literal ? { literal } : {}) };
  } finally {
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
