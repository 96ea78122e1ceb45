/**
 * @pgkit/migra (a JavaScript port of migra) on the benchmark's database, run
 * as its CLI: `migra <from> <target> --with-privileges --unsafe` prints the
 * SQL that turns <from> into <target>.
 *
 * migra compares two databases, so the work comparable to pg-access's plans is:
 *   - in sync: an exact copy of the database (CREATE DATABASE ... TEMPLATE)
 *     against the database: both inspected in full, an empty script;
 *   - from scratch: a bare copy (same tables, no RLS, policies or grants)
 *     against the database: every policy, grant and RLS flag to create.
 * migra inspects every kind of object, not only access control: it does more
 * reading than a plan, and no expression normalization.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { failureSummary, runNodeTool, type ToolRun } from './run-tool.js';

export interface MigraRun {
  readonly run: ToolRun;
  readonly ok: boolean;
  /** What the script holds, checked against what was expected. */
  readonly sanity: string;
}

const MIGRA_CLI = createRequire(import.meta.url).resolve('@pgkit/migra/dist/command.js');

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

/** Time of `migra --help`: Node start-up plus loading migra, paid by every run. */
export async function migraStartup(): Promise<ToolRun> {
  return runNodeTool(MIGRA_CLI, ['--help'], { timeoutMs: 60_000 });
}

/** `expect`: 'empty' for the in-sync copy, or the number of tables for the bare copy. */
export async function runMigra(fromUrl: string, targetUrl: string, expect: 'empty' | number, timeoutMs: number): Promise<MigraRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-access-bench-migra-'));
  const file = path.join(dir, 'migration.sql');
  try {
    const run = await runNodeTool(MIGRA_CLI, [fromUrl, targetUrl, '--with-privileges', '--unsafe'], { timeoutMs, stdoutFile: file });
    if (run.exitCode !== 0) return { run, ok: false, sanity: failureSummary(run, timeoutMs) };
    const sql = readFileSync(file, 'utf8');
    if (expect === 'empty') {
      const ok = sql.trim() === '';
      return { run, ok, sanity: ok ? 'empty script, as expected' : `expected an empty script, got ${sql.length} characters: ${sql.slice(0, 200)}` };
    }
    const rls = count(sql, /^\s*alter table .* enable row level security;/gim);
    const policies = count(sql, /^\s*create policy /gim); // migra indents its CREATE POLICY
    const grants = count(sql, /^\s*grant /gim);
    const ok = rls === expect && policies === 4 * expect && grants > 0;
    return {
      run,
      ok,
      sanity: `${rls} enable RLS, ${policies} create policy, ${grants} grant${ok ? '' : ` (expected ${expect}, ${4 * expect} and some)`}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
