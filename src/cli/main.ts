/**
 * The `pg-access` command line. bin/pg-access.js calls main(process.argv)
 * and exits with the code it returns:
 *
 *   0 success; 1 drift (check); 2 anything the user can fix — a bad option, a
 *   missing config, a declaration or connection error (any PgAccessError),
 *   printed as `pg-access: error: <message>` without a stack; 3 an unexpected
 *   internal error, printed with its stack; 4 retryable — a lock timeout, a
 *   lost connection or a concurrent change, nothing changed (also printed
 *   without a stack). DEBUG=pg-access prints stacks for all.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { isConnectionLost } from '../errors.js';
import { ExitCode, RETRYABLE_ERROR_CODES, isPgAccessError } from './exit-codes.js';
import { buildProgram } from './program.js';
import { createTerminal } from './terminal.js';

export async function main(argv: readonly string[] = process.argv, context?: Partial<CliContext>): Promise<ExitCode> {
  const env = context?.env ?? process.env;
  if (!context?.stdout) endQuietlyOnClosedPipe(process.stdout);
  if (!context?.stderr) endQuietlyOnClosedPipe(process.stderr);
  const ctx: CliContext = {
    cwd: context?.cwd ?? process.cwd(),
    env,
    stdout: context?.stdout ?? createTerminal(process.stdout, env),
    stderr: context?.stderr ?? createTerminal(process.stderr, env),
  };
  let exitCode: ExitCode = ExitCode.ok;
  try {
    await buildProgram(ctx, packageVersion(), (code) => (exitCode = code)).parseAsync([...argv], { from: 'node' });
    return exitCode;
  } catch (error) {
    return reportError(ctx, error);
  }
}

const closedPipeHandled = new WeakSet<NodeJS.WriteStream>();

/**
 * `pg-access check | head -1`: once the reader has gone, writing raises EPIPE
 * on the stream. Output is written after the work is done (and committed, for
 * apply), so the process just ends, with the exit code it already has.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (closedPipeHandled.has(stream)) return;
  closedPipeHandled.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit();
    throw error;
  });
}

function reportError(ctx: CliContext, error: unknown): ExitCode {
  const c = ctx.stderr.colors;
  const debug = debugEnabled(ctx.env);
  // Commander has printed its own message (unknown option, missing argument, --help, --version).
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (isPgAccessError(error)) {
    ctx.stderr.write(`${c.red('pg-access: error:')} ${error.message}\n`);
    if (debug) ctx.stderr.write(stackOf(error));
    return RETRYABLE_ERROR_CODES.has(error.code) ? ExitCode.retryable : ExitCode.usage;
  }
  // Whatever was running when the server went away: nothing was committed.
  if (isConnectionLost(error)) {
    ctx.stderr.write(`${c.red('pg-access: error:')} The connection to PostgreSQL was lost (${(error as Error).message}); nothing was changed. Run it again.\n`);
    if (debug) ctx.stderr.write(stackOf(error));
    return ExitCode.retryable;
  }
  ctx.stderr.write(`${c.red('pg-access: internal error:')} ${stackOf(error)}This is a bug in pg-access (or a failure it does not recognise); please report it with the output above.\n`);
  return ExitCode.internal;
}

/** The stack, and the stacks of its causes. */
function stackOf(error: unknown): string {
  let text = '';
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const e = current as { stack?: unknown; message?: unknown };
    text += `${depth ? 'Caused by: ' : ''}${typeof e.stack === 'string' ? e.stack : String(e.message ?? current)}\n`;
    current = (current as { cause?: unknown }).cause;
  }
  return text;
}

/** DEBUG=pg-access (or a list containing it, or *). */
function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  return (env.DEBUG ?? '').split(/[\s,]+/).some((name) => name === 'pg-access' || name === 'pg-access*' || name === '*');
}

/** src/cli/main.ts and dist/cli/main.js are both two folders below package.json. */
function packageVersion(): string {
  for (const relative of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pg-access' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next candidate
    }
  }
  return '0.0.0';
}
