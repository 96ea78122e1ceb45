import path from 'node:path';
import { failsAt, lint, lintDeclaration } from '../../lint/lint.js';
import { formatLint, lintToJson, lintToSarif } from '../../lint/render-lint.js';
import { withConnection, openExtraConnection, resolveConnection } from '../connection.js';
import type { CliContext } from '../context.js';
import { ExitCode, userError } from '../exit-codes.js';
import { writeJson } from '../plan-output.js';
import { optionalConfig } from '../config.js';
import { openProject } from '../context.js';

export interface LintCommandOptions {
  readonly config?: string;
  readonly url?: string;
  readonly lockTimeout?: number;
  readonly schema?: readonly string[];
  readonly json?: boolean;
  readonly sarif?: boolean;
  readonly failOn?: 'error' | 'warning' | 'info' | 'never';
  /** Lint the state the declaration would leave (the plan's result) instead of the database as it is. */
  readonly declared?: boolean;
}

/** `pg-access lint`: what leaks, what is inert, what is slow; exit 1 when a finding reaches --fail-on (default: the config's lint.failOn, else error). */
export async function lintCommand(ctx: CliContext, options: LintCommandOptions, version: string): Promise<ExitCode> {
  if (options.json && options.sarif) throw userError('USAGE', 'Choose one of --json and --sarif.');
  if (options.declared && options.schema?.length) throw userError('USAGE', '--declared lints the declared tables; --schema does not apply to it.');
  // --declared loads the access module (openProject); otherwise the config is optional, for the connection and lint.ignore.
  const declared = options.declared ? await openProject(ctx, options) : undefined;
  const config = declared ? declared.config : await optionalConfig(ctx, options.config);
  const connection = declared ? declared.connection : resolveConnection(options.url, config?.config ?? { access: '' }, ctx.env);
  const lockTimeoutMs = options.lockTimeout ?? config?.config.lockTimeoutMs;
  const ignore = config?.config.lint?.ignore ?? [];
  const timeout = lockTimeoutMs === undefined ? {} : { lockTimeoutMs };
  const result = await withConnection(connection, (db) =>
    declared
      ? lintDeclaration(db, declared.access, { ...timeout, ignore, extraConnection: declared.planOptions.extraConnection })
      : lint(db, { ...(options.schema?.length ? { schemas: options.schema } : {}), ...timeout, ignore, extraConnection: () => openExtraConnection(connection) }),
  );
  if (options.json) writeJson(ctx.stdout, lintToJson(result));
  else if (options.sarif) writeJson(ctx.stdout, lintToSarif(result, version, config ? path.relative(ctx.cwd, config.accessPath).split(path.sep).join('/') : undefined));
  else ctx.stdout.write(formatLint(result));
  const threshold = options.failOn ?? config?.config.lint?.failOn ?? 'error';
  return threshold !== 'never' && failsAt(result.findings, threshold) ? ExitCode.drift : ExitCode.ok;
}
