import type { AuditResult } from './audit.js';
import { AUDIT_COMMANDS, oneLine, type AccessCell, type EffectiveAccess } from './effective-access.js';

/*
 * An audit as text: a terminal table per relation (roles × commands), the
 * same as Markdown for a pull request, or JSON (AUDIT_JSON_VERSION, see the
 * README). Roles without any access to a relation are counted, not listed.
 */

export const AUDIT_JSON_VERSION = 1;

export interface AuditFilter {
  /** Only these roles ('public' for PUBLIC). */
  readonly roles?: readonly string[];
  /** Only these relations, as 'schema.name' or 'name'. */
  readonly tables?: readonly string[];
}

export function auditToJson(result: AuditResult, filter: AuditFilter = {}): unknown {
  const { roles, relations, cells } = filterAudit(result, filter);
  return { version: AUDIT_JSON_VERSION, database: result.database, serverVersionNum: result.serverVersionNum, schemas: result.schemas, roles, relations, access: cells };
}

const BYPASS_WORDS: Record<NonNullable<AccessCell['bypass']>, string> = {
  superuser: 'superuser',
  bypassrls: 'BYPASSRLS',
  owner: 'owner',
  'rls-disabled': 'RLS off',
  'not-a-table': 'no RLS on views',
  truncate: 'TRUNCATE ignores RLS',
};

/** A cell in a few words: `all (owner)`, `rows`, `no rows`, `-`, with `cols a, b` for column privileges. */
function word(c: AccessCell): string {
  const base = c.access === 'denied' ? (c.denied === 'no-schema-usage' ? '- (no schema USAGE)' : '-') : c.access === 'all' ? `all (${BYPASS_WORDS[c.bypass!]})` : c.access === 'filtered' ? 'rows' : 'no rows';
  return c.columns && c.access !== 'denied' ? `${base}, cols ${c.columns.join(', ')}` : base;
}

export function formatAudit(result: AuditResult, format: 'text' | 'markdown', filter: AuditFilter = {}): string {
  const { relations, cells } = filterAudit(result, filter);
  const md = format === 'markdown';
  const out: string[] = [];
  const roleCount = result.roles.filter((r) => !filter.roles || filter.roles.includes(r.name)).length;
  const withPublic = !filter.roles || filter.roles.includes('public');
  const superusers = result.roles.filter((r) => r.superuser && (!filter.roles || filter.roles.includes(r.name))).map((r) => r.name);
  const listed = result.roles.filter((r) => !r.superuser && (!filter.roles || filter.roles.includes(r.name))).length + (withPublic ? 1 : 0);
  out.push(
    `${md ? '## ' : ''}Effective access in database "${result.database}" (schemas: ${result.schemas.join(', ') || 'none'}): ${roleCount} role${roleCount === 1 ? '' : 's'}${withPublic ? ' and PUBLIC' : ''}, ${relations.length} relation${relations.length === 1 ? '' : 's'}`,
    '',
    ...(superusers.length ? [`Superusers, who may do everything on every row (not listed below): ${superusers.join(', ')}.`, ''] : []),
    `${md ? '_' : ''}all: every row (and why row security does not apply) · rows: the rows its policies allow (filters below) · no rows: row security applies and no permissive policy does · -: denied · cols: column privileges only${md ? '_' : ''}`,
  );
  const byRelation = new Map<string, AccessCell[]>();
  for (const c of cells) {
    const key = `${c.schema}.${c.table}`;
    byRelation.set(key, [...(byRelation.get(key) ?? []), c]);
  }
  for (const rel of relations) {
    const key = `${rel.schema}.${rel.name}`;
    const relCells = byRelation.get(key) ?? [];
    // Cells list only what is not plainly denied (effective-access): a role without one here has no privilege.
    const shown = [...new Set(relCells.filter((c) => c.access !== 'denied' || c.denied === 'no-schema-usage').map((c) => c.role))];
    const kind = rel.kind === 'r' || rel.kind === 'p' ? (rel.rlsEnabled ? `RLS on${rel.rlsForced ? ', forced' : ''}` : 'RLS off') : { v: 'view', m: 'materialized view', f: 'foreign table' }[rel.kind] ?? rel.kind;
    out.push('', `${md ? '### ' : ''}${key} (${kind}; owner ${rel.owner})`, '');
    const header = ['role', ...AUDIT_COMMANDS];
    const rows = shown.map((role) => [role === 'public' ? 'PUBLIC' : role, ...AUDIT_COMMANDS.map((command) => {
      const c = relCells.find((x) => x.role === role && x.command === command);
      return c ? word(c) : '-';
    })]);
    if (rows.length === 0) out.push(md ? '_No role has any access._' : '  No role has any access.');
    else out.push(...(md ? markdownTable(header, rows) : textTable(header, rows)));
    const hidden = listed - shown.length;
    if (hidden > 0 && rows.length > 0) out.push(md ? `\n_${hidden} other role${hidden === 1 ? '' : 's'}: no access._` : `  (${hidden} other role${hidden === 1 ? '' : 's'}: no access)`);
    const filters = relCells.filter((c) => c.access === 'filtered');
    if (filters.length) {
      out.push(md ? '\nFilters:\n' : '  filters:');
      for (const c of filters) {
        const who = `${c.role === 'public' ? 'PUBLIC' : c.role} ${c.command}`;
        const sql = (text: string) => (md ? code(oneLine(text)) : oneLine(text));
        const parts = [...(c.using !== null ? [`rows where ${sql(c.using)}`] : []), ...(c.withCheck !== null ? [`new rows must satisfy ${sql(c.withCheck)}`] : [])].join('; ');
        out.push(md ? `- **${escapeMarkdown(who)}**: ${parts}` : `    ${who}: ${parts}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** The roles, relations and cells the filter asks for. */
export function filterAudit<A extends EffectiveAccess>(result: A, filter: AuditFilter): A {
  const wantTable = (schema: string, name: string) => !filter.tables || filter.tables.some((t) => t === `${schema}.${name}` || t === name);
  return {
    ...result,
    roles: result.roles.filter((r) => !filter.roles || filter.roles.includes(r.name)),
    relations: result.relations.filter((r) => wantTable(r.schema, r.name)),
    cells: result.cells.filter((c) => wantTable(c.schema, c.table) && (!filter.roles || filter.roles.includes(c.role))),
  };
}

function textTable(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)];
}

/** Inline code that holds any text: fenced with more backticks than the longest run inside it. */
function code(text: string): string {
  const fence = '`'.repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return `${fence} ${text} ${fence}`;
}


function escapeMarkdown(text: string): string {
  return text.replace(/[|\\`*_[\]<>]/g, (ch) => `\\${ch}`);
}
