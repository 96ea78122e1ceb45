import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pull } from '../../index.js';
import { PULLED_HEADER } from '../../pull/render-access-module.js';
import { optionalConfig } from '../config.js';
import { withConnection, openExtraConnection, resolveConnection } from '../connection.js';
import type { CliContext } from '../context.js';
import { ExitCode, userError } from '../exit-codes.js';
import { loadModule, moduleFile } from '../module-loader.js';
import type { DrizzleTables } from '../../pull/render-access-module.js';
import { formatDiagnostics } from '../plan-output.js';

export interface PullCommandOptions {
  readonly config?: string;
  readonly url?: string;
  readonly lockTimeout?: number;
  readonly out?: string;
  readonly schema?: readonly string[];
  readonly manageRoles?: boolean;
  readonly force?: boolean;
  /** A Drizzle schema module: its tables are written by their exported names, imported from it. */
  readonly drizzle?: string;
}

/**
 * `pg-access pull`: writes the access of an existing database as an access
 * module (stdout, or --out). The config is optional (pulling is how a
 * project starts): it gives the connection and lockTimeoutMs when there is
 * one; its access module is not loaded.
 */
export async function pullCommand(ctx: CliContext, options: PullCommandOptions): Promise<ExitCode> {
  const config = await optionalConfig(ctx, options.config);
  const connection = resolveConnection(options.url, config?.config ?? { access: '' }, ctx.env);
  const out = options.out === undefined ? undefined : path.resolve(ctx.cwd, options.out);
  // Refused before connecting: a hand-written module is never overwritten without --force.
  if (out !== undefined && !options.force && existsSync(out) && !readFileSync(out, 'utf8').startsWith(PULLED_HEADER)) {
    throw userError(
      'OUTPUT_EXISTS',
      `${options.out} exists and was not written by pg-access pull; it is left as it is. Pull into another file and merge by hand, or pass --force to replace it.`,
    );
  }
  const lockTimeoutMs = options.lockTimeout ?? config?.config.lockTimeoutMs;
  const drizzle = options.drizzle === undefined ? undefined : await drizzleTables(path.resolve(ctx.cwd, options.drizzle), options.drizzle, out === undefined ? ctx.cwd : path.dirname(out));
  const result = await withConnection(connection, (db) =>
    pull(db, {
      ...(drizzle ? { drizzle } : {}),
      ...(options.schema?.length ? { schemas: options.schema } : {}),
      ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
      manageRoles: options.manageRoles === true,
      extraConnection: () => openExtraConnection(connection),
    }),
  );
  ctx.stderr.write(formatDiagnostics(result.diagnostics, ctx.stderr.colors));
  if (out === undefined) {
    ctx.stdout.write(result.source);
    return ExitCode.ok;
  }
  mkdirSync(path.dirname(out), { recursive: true });
  // Written beside and renamed: an interrupted pull never leaves half a module.
  const partial = `${out}.pg-access-pull-${process.pid}`;
  writeFileSync(partial, result.source);
  renameSync(partial, out);
  const a = result.access;
  const policies = a.tables.reduce((n, t) => n + t.policies.length, 0);
  ctx.stdout.write(
    `${ctx.stdout.colors.green('Wrote')} ${path.relative(ctx.cwd, out) || out}: ${a.tables.length} table${a.tables.length === 1 ? '' : 's'}, ${policies} polic${policies === 1 ? 'y' : 'ies'}, ${a.roles.length} role${a.roles.length === 1 ? '' : 's'} from ${a.schemas.length} schema${a.schemas.length === 1 ? '' : 's'} (${a.schemas.map((s) => s.name).join(', ') || 'none'}).\n` +
      `Point the config's access at it, then ${ctx.stdout.colors.bold('pg-access plan')} shows nothing to do.\n`,
  );
  return ExitCode.ok;
}

/**
 * The Drizzle tables a schema module exports, keyed by schema and name, and
 * how the pulled module (written in `fromDir`) imports it: a relative path
 * without the TypeScript extension, as the module's own imports would be.
 */
async function drizzleTables(file: string, shown: string, fromDir: string): Promise<DrizzleTables> {
  const resolved = moduleFile(file);
  if (!resolved) throw userError('DRIZZLE_SCHEMA_NOT_FOUND', `--drizzle ${shown}: no such module (looked for ${file}).`);
  let drizzle: typeof import('../../integrations/drizzle/drizzle-table.js');
  try {
    drizzle = await import('../../integrations/drizzle/drizzle-table.js');
  } catch (cause) {
    throw userError('DRIZZLE_NOT_INSTALLED', `--drizzle needs drizzle-orm, which could not be loaded (${(cause as Error).message}). Install drizzle-orm in this project.`, cause);
  }
  const namespace = await loadModule(resolved);
  const tables = new Map<string, { exportName: string; policies: Set<string> }>();
  for (const [exportName, value] of Object.entries(namespace)) {
    if (!drizzle.isDrizzleTable(value)) continue;
    const facts = drizzle.drizzleTableFacts(value);
    tables.set(`${facts.schema}\0${facts.name}`, { exportName, policies: new Set(facts.policies.map((p) => p.name)) });
  }
  if (tables.size === 0) throw userError('DRIZZLE_SCHEMA_EMPTY', `--drizzle ${shown} exports no Drizzle table (pgTable(...)); point it at the module that defines your tables.`);
  let module = path.relative(fromDir, resolved).split(path.sep).join('/').replace(/\.(ts|mts|cts)$/, '');
  if (!module.startsWith('.')) module = `./${module}`;
  return { module, tables };
}
