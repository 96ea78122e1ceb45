import { check } from '../../index.js';
import { withConnection } from '../connection.js';
import { openProject, type CliContext, type ProjectOptions } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { checkToJson, formatDiagnostics, formatImpact, writeJson } from '../plan-output.js';

export interface CheckCommandOptions extends ProjectOptions {
  readonly json?: boolean;
  readonly verify?: boolean;
  /** 'drift' (default): exit 1 on any difference; 'widen': only when applying the declaration would widen someone's access. */
  readonly failOn?: 'drift' | 'widen';
}

/** `pg-access check`: exit 0 when the database matches the declaration, 1 with the drift report otherwise (for CI). */
export async function checkCommand(ctx: CliContext, options: CheckCommandOptions): Promise<ExitCode> {
  const project = await openProject(ctx, options);
  const onWiden = options.failOn === 'widen';
  const result = await withConnection(project.connection, (db) => check(db, project.access, { ...project.planOptions, verify: options.verify === true, impact: onWiden }));
  const widens = result.plan.impact?.some((c) => c.kind === 'widened') ?? false;
  const exitCode = result.inSync || (onWiden && !widens) ? ExitCode.ok : ExitCode.drift;
  if (options.json) {
    writeJson(ctx.stdout, checkToJson(result));
    return exitCode;
  }
  ctx.stderr.write(formatDiagnostics(result.plan.diagnostics, ctx.stderr.colors));
  const c = ctx.stdout.colors;
  if (result.inSync) {
    ctx.stdout.write(`${c.green(result.report)}\n`);
    return exitCode;
  }
  if (onWiden && result.plan.impact) ctx.stdout.write(formatImpact(result.plan.impact, c));
  // Cut at the first line rather than split: a report of thousands of statements is not copied line by line.
  const cut = result.report.indexOf('\n');
  const [headline, rest] = cut < 0 ? [result.report, ''] : [result.report.slice(0, cut), result.report.slice(cut + 1)];
  ctx.stdout.write(
    `${c.red(headline)}\n${rest}\n\n` +
      `Run ${c.bold('pg-access apply')} to make the database match, or ${c.bold('pg-access generate --name <name>')} to write a migration.\n`,
  );
  return exitCode;
}
