import path from 'node:path';
import { failsAt, lint, lintDeclaration, type LintResult } from '../../lint/lint.js';
import { lintFixes } from '../../lint/lint-fix.js';
import { writeMigration, type MigrationFormat } from '../../render/migration/write-migration.js';
import { formatLint, lintToJson, lintToSarif } from '../../lint/render-lint.js';
import { withConnection, openExtraConnection, resolveConnection } from '../connection.js';
import type { CliContext } from '../context.js';
import { ExitCode, userError } from '../exit-codes.js';
import { formatImpact, writeJson } from '../plan-output.js';
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
  /** Write the mechanical fixes as a migration of this name. */
  readonly fix?: string;
  readonly format?: MigrationFormat;
  readonly out?: string;
}

/** `pg-access lint`: what leaks, what is inert, what is slow; exit 1 when a finding reaches --fail-on (default: the config's lint.failOn, else error). */
export async function lintCommand(ctx: CliContext, options: LintCommandOptions, version: string): Promise<ExitCode> {
  if (options.json && options.sarif) throw userError('USAGE', 'Choose one of --json and --sarif.');
  if (options.declared && options.schema?.length) throw userError('USAGE', '--declared lints the declared tables; --schema does not apply to it.');
  if (options.fix === undefined && (options.format !== undefined || options.out !== undefined)) throw userError('USAGE', '--format and --out say where --fix writes its migration; give --fix <name>.');
  if (options.fix !== undefined && options.declared) {
    throw userError('USAGE', "--fix writes a migration for the database as it is; with --declared the fixes belong in the declaration (a migration would be undone by the next apply). Each finding's fix says what to declare.");
  }
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
  if (options.fix !== undefined) {
    const outDir = options.out !== undefined ? path.resolve(ctx.cwd, options.out) : config?.outDir;
    if (outDir === undefined) throw userError('USAGE', '--fix needs a migrations folder: give --out <dir>, or a config whose out names it.');
    await writeFixes(ctx, result, { name: options.fix, outDir, format: options.format ?? config?.config.format ?? 'sql' });
  }
  const threshold = options.failOn ?? config?.config.lint?.failOn ?? 'error';
  return threshold !== 'never' && failsAt(result.findings, threshold) ? ExitCode.drift : ExitCode.ok;
}

/**
 * lint --fix: the repairs as a migration the user reviews and runs with the
 * rest (never applied here); its header lists each fix's statements and who
 * gains or loses access by them, and the output names the findings left to
 * a person. Messages go to stderr when stdout carries --json or --sarif.
 */
async function writeFixes(ctx: CliContext, result: LintResult, where: { name: string; outDir: string; format: MigrationFormat }): Promise<void> {
  const out = ctx.stderr;
  const c = out.colors;
  const fixes = lintFixes(result);
  if (fixes.plan === null) {
    out.write(`\nNo migration written: none of the ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} has a fix that needs no choice.\n`);
    return;
  }
  const { files } = await writeMigration(where.format, { outDir: where.outDir, name: where.name, plan: fixes.plan });
  out.write(
    `\n${c.green('Wrote')} ${where.format} migration "${where.name}" fixing ${fixes.fixed.length} finding${fixes.fixed.length === 1 ? '' : 's'} (${fixes.plan.operations.length} operation${fixes.plan.operations.length === 1 ? '' : 's'}; review it, then run it with your migrations):\n` +
      files.map((f) => `  ${path.relative(ctx.cwd, f) || f}\n`).join('') +
      (fixes.plan.impact?.length ? `${formatImpact(fixes.plan.impact, c)}` : '') +
      (fixes.leftToPerson.length ? `${fixes.leftToPerson.length} finding${fixes.leftToPerson.length === 1 ? ' needs' : 's need'} a person's choice and ${fixes.leftToPerson.length === 1 ? 'is' : 'are'} not in it (see each fix above).\n` : '') +
      'If pg-access manages these objects, make the same change in the declaration: check reports what differs from it.\n',
  );
}
