/**
 * `npx tsx bench/lock-impact.ts` (LOCK_IMPACT_SIZE, default 1000): what an
 * in-sync plan (or `check`) does to other sessions.
 *
 * Normalization used to create every declared policy on its table for a
 * moment (an ACCESS EXCLUSIVE lock each); it now works on temporary clones
 * and takes no lock on declared tables, so both figures below should show
 * no wait. This measures, on the benchmark's database:
 *   1. a reader polling one declared table while a plan runs;
 *   2. the same reader while another session runs a 3 s query on a different
 *      declared table (the last one the plan locks): the plan waits for that
 *      table while holding the locks it already took, so the reader waits too.
 * It prints figures and asserts nothing.
 */
import pg from 'pg';
import pc from 'picocolors';
import { startEmbeddedPostgres } from '../support/pg-server.js';
import { apply, plan } from '../src/index.js';
import { benchDeclaration, createRolesSql, createSchemaStatements, tableName, tableSchema } from './bench-fixture.js';
import { formatNumber } from './report-table.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `sql` on its own connection until stopped; returns the latencies. */
function poll(client: pg.Client, sql: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await client.query(sql);
      latencies.push(performance.now() - started);
      await sleep(5);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return latencies;
    },
  };
}

async function main(): Promise<void> {
  const n = Number(process.env.LOCK_IMPACT_SIZE ?? 1000);
  const server = await startEmbeddedPostgres();
  const clients: pg.Client[] = [];
  try {
    const url = new URL(server.url);
    const connect = async () => {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      clients.push(client);
      return client;
    };
    const admin = await connect();
    await admin.query(createRolesSql());
    await admin.query(`CREATE DATABASE lock_impact TEMPLATE template0`);
    url.pathname = '/lock_impact';
    const db = await connect();
    for (const statement of createSchemaStatements(n)) await db.query(statement);
    const declaration = benchDeclaration(n);
    await apply(db, declaration, { lockTimeoutMs: 60_000 });
    await plan(db, declaration); // warm up

    console.log(pc.bold(`Lock impact of an in-sync plan, ${n} tables (PostgreSQL ${server.majorVersion})`));
    const first = `${tableSchema(0)}.${tableName(0)}`;
    const last = `${tableSchema(n - 1)}.${tableName(n - 1)}`;
    const reader = await connect();

    let readers = poll(reader, `SELECT count(*) FROM ${first}`);
    await sleep(200);
    let started = performance.now();
    await plan(db, declaration);
    let planMs = performance.now() - started;
    await sleep(100);
    let latencies = await readers.stop();
    console.log(
      `  1. reader of ${first} during a ${formatNumber(planMs, 0)} ms plan: ${latencies.length} reads, max ${formatNumber(Math.max(...latencies), 0)} ms, ` +
        `${latencies.filter((x) => x > 50).length} slower than 50 ms`,
    );

    const longRunner = await connect();
    const longQuery = longRunner.query(`SELECT count(*), pg_sleep(3) FROM ${last}`);
    await sleep(200);
    readers = poll(reader, `SELECT count(*) FROM ${first}`);
    await sleep(100);
    started = performance.now();
    let outcome = 'completed';
    try {
      await plan(db, declaration);
    } catch (error) {
      outcome = `failed: ${(error as { code?: string }).code ?? ''} ${(error as Error).message.split('\n')[0]}`;
    }
    planMs = performance.now() - started;
    await longQuery;
    latencies = await readers.stop();
    console.log(
      `  2. with a 3 s query running on ${last}: the plan ${outcome} in ${formatNumber(planMs, 0)} ms; ` +
        `reader of ${first} (a different table): max ${formatNumber(Math.max(...latencies), 0)} ms`,
    );
  } finally {
    for (const client of clients) await client.end().catch(() => undefined);
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
