import { readFileSync } from 'node:fs';
import path from 'node:path';
import { audit } from '../../index.js';
import { accessImpact } from '../../audit/access-impact.js';
import type { EffectiveAccess } from '../../audit/effective-access.js';
import { AUDIT_JSON_VERSION, auditToJson, filterAudit, formatAudit } from '../../audit/render-audit.js';
import { auditToHtml } from '../../audit/render-html.js';
import { withConnection, openExtraConnection, resolveConnection } from '../connection.js';
import type { CliContext } from '../context.js';
import { ExitCode, userError } from '../exit-codes.js';
import { formatImpact, writeJson } from '../plan-output.js';
import { optionalConfig } from '../config.js';

export interface AuditCommandOptions {
  readonly config?: string;
  readonly url?: string;
  readonly lockTimeout?: number;
  readonly schema?: readonly string[];
  readonly role?: readonly string[];
  readonly table?: readonly string[];
  readonly json?: boolean;
  readonly markdown?: boolean;
  /** One self-contained HTML file, filterable by role, table, command and access. */
  readonly html?: boolean;
  /** An earlier `audit --json` file: print what changed since, instead of the matrix. */
  readonly diff?: string;
}

/** `pg-access audit`: who can do what on every table and view, as PostgreSQL decides it; changes nothing. */
export async function auditCommand(ctx: CliContext, options: AuditCommandOptions): Promise<ExitCode> {
  if ([options.json, options.markdown, options.html].filter(Boolean).length > 1) throw userError('USAGE', 'Choose one of --json, --markdown and --html.');
  if (options.html && options.diff !== undefined) throw userError('USAGE', '--diff prints text or --json; --html shows one audit.');
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
  if (options.diff !== undefined) {
    const earlier = readAuditJson(path.resolve(ctx.cwd, options.diff), options.diff);
    const changes = accessImpact(earlier, filterAudit(result, filter));
    if (options.json) writeJson(ctx.stdout, { version: AUDIT_JSON_VERSION, changes });
    else ctx.stdout.write(changes.length ? formatImpact(changes, ctx.stdout.colors, `Changes since ${options.diff}`) : `No change in effective access since ${options.diff}.\n`);
    return ExitCode.ok;
  }
  if (options.html) ctx.stdout.write(auditToHtml(filterAudit(result, filter)));
  else if (options.json) writeJson(ctx.stdout, auditToJson(result, filter));
  else ctx.stdout.write(formatAudit(result, options.markdown ? 'markdown' : 'text', filter));
  return ExitCode.ok;
}

/** An earlier `audit --json` output, checked enough to compare with: its version and its three lists. */
function readAuditJson(file: string, shown: string): EffectiveAccess {
  let parsed: { version?: unknown; roles?: unknown; relations?: unknown; access?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw userError('INVALID_AUDIT_FILE', `--diff ${shown}: cannot read it as JSON (${(cause as Error).message}). Pass a file written by pg-access audit --json.`, cause);
  }
  if (parsed?.version !== AUDIT_JSON_VERSION || !Array.isArray(parsed.roles) || !Array.isArray(parsed.relations) || !Array.isArray(parsed.access)) {
    throw userError('INVALID_AUDIT_FILE', `--diff ${shown}: not an audit of version ${AUDIT_JSON_VERSION} (pg-access audit --json writes one).`);
  }
  return { roles: parsed.roles, relations: parsed.relations, cells: parsed.access } as EffectiveAccess;
}

