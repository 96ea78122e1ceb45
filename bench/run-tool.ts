/**
 * Runs another tool (pg_dump, migra, drizzle-kit) as a child process, the way
 * its users run it, with a time limit, and times it from the outside.
 *
 * Node tools are started with bench/report-rss-on-exit.cjs preloaded, so they
 * also report their peak RSS and their time without Node's own start-up.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ToolRun {
  /** Wall time of the whole process, ms. */
  readonly ms: number;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The last lines the tool wrote to stderr (and stdout, unless sent to a file). */
  readonly outputTail: string;
  /** Node tools only: peak RSS, and time since the preload ran (module loading + work). */
  readonly node?: { readonly ms: number; readonly maxRssMb: number };
}

export interface RunToolOptions {
  readonly timeoutMs: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where stdout goes; otherwise it is kept with stderr for the tail. */
  readonly stdoutFile?: string;
}

const EXIT_REPORT_HOOK = fileURLToPath(new URL('./report-rss-on-exit.cjs', import.meta.url));

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function runTool(command: string, args: readonly string[], options: RunToolOptions): Promise<ToolRun> {
  const stdout = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'pipe';
  const started = performance.now();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', stdout, 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    // Only the end is shown on failure: keep memory bounded for chatty tools.
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  }).finally(() => {
    clearTimeout(timer);
    if (typeof stdout === 'number') closeSync(stdout);
  });
  return { ms: performance.now() - started, exitCode, timedOut, outputTail: tail(output) };
}

/** One line for a failed run: its exit and the last error line it printed (the whole tail is printed apart). */
export function failureSummary(run: ToolRun, timeoutMs: number): string {
  if (run.timedOut) return `timed out after ${timeoutMs / 1000} s`;
  const lines = run.outputTail.split('\n').map((line) => line.trim()).filter(Boolean);
  const error = lines.filter((line) => /(Error|error:|ERROR)/.test(line)).at(-1) ?? lines.at(-1) ?? '';
  return `exit ${run.exitCode}: ${error.slice(0, 200)}`;
}

/** Runs `node <script> ...args` with the exit-report preload. */
export async function runNodeTool(script: string, args: readonly string[], options: RunToolOptions): Promise<ToolRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-access-bench-tool-'));
  const report = path.join(dir, 'exit-report.json');
  try {
    const env = { ...(options.env ?? process.env), BENCH_EXIT_REPORT: report };
    const run = await runTool(process.execPath, ['--require', EXIT_REPORT_HOOK, script, ...args], { ...options, env });
    let node: ToolRun['node'];
    try {
      node = JSON.parse(readFileSync(report, 'utf8')) as ToolRun['node'];
    } catch {
      node = undefined; // killed, or exited before the hook could write
    }
    return node ? { ...run, node } : run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `once` at least once, then again while fewer than `maxRuns` have run and
 * another run (as long as the last) would end within `budgetMs`: small sizes get a median, large ones one
 * run. Stops at the first failed run and returns what ran.
 */
export async function repeatWithinBudget<T extends { readonly ok: boolean }>(once: () => Promise<T>, maxRuns: number, budgetMs: number): Promise<T[]> {
  const started = performance.now();
  const runs: T[] = [];
  for (;;) {
    const before = performance.now();
    const run = await once();
    runs.push(run);
    const last = performance.now() - before;
    // Another run only if it is expected to end within the budget.
    if (!run.ok || runs.length >= maxRuns || performance.now() - started + last > budgetMs) return runs;
  }
}
