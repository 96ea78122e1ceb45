/**
 * The reference floor: `pg_dump --schema-only` of the benchmark's database.
 * pg_dump reads every catalog a plan reads (and much more: columns,
 * constraints, sequences, ACLs, policies) and prints it, with no
 * normalization or diff. A plan within 2x of it is the target of issue 4.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgDumpEnv, type PgDump } from './choose-server.js';
import { failureSummary, runTool, type ToolRun } from './run-tool.js';

export interface PgDumpFigures {
  readonly runs: readonly ToolRun[];
  readonly ok: boolean;
  readonly dumpMb: number;
  /** What the dump holds, checked against the fixture. */
  readonly sanity: string;
}

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

export async function measurePgDump(pgDump: PgDump, url: string, n: number, runs: number, timeoutMs: number): Promise<PgDumpFigures> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-access-bench-dump-'));
  const file = path.join(dir, 'schema.sql');
  try {
    const done: ToolRun[] = [];
    for (let i = 0; i < runs; i++) {
      // Written to a file, as a user would: printing is part of pg_dump's work.
      const run = await runTool(pgDump.path, ['--schema-only', '--no-password', '--file', file, '--dbname', url], { timeoutMs, env: pgDumpEnv(pgDump.path) });
      done.push(run);
      if (run.exitCode !== 0) return { runs: done, ok: false, dumpMb: 0, sanity: failureSummary(run, timeoutMs) };
    }
    const dump = readFileSync(file, 'utf8');
    const tables = count(dump, /^CREATE TABLE /gm);
    const policies = count(dump, /^CREATE POLICY /gm);
    const ok = tables === n && policies === 4 * n;
    return {
      runs: done,
      ok,
      dumpMb: statSync(file).size / (1024 * 1024),
      sanity: `${tables} CREATE TABLE, ${policies} CREATE POLICY, ${count(dump, /^GRANT /gm)} GRANT${ok ? '' : ` (expected ${n} tables and ${4 * n} policies)`}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
