/**
 * `drizzle-kit pull` on the benchmark's database: introspects it and writes a
 * Drizzle schema (tables, columns, RLS, policies, roles), as its users run it:
 * the CLI, with a config file in a temporary folder.
 *
 * Its output is checked against the fixture: N tables, 4N policies, and each
 * policy with its USING or WITH CHECK expression (every fixture policy has one).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { BENCH_SCHEMAS } from './bench-fixture.js';
import { failureSummary, runNodeTool, type ToolRun } from './run-tool.js';

export interface DrizzlePullRun {
  readonly run: ToolRun;
  /** The pull completed and wrote every table and policy. */
  readonly ok: boolean;
  readonly sanity: string;
}

// drizzle-kit's package exports do not expose bin.cjs: find it beside the main entry.
const DRIZZLE_KIT_CLI = path.join(path.dirname(createRequire(import.meta.url).resolve('drizzle-kit')), 'bin.cjs');

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

function checkSchema(schemaTs: string, n: number): { ok: boolean; sanity: string } {
  const tables = count(schemaTs, /(?:\.table|pgTable)\("/g);
  const policyLines = schemaTs.split('\n').filter((line) => line.includes('pgPolicy("'));
  const withoutExpression = policyLines.filter((line) => !/\b(using|withCheck):/.test(line)).length;
  const complete = tables === n && policyLines.length === 4 * n;
  const parts = [`${tables} tables, ${policyLines.length} policies`];
  if (!complete) parts.push(`expected ${n} and ${4 * n}`);
  // Reported, not failed: the pull completed; what it lost is part of the result.
  if (withoutExpression > 0) parts.push(`${withoutExpression} policies written without their USING/WITH CHECK expression`);
  return { ok: complete, sanity: parts.join('; ') };
}

/** Time of `drizzle-kit --version`: Node start-up plus loading drizzle-kit, paid by every pull. */
export async function drizzleKitStartup(): Promise<ToolRun> {
  return runNodeTool(DRIZZLE_KIT_CLI, ['--version'], { timeoutMs: 60_000 });
}

export async function runDrizzleKitPull(url: string, n: number, timeoutMs: number): Promise<DrizzlePullRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-access-bench-drizzle-'));
  try {
    const config = {
      dialect: 'postgresql',
      out: './out',
      dbCredentials: { url },
      // drizzle-kit reads only `public` unless told otherwise.
      schemaFilter: [...BENCH_SCHEMAS],
      entities: { roles: true },
    };
    writeFileSync(path.join(dir, 'drizzle.config.json'), JSON.stringify(config, null, 2));
    const run = await runNodeTool(DRIZZLE_KIT_CLI, ['pull', '--config', 'drizzle.config.json'], { timeoutMs, cwd: dir });
    if (run.exitCode !== 0) return { run, ok: false, sanity: failureSummary(run, timeoutMs) };
    let schemaTs: string;
    try {
      schemaTs = readFileSync(path.join(dir, 'out', 'schema.ts'), 'utf8');
    } catch {
      return { run, ok: false, sanity: `no out/schema.ts written: ${run.outputTail}` };
    }
    return { run, ...checkSchema(schemaTs, n) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
