import { plan } from '../../index.js';
import { withConnection } from '../connection.js';
import { openProject, type CliContext, type ProjectOptions } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDiagnostics, formatImpact, formatPlan, planToJson, writeJson } from '../plan-output.js';

export interface PlanCommandOptions extends ProjectOptions {
  readonly json?: boolean;
}

/** `pg-access plan`: prints the up and down SQL; changes nothing. */
export async function planCommand(ctx: CliContext, options: PlanCommandOptions): Promise<ExitCode> {
  const project = await openProject(ctx, options);
  const planned = await withConnection(project.connection, (db) => plan(db, project.access, { ...project.planOptions, impact: true }));
  if (options.json) {
    writeJson(ctx.stdout, planToJson(planned));
    return ExitCode.ok;
  }
  ctx.stderr.write(formatDiagnostics(planned.diagnostics, ctx.stderr.colors));
  if (!planned.isEmpty && planned.impact) ctx.stdout.write(formatImpact(planned.impact, ctx.stdout.colors));
  ctx.stdout.write(formatPlan(planned, ctx.stdout.colors));
  return ExitCode.ok;
}
