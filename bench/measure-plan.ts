/**
 * The measuring side of the benchmark, run in a fresh child process per size
 * so that its peak RSS belongs to planning alone (not to building the
 * database or the initial apply, which happen in the parent).
 *
 * Every query goes through a timing wrapper, so each plan's wall time splits
 * into time spent waiting on PostgreSQL (per round trip) and time in
 * JavaScript.
 */
import pg from 'pg';
import { plan, type AccessDeclaration, type Plan, type Queryable } from '../src/index.js';
import { benchDeclaration } from './bench-fixture.js';

export interface MeasureRequest {
  readonly url: string;
  readonly n: number;
  readonly runs: number;
  /** A copy with the same tables and no RLS, policies or grants: also time a plan that creates everything. */
  readonly bareUrl?: string;
}

/** One plan() call. */
export interface PlanRun {
  readonly total: number;
  readonly declaration: number;
  readonly introspection: number;
  readonly normalization: number;
  readonly diff: number;
  /** Sum of query wall times (client side: send, server work, receive, parse rows). */
  readonly sql: number;
  readonly roundTrips: number;
  /** Queries the wrapper saw: checks stats.roundTrips. */
  readonly queriesSeen: number;
  readonly operations: number;
  readonly opsByKind: Readonly<Record<string, number>>;
  /** Per query label, milliseconds. */
  readonly queries: Readonly<Record<string, number>>;
}

export interface MeasureResult {
  readonly n: number;
  /** Building the declaration object in user code (defineAccess/table/policy calls), ms. */
  readonly buildDeclaration: number;
  readonly inSync: readonly PlanRun[];
  readonly changed: readonly PlanRun[];
  /**
   * Plans against the bare copy (every RLS flag, policy and grant to create),
   * run last so they do not count in the memory figures; at most 3 runs. Empty
   * without bareUrl.
   */
  readonly fromScratch: readonly PlanRun[];
  /** From one extra in-sync plan, not timed: what planning costs the server beyond time. */
  readonly serverImpact: {
    /** Locks this session held right after normalization's DO block (inside plan's transaction). */
    readonly locksHeld: number;
    readonly accessExclusiveLocks: number;
    /** Locks that do not fit the per-backend fast path and take a slot of the shared lock table. */
    readonly sharedLockTableSlots: number;
    /** WAL the plan wrote (the temporary policies are inserted, then rolled back), MB. */
    readonly walMb: number;
  };
  readonly memory: {
    /** RSS once modules are loaded, before any planning, MB. */
    readonly baselineRss: number;
    /** maxRSS after the in-sync runs, MB. */
    readonly peakRssInSync: number;
    /** maxRSS after the changed-declaration runs, MB. */
    readonly peakRssChanged: number;
    readonly heapUsedAfterInSync: number;
  };
}

/** A short, stable name for each statement plan() sends. */
function labelOf(sql: string): string {
  const text = sql.trim();
  if (text.startsWith('DO ')) return 'normalize: DO (create policies)';
  if (text === 'BEGIN' || text.startsWith('SAVEPOINT')) return 'normalize: BEGIN';
  if (text.startsWith('ROLLBACK') || text.startsWith('RELEASE')) return 'normalize: ROLLBACK';
  if (text.includes('pg_access.normalize_payload')) return 'normalize: send payload';
  if (text.includes('pg_access.normalize_errors')) return 'normalize: read back';
  if (text.includes('server_version_num')) return 'catalog: server';
  if (text.includes('FROM pg_roles')) return 'catalog: roles';
  if (text.includes('FROM pg_namespace n WHERE')) return 'catalog: schemas';
  if (text.includes('json_to_recordset($1')) return 'catalog: tables';
  if (text.includes('FROM pg_depend')) return 'catalog: sequences';
  if (text.includes('FROM pg_policy p WHERE')) return 'catalog: policies';
  return `other: ${text.slice(0, 40)}`;
}

class TimedClient implements Queryable {
  readonly timings = new Map<string, number>();
  count = 0;
  /** Runs (untimed, uncounted) after each query; used by the probe run only. */
  afterQuery: ((label: string) => Promise<void>) | undefined;
  constructor(readonly client: pg.Client) {}

  async query(sql: string, params?: unknown[]): Promise<{ rows: any[] }> {
    const started = performance.now();
    const label = labelOf(sql);
    try {
      return await this.client.query(sql, params);
    } finally {
      this.timings.set(label, (this.timings.get(label) ?? 0) + performance.now() - started);
      this.count++;
      await this.afterQuery?.(label);
    }
  }

  reset(): void {
    this.timings.clear();
    this.count = 0;
  }
}

const mb = (bytes: number) => bytes / (1024 * 1024);

async function timedPlan(db: TimedClient, declaration: Parameters<typeof plan>[1]): Promise<{ run: PlanRun; planned: Plan }> {
  db.reset();
  const started = performance.now();
  const planned = await plan(db, declaration);
  const total = performance.now() - started;
  const opsByKind: Record<string, number> = {};
  for (const o of planned.operations) opsByKind[o.op.kind] = (opsByKind[o.op.kind] ?? 0) + 1;
  const queries = Object.fromEntries(db.timings);
  const ms = planned.stats.milliseconds;
  return {
    planned,
    run: {
      total,
      declaration: ms.declaration,
      introspection: ms.introspection,
      normalization: ms.normalization,
      diff: ms.diff,
      sql: [...db.timings.values()].reduce((a, b) => a + b, 0),
      roundTrips: planned.stats.roundTrips,
      queriesSeen: db.count,
      operations: planned.operations.length,
      opsByKind,
      queries,
    },
  };
}

const LOCKS_SQL = `SELECT count(*)::int AS held, count(*) FILTER (WHERE mode = 'AccessExclusiveLock')::int AS access_exclusive,
  count(*) FILTER (WHERE NOT fastpath)::int AS shared FROM pg_locks WHERE pid = pg_backend_pid()`;

async function probeServerImpact(db: TimedClient, declaration: Parameters<typeof plan>[1]): Promise<MeasureResult['serverImpact']> {
  let locks = { held: 0, access_exclusive: 0, shared: 0 };
  db.afterQuery = async (label) => {
    if (label.includes('DO')) locks = (await db.client.query(LOCKS_SQL)).rows[0];
  };
  try {
    const before = (await db.client.query('SELECT pg_current_wal_insert_lsn() AS lsn')).rows[0].lsn as string;
    await plan(db, declaration);
    const bytes = (await db.client.query('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::float8 AS bytes', [before])).rows[0].bytes as number;
    return { locksHeld: locks.held, accessExclusiveLocks: locks.access_exclusive, sharedLockTableSlots: locks.shared, walMb: mb(bytes) };
  } finally {
    db.afterQuery = undefined;
  }
}

async function planFromScratch(bareUrl: string, declaration: Parameters<typeof plan>[1], runs: number): Promise<PlanRun[]> {
  const client = new pg.Client({ connectionString: bareUrl, application_name: 'pg-access-bench' });
  await client.connect();
  try {
    return await planRuns(new TimedClient(client), declaration, runs);
  } finally {
    await client.end();
  }
}

/**
 * Each group of runs builds its own declaration and lets it go afterwards,
 * as a program planning one declaration would: the in-sync declaration is
 * not kept alive while the changed one is planned (holding both had added
 * a second declaration's memory to the changed plans' figure).
 */
export async function measurePlan({ url, n, runs, bareUrl }: MeasureRequest): Promise<MeasureResult> {
  const baselineRss = mb(process.memoryUsage().rss);
  const client = new pg.Client({ connectionString: url, application_name: 'pg-access-bench' });
  await client.connect();
  try {
    const db = new TimedClient(client);
    const t0 = performance.now();
    let declaration: AccessDeclaration | undefined = benchDeclaration(n);
    const buildDeclaration = performance.now() - t0;

    const inSync: PlanRun[] = [];
    for (let i = 0; i < runs; i++) inSync.push((await timedPlan(db, declaration)).run);
    declaration = undefined;
    const peakRssInSync = process.resourceUsage().maxRSS / 1024;
    const heapUsedAfterInSync = mb(process.memoryUsage().heapUsed);

    const changed = await planRuns(db, benchDeclaration(n, { changeTenPercent: true }), runs);
    const peakRssChanged = process.resourceUsage().maxRSS / 1024;

    const serverImpact = await probeServerImpact(db, benchDeclaration(n));
    const fromScratch = bareUrl ? await planFromScratch(bareUrl, benchDeclaration(n), Math.min(runs, 3)) : [];
    return { n, buildDeclaration, inSync, changed, fromScratch, serverImpact, memory: { baselineRss, peakRssInSync, peakRssChanged, heapUsedAfterInSync } };
  } finally {
    await client.end();
  }
}

async function planRuns(db: TimedClient, declaration: AccessDeclaration, runs: number): Promise<PlanRun[]> {
  const done: PlanRun[] = [];
  for (let i = 0; i < runs; i++) done.push((await timedPlan(db, declaration)).run);
  return done;
}
