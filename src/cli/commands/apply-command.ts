import { apply } from '../../index.js';
import { redactUrl } from '../../index.js';
import { withConnection } from '../connection.js';
import { openProject, type CliContext, type ProjectOptions } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDiagnostics, statement } from '../plan-output.js';

export interface ApplyCommandOptions extends ProjectOptions {
  /** Milliseconds to wait for each table lock; overrides the config's lockTimeoutMs. */
  readonly lockTimeout?: number;
}

/** `pg-access apply`: plans and executes in one transaction (see apply()), then says what it did. */
export async function applyCommand(ctx: CliContext, options: ApplyCommandOptions): Promise<ExitCode> {
  const project = await openProject(ctx, options);
  const lockTimeoutMs = options.lockTimeout ?? project.config.config.lockTimeoutMs;
  const { plan } = await withConnection(project.connection, (db) => apply(db, project.access, lockTimeoutMs === undefined ? {} : { lockTimeoutMs }));
  ctx.stderr.write(formatDiagnostics(plan.diagnostics, ctx.stderr.colors));
  const c = ctx.stdout.colors;
  if (plan.isEmpty) {
    ctx.stdout.write('Nothing to apply: the database already matches the access declaration.\n');
    return ExitCode.ok;
  }
  const count = plan.operations.length;
  ctx.stdout.write(
    `${c.green('Applied')} ${count} operation${count === 1 ? '' : 's'} in one transaction to ${redactUrl(project.connection.url)}:\n` +
      plan.operations.map((o) => `  - ${o.description}\n${o.sql.map((s) => c.dim(`      ${statement(s).replaceAll('\n', '\n      ')}`)).join('\n')}\n`).join(''),
  );
  return ExitCode.ok;
}
