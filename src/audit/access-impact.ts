import { AUDIT_COMMANDS, leftOutCell, oneLine, type AccessCell, type AuditCommand, type EffectiveAccess } from './effective-access.js';

/*
 * What a change does to who can do what: two effective-access matrices
 * (before and after a plan, or two audits) compared cell by cell. A level
 * moves up (widened) or down (narrowed) along denied < no rows < rows < all
 * rows; rows to rows with another predicate is a changed condition, which
 * pg-access does not claim to order (that would take proving one predicate
 * implies another). Column-only access counts by its columns.
 */

export type ImpactKind = 'widened' | 'narrowed' | 'changed';

export interface AccessChange {
  readonly role: string;
  readonly schema: string;
  readonly table: string;
  readonly command: AuditCommand;
  readonly kind: ImpactKind;
  readonly before: AccessCell;
  readonly after: AccessCell;
}

const LEVEL = { denied: 0, none: 1, filtered: 2, all: 3 } as const;

export function accessImpact(before: EffectiveAccess, after: EffectiveAccess): AccessChange[] {
  const roles = [...new Set(['public', ...before.roles.map((r) => r.name), ...after.roles.map((r) => r.name)])];
  const relations = new Map([...before.relations, ...after.relations].map((r) => [`${r.schema}\0${r.name}`, r]));
  const index = (m: EffectiveAccess) => new Map(m.cells.map((c) => [`${c.role}\0${c.schema}\0${c.table}\0${c.command}`, c]));
  const [was, will] = [index(before), index(after)];
  const changes: AccessChange[] = [];
  for (const role of roles) {
    for (const rel of relations.values()) {
      for (const command of AUDIT_COMMANDS) {
        const key = `${role}\0${rel.schema}\0${rel.name}\0${command}`;
        const b = was.get(key) ?? leftOutCell(before, role, rel.schema, rel.name, command);
        const a = will.get(key) ?? leftOutCell(after, role, rel.schema, rel.name, command);
        const kind = compare(b, a);
        if (kind) changes.push({ role, schema: rel.schema, table: rel.name, command, kind, before: b, after: a });
      }
    }
  }
  return changes;
}

function compare(b: AccessCell, a: AccessCell): ImpactKind | null {
  if (LEVEL[a.access] !== LEVEL[b.access]) return LEVEL[a.access] > LEVEL[b.access] ? 'widened' : 'narrowed';
  if (a.access === 'denied') return null;
  const columns = compareColumns(b.columns, a.columns);
  const condition = a.access === 'filtered' && (a.using !== b.using || a.withCheck !== b.withCheck);
  // The same level for another reason (a bypass through ownership instead of RLS off) is no change in access.
  if (!condition) return columns;
  return 'changed';
}

function compareColumns(b: readonly string[] | null, a: readonly string[] | null): ImpactKind | null {
  if (JSON.stringify(b) === JSON.stringify(a)) return null;
  if (a === null) return 'widened';
  if (b === null) return 'narrowed';
  if (b.every((c) => a.includes(c))) return 'widened';
  if (a.every((c) => b.includes(c))) return 'narrowed';
  return 'changed';
}

const WORDS = { denied: 'nothing', none: 'no rows', filtered: 'rows', all: 'every row' } as const;

/** One line per change: "app_user can now DELETE on public.docs where (owner_id = …)". */
export function describeChange(c: AccessChange): string {
  const who = c.role === 'public' ? 'PUBLIC' : c.role;
  const on = `${c.schema}.${c.table}`;
  const what = (cell: AccessCell) => {
    const cols = cell.columns ? ` (columns ${cell.columns.join(', ')})` : '';
    if (cell.access === 'filtered') {
      const parts = [...(cell.using !== null ? [`where ${oneLine(cell.using)}`] : []), ...(cell.withCheck !== null ? [`checking ${oneLine(cell.withCheck)}`] : [])];
      return `rows ${parts.join(', ')}${cols}`;
    }
    return `${WORDS[cell.access]}${cols}`;
  };
  if (c.before.access === 'denied') return `${who} can now ${c.command} on ${on}: ${what(c.after)}`;
  if (c.after.access === 'denied') return `${who} can no longer ${c.command} on ${on} (was: ${what(c.before)})`;
  return `${who} ${c.command} on ${on} ${c.kind}: ${what(c.before)} → ${what(c.after)}`;
}
