/**
 * Text every migration format shares: the migration's name and instant, SQL
 * comments that no name can break out of, the header lines (what it does,
 * who gains and loses access, the plan's warnings) and the BEGIN/COMMIT
 * script of a downgrade file.
 */
import { PgAccessError } from '../../errors.js';
import type { Plan, PlannedOperation } from '../../plan/plan.js';
import { describeChange, type AccessChange } from '../../audit/access-impact.js';
import type { MigrationInput } from './migration-writer.js';

/** An empty plan has nothing to migrate: writing an empty migration would only clutter the history. */
export function assertPlanHasOperations(plan: Plan): void {
  if (plan.isEmpty || plan.up.length === 0) {
    throw new PgAccessError('EMPTY_MIGRATION', 'The plan is empty: the database already matches the declaration, so there is no migration to write.');
  }
}

/**
 * A name safe in any file system and migration tool: accents dropped,
 * lower case, every run of other characters an underscore, at most 64
 * characters. `Docs: owner policies` → `docs_owner_policies`.
 */
export function migrationName(name: string): string {
  const sanitized = String(name)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 64)
    .replace(/_$/, '');
  if (sanitized === '') {
    throw new PgAccessError('INVALID_MIGRATION_NAME', `The migration name ${JSON.stringify(name)} has no letters or digits; use a short name such as 'documents_policies'.`);
  }
  return sanitized;
}

export function migrationInstant(now: Date | undefined): Date {
  const instant = now ?? new Date();
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new PgAccessError('INVALID_MIGRATION_TIME', `writeMigration({ now }) must be a valid Date, got ${String(now)}.`);
  }
  return instant;
}

/** YYYYMMDDHHMMSS in UTC, so the folder name does not depend on the machine's time zone. */
export function migrationTimestamp(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

/**
 * `-- text` lines. Descriptions name tables, policies and roles, which may
 * hold any character: a line break would end the comment and turn the rest
 * of the name into SQL, so control characters are written as escapes. `-->`
 * is spaced out so a name cannot forge drizzle-kit's statement breakpoint.
 */
export function sqlComment(lines: readonly string[]): string {
  return lines.map((line) => (line === '' ? '--' : `-- ${commentSafe(line)}`)).join('\n');
}

function commentSafe(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => {
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    })
    .replace(/-->/g, '-- >');
}

/** "What it does:" followed by the numbered operation descriptions. */
export function operationLines(ops: readonly PlannedOperation[]): string[] {
  return [`What it does (${ops.length} operation${ops.length === 1 ? '' : 's'}):`, ...ops.map((o, i) => `  ${i + 1}. ${o.description}`)];
}

/**
 * Who gains and loses access (the plan's impact, when it was computed), at
 * the top of the migration where a reviewer reads first; `down` describes
 * the downgrade, the same changes the other way.
 */
export function impactLines(plan: Plan, direction: 'up' | 'down'): string[] {
  if (!plan.impact) return [];
  const changes = direction === 'up' ? plan.impact : plan.impact.map(reversed);
  if (changes.length === 0) return ['', 'Access impact: no role gains or loses access to a declared table.'];
  const mark = { widened: '+ widened ', changed: '~ changed ', narrowed: '- narrowed' } as const;
  const order = { widened: 0, changed: 1, narrowed: 2 } as const;
  const counts = (['widened', 'changed', 'narrowed'] as const).map((k) => `${changes.filter((c) => c.kind === k).length} ${k}`).join(', ');
  return ['', `Access impact (${counts}):`, ...[...changes].sort((a, b) => order[a.kind] - order[b.kind]).map((c) => `  ${mark[c.kind]}  ${describeChange(c)}`)];
}

function reversed(c: AccessChange): AccessChange {
  return { ...c, before: c.after, after: c.before, kind: c.kind === 'widened' ? 'narrowed' : c.kind === 'narrowed' ? 'widened' : 'changed' };
}

/** Warnings the plan carried, so they travel with the migration into review. */
export function warningLines(plan: Plan): string[] {
  const warnings = plan.diagnostics.filter((d) => d.severity !== 'info');
  if (warnings.length === 0) return [];
  return ['', 'Warnings when planned:', ...warnings.map((d) => `  - ${d.subject}: ${d.message} [${d.code}]`)];
}

/** Header comment, BEGIN;, each statement ending with `;`, COMMIT; and a final newline. */
export function transactionScript(header: readonly string[], statements: readonly string[]): string {
  return [sqlComment(header), 'BEGIN;', ...statements.map((s) => `${s};`), 'COMMIT;'].join('\n\n') + '\n';
}

/** The plan as a writer sees it: statements (with the normalization records, unless too many) and the lines a reviewer reads. */
export function migrationInput(plan: Plan, name: string, now: Date, withRecords = true): MigrationInput {
  return {
    name: migrationName(name),
    now,
    up: { statements: withRecords ? plan.up : plan.operations.flatMap((o) => o.sql), notes: [...operationLines(plan.operations), ...impactLines(plan, 'up'), ...warningLines(plan)] },
    down: { statements: withRecords ? plan.down : plan.downOperations.flatMap((o) => o.sql), notes: [...operationLines(plan.downOperations), ...impactLines(plan, 'down'), ...warningLines(plan)] },
  };
}
