/**
 * How long a hundred access expectations take, the two ways a user's suite
 * runs them: on embedded PostgreSQL (a server process, over TCP) and on
 * PGlite (PostgreSQL in-process, WASM). Two shapes of suite: one
 * runExpectations() of 100 (what `pg-access test` does, one transaction),
 * and 100 withRole() transactions with one assertion each (a vitest suite
 * of 100 tests). The same table (1,000 rows), declaration and checks on
 * both; median of BENCH_TESTING_RUNS runs (default 7) after a warm-up.
 */
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import pc from 'picocolors';
import { apply, defineAccess, ownerOnly, readOnly, sessionSettings, tenantIsolation } from '../src/index.js';
import { expectRows, runExpectations, withRole, type AccessExpectation } from '../src/testing/index.js';
import { startEmbeddedPostgres } from '../support/pg-server.js';
import { formatSummary, renderTable, summarize } from './report-table.js';

const session = sessionSettings({ type: 'int' });
const APP = 'bench_app';
const REPORTING = 'bench_reporting';
const SETUP = `CREATE TABLE documents (id int PRIMARY KEY, tenant_id int NOT NULL, owner_id int NOT NULL, title text NOT NULL);
  INSERT INTO documents SELECT i, i % 10, i % 100, 'doc ' || i FROM generate_series(1, 1000) AS i;`;
const access = defineAccess({
  roles: [APP, REPORTING],
  tables: [
    ownerOnly('documents', { column: 'owner_id', ...session.user, to: APP }),
    readOnly('documents', REPORTING),
    tenantIsolation(['documents'], { column: 'tenant_id', ...session.tenant, to: [APP, REPORTING] }),
  ],
});

/** A hundred expectations of the five kinds, for users 0-99 (each owns 10 rows, one tenant each). */
function hundred(): AccessExpectation[] {
  return Array.from({ length: 100 }, (_, i): AccessExpectation => {
    const user = i;
    const settings = session.settings({ user, tenant: user % 10 });
    switch (i % 5) {
      case 0:
        return { role: APP, settings, table: 'documents', command: 'SELECT', rows: 10 };
      case 1:
        return { role: APP, settings, table: 'documents', command: 'INSERT', values: { id: 5000 + i, tenant_id: user % 10, owner_id: user + 1, title: 'x' }, allowed: false };
      case 2:
        return { role: APP, settings, table: 'documents', command: 'UPDATE', where: { owner_id: user }, values: { title: 'y' }, rows: 10 };
      case 3:
        return { role: REPORTING, settings, table: 'documents', command: 'SELECT', rows: 100 };
      default:
        return { role: REPORTING, settings, table: 'documents', command: 'DELETE', allowed: false };
    }
  });
}

async function measure(label: string, runs: number, fn: () => Promise<void>): Promise<string[]> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return [label, formatSummary(summarize(times))];
}

async function suites(db: object, where: string, runs: number): Promise<string[][]> {
  const expectations = hundred();
  return [
    await measure(`${where}: runExpectations, 100 in one transaction`, runs, async () => {
      const run = await runExpectations(db, expectations);
      if (run.failed) throw new Error(`${run.failed} expectations failed on ${where}: ${JSON.stringify(run.results.find((r) => !r.pass))}`);
    }),
    await measure(`${where}: 100 withRole() transactions, one assertion each`, runs, async () => {
      for (let i = 0; i < 100; i++) await withRole(db, APP, { settings: session.settings({ user: i, tenant: i % 10 }) }, (tx) => expectRows(tx, 'documents').toHaveCount(10));
    }),
  ];
}

export async function runExpectationsCost(): Promise<void> {
  const runs = Number(process.env.BENCH_TESTING_RUNS ?? 7);
  const requested = process.env.BENCH_PG_BIN_DIR;
  const serverStarted = performance.now();
  const server = await startEmbeddedPostgres(requested && requested !== 'embedded' ? { binDir: requested } : {});
  const pool = new pg.Pool({ connectionString: server.url, max: 2 });
  let lite!: PGlite;
  try {
    await pool.query(`CREATE ROLE ${APP}; CREATE ROLE ${REPORTING}; ${SETUP}`);
    await apply(pool, access);
    const serverSetup = performance.now() - serverStarted;
    const setupStarted = performance.now();
    lite = new PGlite();
    await lite.exec(`CREATE ROLE ${APP}; CREATE ROLE ${REPORTING}; ${SETUP}`);
    await apply(lite, access);
    const pgliteSetup = performance.now() - setupStarted;
    console.log(`\n${pc.bold(pc.cyan(`A hundred access expectations (PostgreSQL ${server.majorVersion} embedded, and PGlite in-process)`))}`);
    console.log(pc.dim(`1,000 rows; ownerOnly + readOnly + tenantIsolation; median of ${runs} runs after a warm-up, ms. Set-up (start, table, apply): embedded PostgreSQL ${Math.round(serverSetup)} ms (initdb included), PGlite ${Math.round(pgliteSetup)} ms.`));
    const rows = [...(await suites(pool, 'embedded PostgreSQL', runs)), ...(await suites(lite, 'PGlite', runs))];
    console.log(renderTable(['', 'ms median (min–max)'], rows));
  } finally {
    await lite?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runExpectationsCost().catch((error) => {
    console.error(pc.red(error instanceof Error ? (error.stack ?? error.message) : String(error)));
    process.exitCode = 1;
  });
}
