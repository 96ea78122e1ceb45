import { audit } from '../../index.js';
import { auditToJson, formatAudit } from '../../audit/render-audit.js';
import { withConnection, openExtraConnection, resolveConnection } from '../connection.js';
import type { CliContext } from '../context.js';
import { ExitCode, userError } from '../exit-codes.js';
import { writeJson } from '../plan-output.js';
import { optionalConfig } from './pull-command.js';

export interface AuditCommandOptions {
  readonly config?: string;
  readonly url?: string;
  readonly lockTimeout?: number;
  readonly schema?: readonly string[];
  readonly role?: readonly string[];
  readonly table?: readonly string[];
  readonly json?: boolean;
  readonly markdown?: boolean;
}

/** `pg-access audit`: who can do what on every table and view, as PostgreSQL decides it; changes nothing. */
export async function auditCommand(ctx: CliContext, options: AuditCommandOptions): Promise<ExitCode> {
  if (options.json && options.markdown) throw userError('USAGE', 'Choose one of --json and --markdown.');
  const config = await optionalConfig(ctx, options.config);
  const connection = resolveConnection(options.url, config?.config ?? { access: '' }, ctx.env);
  const lockTimeoutMs = options.lockTimeout ?? config?.config.lockTimeoutMs;
  const result = await withConnection(connection, (db) =>
    audit(db, {
      ...(options.schema?.length ? { schemas: options.schema } : {}),
      ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
      extraConnection: () => openExtraConnection(connection),
    }),
  );
  // A filter naming nothing is a typo, not an empty report.
  const roles = options.role?.map((r) => (r.toLowerCase() === 'public' ? 'public' : r));
  const unknownRoles = roles?.filter((r) => r !== 'public' && !result.roles.some((x) => x.name === r)) ?? [];
  if (unknownRoles.length) throw userError('UNKNOWN_ROLE', `--role ${unknownRoles.map((r) => JSON.stringify(r)).join(', ')}: no such role.`);
  const unknownTables = options.table?.filter((t) => !result.relations.some((r) => t === `${r.schema}.${r.name}` || t === r.name)) ?? [];
  if (unknownTables.length) throw userError('UNKNOWN_TABLE', `--table ${unknownTables.map((t) => JSON.stringify(t)).join(', ')}: no such table or view in the audited schemas (${result.schemas.join(', ')}).`);
  const filter = { ...(roles ? { roles } : {}), ...(options.table ? { tables: options.table } : {}) };
  if (options.json) writeJson(ctx.stdout, auditToJson(result, filter));
  else ctx.stdout.write(formatAudit(result, options.markdown ? 'markdown' : 'text', filter));
  return ExitCode.ok;
}
