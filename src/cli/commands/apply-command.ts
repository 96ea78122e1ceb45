import { apply } from '../../index.js';
import type { PasswordOutcome } from '../../plan/role-passwords.js';
import { redactUrl } from '../../index.js';
import { withConnection } from '../connection.js';
import { openProject, type CliContext, type ProjectOptions } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDiagnostics, statement } from '../plan-output.js';

export interface ApplyCommandOptions extends ProjectOptions {
  readonly setPasswords?: boolean;
}

/** Which passwords were set; never the values. A created login role whose variable is unset gets a warning. */
function formatPasswords(passwords: readonly PasswordOutcome[]): string {
  return passwords
    .filter((p) => p.status !== 'kept')
    .map((p) =>
      p.status === 'set'
        ? `pg-access: set the password of role ${p.role} from $${p.env}.\n`
        : `pg-access: warning: $${p.env} is not set, so role ${p.role} has no password from pg-access; set it and run apply --set-passwords.\n`,
    )
    .join('');
}

/** `pg-access apply`: plans and executes in one transaction (see apply()), then says what it did. */
export async function applyCommand(ctx: CliContext, options: ApplyCommandOptions): Promise<ExitCode> {
  const project = await openProject(ctx, options);
  const { plan, passwords, records } = await withConnection(project.connection, (db) =>
    apply(db, project.access, {
      ...project.planOptions,
      setPasswords: options.setPasswords === true,
      env: ctx.env,
    }),
  );
  ctx.stderr.write(formatDiagnostics(plan.diagnostics, ctx.stderr.colors));
  ctx.stderr.write(formatPasswords(passwords));
  const c = ctx.stdout.colors;
  if (records.skipped) ctx.stderr.write(`pg-access: warning: ${records.skipped}.\n`);
  const recorded = records.written
    ? `Recorded how ${records.written} ${records.written === 1 ? "policy's expressions normalize" : "policies' expressions normalize"} (in ${records.written === 1 ? 'its comment' : 'their comments'}), so the next plan or check needs no normalization.\n`
    : '';
  if (plan.isEmpty) {
    ctx.stdout.write(`Nothing to apply: the database already matches the access declaration.\n${recorded}`);
    return ExitCode.ok;
  }
  const count = plan.operations.length;
  ctx.stdout.write(
    `${c.green('Applied')} ${count} operation${count === 1 ? '' : 's'} in one transaction to ${redactUrl(project.connection.url)}:\n` +
      plan.operations.map((o) => `  - ${o.description}\n${o.sql.map((s) => c.dim(`      ${statement(s).replaceAll('\n', '\n      ')}`)).join('\n')}\n`).join('') +
      recorded,
  );
  return ExitCode.ok;
}
