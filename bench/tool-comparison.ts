/**
 * For one size, in the same run and on the same databases as pg-access's
 * plans: pg_dump --schema-only (the reference floor), @pgkit/migra and
 * drizzle-kit pull. Each tool runs as a child process, one at a time.
 *
 * A tool that times out at one size is not run at larger ones (it would only
 * take longer). BENCH_TOOL_TIMEOUT_S bounds one run (default 120);
 * migra and drizzle-kit repeat up to BENCH_RUNS times while the runs fit in
 * BENCH_TOOL_BUDGET_S per size (default 30), pg_dump runs BENCH_RUNS times.
 */
import type { PgDump } from './choose-server.js';
import { runDrizzleKitPull, type DrizzlePullRun } from './drizzle-kit-pull.js';
import { runMigra, type MigraRun } from './migra-diff.js';
import { measurePgDump, type PgDumpFigures } from './pg-dump-reference.js';
import { repeatWithinBudget } from './run-tool.js';

/** A tool that did not run at this size, and why. */
export interface NotRun {
  readonly notRun: string;
}

export interface ToolFigures {
  readonly n: number;
  readonly pgDump: PgDumpFigures | NotRun;
  /** migra: exact copy → database (an empty script). */
  readonly migraInSync: readonly MigraRun[] | NotRun;
  /** migra: bare copy → database (everything to create). */
  readonly migraFromBare: readonly MigraRun[] | NotRun;
  readonly drizzlePull: readonly DrizzlePullRun[] | NotRun;
}

export interface ComparisonDatabases {
  /** The in-sync database the plans read. */
  readonly database: string;
  /** CREATE DATABASE ... TEMPLATE of it. */
  readonly copy: string;
  /** Same tables, no RLS, policies or grants. */
  readonly bare: string;
}

export interface ComparisonOptions {
  readonly runs: number;
  readonly timeoutMs: number;
  readonly budgetMs: number;
}

export const isNotRun = (x: object): x is NotRun => 'notRun' in x;

export class ToolComparison {
  /** Tool → why it is no longer run (it timed out at a smaller size). */
  private readonly gaveUp = new Map<string, string>();

  constructor(
    private readonly pgDump: PgDump | { readonly missing: string },
    private readonly options: ComparisonOptions,
  ) {}

  async measure(n: number, dbs: ComparisonDatabases): Promise<ToolFigures> {
    const { runs, timeoutMs, budgetMs } = this.options;
    const binary = this.pgDump;
    const pgDump = 'missing' in binary ? { notRun: binary.missing } : await this.once('pg_dump', n, () => measurePgDump(binary, dbs.database, n, runs, timeoutMs), (r) => r.runs.some((x) => x.timedOut));
    const repeated = <T extends { ok: boolean; run: { timedOut: boolean } }>(tool: string, once: () => Promise<T>) =>
      this.once(tool, n, () => repeatWithinBudget(once, runs, budgetMs), (r) => r.some((x) => x.run.timedOut));
    const migraInSync = await repeated('migra (in sync)', () => runMigra(dbs.copy, dbs.database, 'empty', timeoutMs));
    const migraFromBare = await repeated('migra (from bare)', () => runMigra(dbs.bare, dbs.database, n, timeoutMs));
    const drizzlePull = await repeated('drizzle-kit pull', () => runDrizzleKitPull(dbs.database, n, timeoutMs));
    return { n, pgDump, migraInSync, migraFromBare, drizzlePull };
  }

  /** Runs `measure` unless the tool timed out at a smaller size; remembers a timeout. */
  private async once<T extends object>(tool: string, n: number, measure: () => Promise<T>, timedOut: (result: T) => boolean): Promise<T | NotRun> {
    const reason = this.gaveUp.get(tool);
    if (reason) return { notRun: reason };
    const result = await measure();
    if (timedOut(result)) this.gaveUp.set(tool, `not run: timed out (> ${this.options.timeoutMs / 1000} s) at N=${n}`);
    return result;
  }
}
