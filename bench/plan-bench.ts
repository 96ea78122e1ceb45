/**
 * `npm run bench`: how plan() scales with the number of declared tables, next
 * to pg_dump, migra and drizzle-kit on the same databases, then what a policy
 * costs at query time (bench/policy-runtime-cost.ts).
 *
 * For each size N (BENCH_SIZES, default 100,1000,5000,10000) it builds a
 * database with N tables over three schemas, five roles, four policies and
 * three grants per table, applies the declaration once, then measures in a
 * fresh child process, compiled and run under plain Node as an application
 * runs the package (so peak RSS is planning's own; see compiled-child.ts):
 *   - the in-sync plan (nothing to do), BENCH_RUNS times (default 5);
 *   - the plan after changing 10% of the policies' expressions;
 *   - one extra untimed plan: locks it holds and WAL it writes;
 *   - plans against a bare copy (same tables, nothing else): everything to create.
 * Then `pg-access check` the way users run it (bench/cli-check.ts): the built
 * CLI in a fresh process per run from a project with pg-access.config.ts,
 * interleaved with pg_dump -s, with WAL bytes, transaction IDs and dead
 * catalog tuples per check and a concurrent reader's longest wait
 * (BENCH_SKIP_CLI=1 leaves it out).
 * Then, on the same databases (bench/tool-comparison.ts): pg_dump
 * --schema-only as the reference floor, @pgkit/migra against an exact copy and
 * against the bare copy, and drizzle-kit pull.
 *
 * The server is chosen so that a pg_dump can read it (bench/choose-server.ts).
 * It prints figures and the targets of issue 4 next to them; it asserts
 * nothing. BENCH_SKIP_TOOLS=1 leaves out the other tools (and the copies),
 * BENCH_SKIP_RUNTIME=1 the policy runtime cost, BENCH_SKIP_TESTING=1 the cost of a hundred access expectations. See bench/lock-impact.ts for
 * what the plan's locks do to concurrent readers. BENCH_CPU_PROF=1 also
 * records a CPU profile of each measuring process and prints where the time goes.
 * BENCH_MEASURE_UNDER_TSX=1 measures under tsx instead of compiled JavaScript.
 *
 * By default it takes 9 to 12 minutes on 2 cores; docs/bench-results.md
 * holds the last figures.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pc from 'picocolors';
import { embeddedPostgresBinDir, startEmbeddedPostgres } from '../support/pg-server.js';
import { apply } from '../src/index.js';
import { benchDeclaration, changedPolicyCount, createRolesSql, createSchemaStatements } from './bench-fixture.js';
import { chooseServer, findPgDump } from './choose-server.js';
import { buildPackage, measureCliCheck, type CheckCost, type CliCheckFigures } from './cli-check.js';
import { profilesProjectCode, summarizeCpuProfile } from './cpu-profile-summary.js';
import { drizzleKitStartup } from './drizzle-kit-pull.js';
import { prepareMeasuringChild, type MeasuringChild } from './compiled-child.js';
import type { MeasureRequest, MeasureResult, PlanRun } from './measure-plan.js';
import { migraStartup } from './migra-diff.js';
import { runPolicyRuntimeCost } from './policy-runtime-cost.js';
import { runExpectationsCost } from './expectations-cost.js';
import { formatNumber, formatSummary, renderTable, summarize, type Summary } from './report-table.js';
import { ToolComparison, type ComparisonDatabases, type ToolFigures } from './tool-comparison.js';
import { printIssueTargets, printToolComparison } from './tool-comparison-report.js';

const TARGET_MS_AT_1000 = 1500;

interface SetupResult {
  readonly n: number;
  readonly buildSchema: number;
  readonly applyMs: number;
  readonly applyOperations: number;
  readonly applyStatements: number;
}

function parseSizes(): number[] {
  const raw = process.env.BENCH_SIZES;
  if (!raw) return [100, 1000, 5000, 10000];
  const sizes = raw.split(',').map((s) => Number(s.trim()));
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0)) throw new Error(`BENCH_SIZES must be positive integers separated by commas, got ${JSON.stringify(raw)}.`);
  return sizes;
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function createDatabaseWithTables(serverUrl: string, database: string, n: number): Promise<{ url: string; ms: number }> {
  await adminQuery(serverUrl, `CREATE DATABASE ${database} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  const url = databaseUrl(serverUrl, database);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    for (const statement of createSchemaStatements(n)) await client.query(statement);
    return { url, ms: performance.now() - started };
  } finally {
    await client.end();
  }
}

/**
 * bench_N, in sync with the declaration; with the other tools, also its exact
 * copy (for migra's in-sync diff) and a bare copy (same tables, nothing else).
 */
async function setUp(serverUrl: string, n: number, withCopies: boolean): Promise<{ dbs: ComparisonDatabases; setup: SetupResult }> {
  const database = `bench_${n}`;
  const { url, ms: buildSchema } = await createDatabaseWithTables(serverUrl, database, n);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let setup: SetupResult;
  try {
    const started = performance.now();
    const { plan } = await apply(client, benchDeclaration(n), { lockTimeoutMs: 60_000 });
    const applyMs = performance.now() - started;
    setup = { n, buildSchema, applyMs, applyOperations: plan.operations.length, applyStatements: plan.up.length };
  } finally {
    await client.end();
  }
  if (!withCopies) return { dbs: { database: url, copy: url, bare: url }, setup };
  // A template copy is exact (catalogs copied file by file); the template must have no other session, hence after client.end().
  await adminQuery(serverUrl, `CREATE DATABASE ${database}_copy TEMPLATE ${database}`);
  const bare = await createDatabaseWithTables(serverUrl, `${database}_bare`, n);
  return { dbs: { database: url, copy: databaseUrl(serverUrl, `${database}_copy`), bare: bare.url }, setup };
}

/** Runs measurePlan in a child process (compiled, under plain Node: see compiled-child.ts) and returns what it sends back. */
function measureInChild(measuring: MeasuringChild, request: MeasureRequest, profileDir: string | undefined): Promise<MeasureResult> {
  const execArgv = [...measuring.execArgv, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const child = fork(measuring.entry, [JSON.stringify(request)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: MeasureResult | undefined;
    child.on('message', (message) => {
      result = message as MeasureResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`the measuring process for N=${request.n} exited with code ${code}`));
    });
  });
}

// ─── output ────────────────────────────────────────────────────────────────

type Metric = { label: string; values: (r: MeasureResult) => number[]; digits?: number };

function metricRows(results: readonly MeasureResult[], metrics: readonly Metric[], showRatio: boolean): string[][] {
  return metrics.map(({ label, values, digits }) => {
    const summaries: Summary[] = results.map((r) => summarize(values(r)));
    const cells = summaries.map((s) => (digits === 0 ? formatSummaryInt(s) : formatSummary(s)));
    const first = summaries[0]!.median;
    const last = summaries[summaries.length - 1]!.median;
    return [label, ...cells, ...(showRatio ? [first > 0 ? `×${formatNumber(last / first, 2)}` : '–'] : [])];
  });
}

/** Last over first, or '–' when the first is 0 (e.g. no ACCESS EXCLUSIVE lock at any size). */
function growth(values: readonly number[]): string {
  const first = values[0]!;
  return first > 0 ? `×${formatNumber(values[values.length - 1]! / first, 2)}` : '–';
}

function formatSummaryInt(s: Summary): string {
  return s.min === s.max ? String(s.median) : `${s.median} (${s.min}–${s.max})`;
}

function planMetrics(pick: (r: MeasureResult) => readonly PlanRun[]): Metric[] {
  const field = (f: (run: PlanRun) => number) => (r: MeasureResult) => pick(r).map(f);
  return [
    { label: 'declaration', values: field((x) => x.declaration) },
    { label: 'introspection', values: field((x) => x.introspection) },
    { label: 'normalization', values: field((x) => x.normalization) },
    { label: 'diff', values: field((x) => x.diff) },
    { label: 'total (wall clock)', values: field((x) => x.total) },
    { label: '  of which waiting on SQL', values: field((x) => x.sql) },
    { label: '  of which JavaScript', values: field((x) => x.total - x.sql) },
    { label: 'SQL round trips (stats)', values: field((x) => x.roundTrips), digits: 0 },
    { label: 'queries seen by client', values: field((x) => x.queriesSeen), digits: 0 },
    { label: 'operations', values: field((x) => x.operations), digits: 0 },
  ];
}

const heading = (text: string) => console.log(`\n${pc.bold(pc.cyan(text))}`);

function printResults(setups: readonly SetupResult[], results: readonly MeasureResult[]): void {
  const sizes = results.map((r) => r.n);
  const showRatio = sizes.length > 1;
  const sizeHeaders = sizes.map((n) => `N=${n} median (min–max)`);
  const ratioHeader = showRatio ? [`ratio ${sizes[sizes.length - 1]}/${sizes[0]}`] : [];
  const header = (first: string) => [first, ...sizeHeaders, ...ratioHeader];
  const scale = showRatio ? ` (tables ×${formatNumber(sizes[sizes.length - 1]! / sizes[0]!, 2)})` : '';

  heading(`Setup (once per size, ms)${scale}`);
  console.log(
    renderTable(
      ['', ...sizes.map((n) => `N=${n}`), ...ratioHeader],
      [
        ['declared policies', ...sizes.map((n) => String(n * 4)), ...(showRatio ? [''] : [])],
        ...[
          ['build schema (batched DO blocks)', (s: SetupResult) => s.buildSchema],
          ['initial apply', (s: SetupResult) => s.applyMs],
          ['  operations applied', (s: SetupResult) => s.applyOperations],
          ['  statements executed', (s: SetupResult) => s.applyStatements],
        ].map(([label, f]) => {
          const values = setups.map(f as (s: SetupResult) => number);
          return [label as string, ...values.map((v) => formatNumber(v, 0)), ...(showRatio ? [growth(values)] : [])];
        }),
      ],
    ),
  );

  const runs = results[0]!.inSync.length;
  heading(`In-sync plan, ${runs} runs (ms)${scale}`);
  console.log(
    renderTable(header('phase'), [
      ...metricRows(results, [{ label: 'build declaration (user code)', values: (r) => [r.buildDeclaration] }], showRatio),
      ...metricRows(results, planMetrics((r) => r.inSync), showRatio),
    ]),
  );

  heading('Memory of the measuring process (MB)');
  console.log(
    renderTable(
      header('').map((h, i) => (i === 0 ? '' : h.replace(' median (min–max)', ''))),
      metricRows(
        results,
        [
          { label: 'RSS at start (modules loaded)', values: (r) => [r.memory.baselineRss] },
          { label: 'peak RSS after in-sync plans', values: (r) => [r.memory.peakRssInSync] },
          { label: 'peak RSS after changed plans', values: (r) => [r.memory.peakRssChanged] },
          { label: 'heap used after in-sync plans', values: (r) => [r.memory.heapUsedAfterInSync] },
        ],
        showRatio,
      ),
    ),
  );

  heading('What one in-sync plan costs the server besides time (one extra, untimed run)');
  console.log(
    renderTable(
      ['', ...sizes.map((n) => `N=${n}`), ...ratioHeader],
      [
        ['locks held during normalization', (r: MeasureResult) => r.serverImpact.locksHeld, 0],
        ['  of which ACCESS EXCLUSIVE', (r: MeasureResult) => r.serverImpact.accessExclusiveLocks, 0],
        ['  of which in the shared lock table', (r: MeasureResult) => r.serverImpact.sharedLockTableSlots, 0],
        ['WAL written (MB)', (r: MeasureResult) => r.serverImpact.walMb, 1],
      ].map(([label, f, digits]) => {
        const values = results.map(f as (r: MeasureResult) => number);
        return [label as string, ...values.map((v) => formatNumber(v, digits as number)), ...(showRatio ? [growth(values)] : [])];
      }),
    ),
  );

  heading(`Plan after changing 10% of the policies' expressions, ${runs} runs (ms)`);
  console.log(
    renderTable(header('phase'), [
      ...metricRows(results, planMetrics((r) => r.changed), showRatio),
      ...metricRows(results, [{ label: 'expected changed policies (N*4/10)', values: (r) => [changedPolicyCount(r.n)], digits: 0 }], showRatio),
    ]),
  );
  for (const r of results) {
    const kinds = Object.entries(r.changed[0]!.opsByKind).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
    console.log(`  N=${r.n}: ${kinds}`);
  }

  heading('In-sync plan: time per round trip (median ms, client side: send, server, receive, parse)');
  const labels = [...new Set(results.flatMap((r) => r.inSync.flatMap((run) => Object.keys(run.queries))))].sort();
  console.log(renderTable(header('query'), metricRows(results, labels.map((label) => ({ label, values: (r) => r.inSync.map((run) => run.queries[label] ?? 0) })), showRatio)));

  heading('Verdict');
  for (const r of results) {
    const empty = r.inSync.every((run) => run.operations === 0);
    const expected = changedPolicyCount(r.n);
    // Each changed policy's new version is one create-policy (its old version dropped; a restrictive one staged and renamed).
    const changed = r.changed[0]!.opsByKind['create-policy'] ?? 0;
    console.log(
      `  N=${r.n}: in-sync plan ${empty ? pc.green('empty') : pc.red('NOT empty')}; changed plan ${
        changed === expected ? pc.green(`${changed} changed policies as expected`) : pc.yellow(`${r.changed[0]!.operations} ops (${changed} new policy versions, expected ${expected})`)
      }`,
    );
  }
  for (const r of results.filter((x) => x.fromScratch.length > 0)) {
    console.log(`  N=${r.n}: plan against the bare copy: ${r.fromScratch[0]!.operations} ops (${Object.entries(r.fromScratch[0]!.opsByKind).map(([k, v]) => `${v} ${k}`).join(', ')})`);
  }
  const at1000 = results.find((r) => r.n === 1000);
  if (at1000) {
    const median = summarize(at1000.inSync.map((x) => x.total)).median;
    const met = median < TARGET_MS_AT_1000;
    console.log(`  In-sync plan at 1000 tables: ${formatNumber(median, 0)} ms median, target < ${TARGET_MS_AT_1000} ms: ${met ? pc.green('met') : pc.red('not met')}`);
  }
}

function printCliCheck(figures: readonly CliCheckFigures[]): void {
  heading('pg-access check, pull, audit and lint through the CLI: a fresh process per run (built package, pg-access.config.ts, connect), interleaved with pg_dump -s');
  const median = (values: readonly number[]) => summarize(values).median;
  const ratio = (a: number, b: number) => (b > 0 ? `×${formatNumber(a / b, 2)}` : '–');
  const rows: string[][] = [];
  const row = (label: string, runs: readonly CheckCost[], f: CliCheckFigures, target: number | null, readerWait: number | null) => {
    const ms = median(runs.map((r) => r.ms));
    const dump = f.pgDumpMs.length ? median(f.pgDumpMs) : Number.NaN;
    const bare = f.pgDumpNoCommentsMs.length ? median(f.pgDumpNoCommentsMs) : Number.NaN;
    rows.push([
      `N=${f.n} ${label}`,
      formatNumber(ms, 0),
      formatNumber(dump, 0),
      formatNumber(bare, 0),
      `${ratio(ms, dump)} / ${ratio(ms, bare)}${target === null ? '' : ` (target ≤ ×${target})`}`,
      formatNumber(Math.max(...runs.map((r) => r.maxRssMb)), 0),
      formatNumber(median(runs.map((r) => r.walBytes)), 0),
      formatNumber(median(runs.map((r) => r.xids)), 0),
      formatNumber(median(runs.map((r) => r.deadCatalogTuples)), 0),
      [...new Set(runs.map((r) => r.exitCode))].join(','),
      readerWait === null ? '' : formatNumber(readerWait, 1),
    ]);
  };
  for (const f of figures) {
    row('in sync', f.inSync, f, 0.5, f.readerMaxWaitMs.inSync);
    row('10% changed', f.changed, f, 0.7, f.readerMaxWaitMs.changed);
    row('in sync, warm transpile cache', [f.inSyncWarm], f, null, null);
    row('pull (whole database, written to a file)', f.pull, f, 2, null);
    row('audit --json (whole database)', f.audit, f, 1, null);
    row('lint --json (whole database)', f.lint, f, 1, null);
    if (f.literal) {
      const mb = formatNumber(f.literal.bytes / 1e6, 1);
      row(`in sync, ${mb} MB written-out declaration, cold cache`, [f.literal.cold], f, null, null);
      row(`in sync, ${mb} MB written-out declaration, warm cache`, [f.literal.warm], f, null, null);
    }
  }
  console.log(
    renderTable(
      ['', 'check ms (median)', 'pg_dump -s ms', '… --no-comments ms', 'check / pg_dump (plain / no comments)', 'peak RSS MB (max)', 'WAL bytes', 'XIDs', 'dead catalog tuples', 'exit', 'reader max wait ms'],
      rows,
    ),
  );
  console.log(
    pc.dim(
      '  Every run starts with an empty transpile cache (jiti, tsx), as a CI job does, except the warm row. Per check: WAL, XIDs and dead catalog tuples are medians of the runs; the reader polls a declared table while a long reader holds it open; peak RSS target < 300 MB.\n' +
        "  pg_dump -s also dumps the policies' comments, where pg-access keeps its normalization records (one per policy after an apply): --no-comments is the same dump without them, the fairer reference.",
    ),
  );
}

// ─── main ──────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const sizes = parseSizes();
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const withTools = process.env.BENCH_SKIP_TOOLS !== '1';
  const profileDir = process.env.BENCH_CPU_PROF ? mkdtempSync(path.join(os.tmpdir(), 'pg-access-bench-prof-')) : undefined;

  const started = performance.now();
  const measuring = prepareMeasuringChild();
  const choice = chooseServer();
  const server = await startEmbeddedPostgres({ binDir: choice.binDir });
  try {
    const pgDump = findPgDump(choice.binDir ?? embeddedPostgresBinDir(), server.majorVersion);
    console.log(pc.bold('pg-access plan benchmark'));
    console.log(
      pc.dim(
        [
          `PostgreSQL ${server.majorVersion} (fsync off) from ${choice.why}`,
          `pg_dump: ${'missing' in pgDump ? pgDump.missing : `${pgDump.path} (${pgDump.version})`}`,
          `Node ${process.version} (measuring processes: ${measuring.how}) · ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'} · load average ${os.loadavg().map((x) => formatNumber(x, 2)).join(' ')} · sizes ${sizes.join(', ')} · ${runs} runs (server started in ${formatNumber(performance.now() - started, 0)} ms)`,
        ].join('\n'),
      ),
    );
    await adminQuery(server.url, createRolesSql());

    const comparison = new ToolComparison(pgDump, {
      runs,
      timeoutMs: Number(process.env.BENCH_TOOL_TIMEOUT_S ?? 120) * 1000,
      budgetMs: Number(process.env.BENCH_TOOL_BUDGET_S ?? 30) * 1000,
    });
    const setups: SetupResult[] = [];
    const results: MeasureResult[] = [];
    const tools: ToolFigures[] = [];
    const withCli = process.env.BENCH_SKIP_CLI !== '1';
    const cli: CliCheckFigures[] = [];
    if (withCli) await buildPackage();
    for (const n of sizes) {
      const sizeStarted = performance.now();
      process.stdout.write(pc.dim(`  N=${n}: building ${n} tables and applying ${n * 4} policies${withTools ? ', copies' : ''}… `));
      const { dbs, setup } = await setUp(server.url, n, withTools);
      setups.push(setup);
      process.stdout.write(pc.dim(`measuring… `));
      results.push(await measureInChild(measuring, { url: dbs.database, n, runs, ...(withTools ? { bareUrl: dbs.bare } : {}) }, profileDir));
      if (withTools) {
        process.stdout.write(pc.dim(`pg_dump, migra, drizzle-kit… `));
        tools.push(await comparison.measure(n, dbs));
      }
      if (withCli) {
        process.stdout.write(pc.dim(`pg-access check through the CLI… `));
        cli.push(await measureCliCheck("missing" in pgDump ? undefined : pgDump, dbs.database, n, runs));
      }
      console.log(pc.dim(`done in ${formatNumber((performance.now() - sizeStarted) / 1000, 0)} s`));
    }
    printResults(setups, results);

    if (withTools) {
      heading('Reference floor and other tools, same run, same databases (median ms)');
      const [migra, drizzleKit] = [await migraStartup(), await drizzleKitStartup()];
      const ok = (run: { exitCode: number | null; ms: number }) => (run.exitCode === 0 ? run.ms : undefined);
      printToolComparison(results, tools, { migra: ok(migra), drizzleKit: ok(drizzleKit) });
    }
    if (withCli) printCliCheck(cli);
    heading('Targets of issue 4 (printed, not asserted)');
    printIssueTargets(results, tools);

    if (profileDir) {
      heading(`CPU profiles of the measuring processes (each: building 2 declarations, ${runs} in-sync and ${runs} changed plans)`);
      const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => path.join(profileDir, f));
      for (const file of files.filter(profilesProjectCode)) console.log(`\n${summarizeCpuProfile(file)}`);
    }
  } finally {
    await server.stop();
  }
  console.log(pc.dim(`\nPlan benchmark: ${formatNumber((performance.now() - started) / 1000, 0)} s, load average now ${os.loadavg().map((x) => formatNumber(x, 2)).join(' ')}`));

  // Its own server: nothing of the plan benchmark's databases is left to disturb it.
  if (process.env.BENCH_SKIP_RUNTIME !== '1') await runPolicyRuntimeCost();
  if (process.env.BENCH_SKIP_TESTING !== '1') await runExpectationsCost();
  console.log(pc.dim(`\nnpm run bench: ${formatNumber((performance.now() - started) / 1000, 0)} s in all`));
}

main().catch((error) => {
  console.error(pc.red(error instanceof Error ? (error.stack ?? error.message) : String(error)));
  process.exitCode = 1;
});
