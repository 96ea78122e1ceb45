import path from 'node:path';
import { plan } from '../../index.js';
import { writeMigration, type MigrationFormat } from '../../render/migration/write-migration.js';
import { withConnection } from '../connection.js';
import { openProject, type CliContext, type ProjectOptions } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDiagnostics } from '../plan-output.js';

export interface GenerateCommandOptions extends ProjectOptions {
  readonly name: string;
  readonly format?: MigrationFormat;
  /** Relative to the current folder (the config's `out` is relative to the config file). */
  readonly out?: string;
}

/** `pg-access generate --name x`: plans against the database and writes the plan as a migration. */
export async function generateCommand(ctx: CliContext, options: GenerateCommandOptions): Promise<ExitCode> {
  const project = await openProject(ctx, options);
  const format = options.format ?? project.config.config.format ?? 'sql';
  const outDir = options.out === undefined ? project.config.outDir : path.resolve(ctx.cwd, options.out);
  // The migration's header says who gains and loses access.
  const planned = await withConnection(project.connection, (db) => plan(db, project.access, { ...project.planOptions, impact: true }));
  ctx.stderr.write(formatDiagnostics(planned.diagnostics, ctx.stderr.colors));
  if (planned.isEmpty) {
    ctx.stdout.write('Nothing to generate: the database matches the access declaration.\n');
    return ExitCode.ok;
  }
  const { files, recordsLeftOut } = await writeMigration(format, { outDir, name: options.name, plan: planned });
  const c = ctx.stdout.colors;
  const count = planned.operations.length;
  ctx.stdout.write(
    `${c.green('Wrote')} ${format} migration "${options.name}" (${count} operation${count === 1 ? '' : 's'}):\n` +
      files.map((f) => `  ${path.relative(ctx.cwd, f) || f}\n`).join(''),
  );
  if (recordsLeftOut > 0) {
    ctx.stdout.write(
      `\nThe migration leaves out the ${recordsLeftOut} normalization records (policy comments) this plan would write: in one migration transaction each would hold a lock until commit. ` +
        `After migrating, run ${c.bold('pg-access apply')} once to write them (it changes no access); until then, check normalizes those policies.\n`,
    );
  }
  return ExitCode.ok;
}
