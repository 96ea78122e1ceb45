import type { CheckResult, Diagnostic, Plan, PlannedOperation } from '../index.js';
import { describeChange, type AccessChange } from '../audit/access-impact.js';
import type { Colors, Terminal } from './terminal.js';

/** `plan --json`: the operations with their SQL (statements without trailing semicolons), as in the Plan. */
export interface PlanJson {
  readonly operations: readonly { readonly description: string; readonly sql: readonly string[]; readonly inverseSql: readonly string[] }[];
  /** The operations' statements, then the normalization records (COMMENT ON POLICY; no access change). */
  readonly up: readonly string[];
  readonly down: readonly string[];
  /** Bookkeeping: the COMMENT ON POLICY statements that record normalized expressions (also at the end of `up`). */
  readonly records: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  readonly isEmpty: boolean;
  /** Who gains and loses access (plan only): one entry per role, table and command whose access changes. */
  readonly impact?: readonly ImpactJson[];
}

export interface ImpactJson {
  readonly role: string;
  readonly schema: string;
  readonly table: string;
  readonly command: string;
  readonly kind: AccessChange['kind'];
  readonly description: string;
  readonly before: AccessChange['before'];
  readonly after: AccessChange['after'];
}

export function planToJson(plan: Plan): PlanJson {
  return {
    operations: plan.operations.map((o) => ({ description: o.description, sql: o.sql, inverseSql: o.inverseSql })),
    up: plan.up,
    down: plan.down,
    records: plan.records.flatMap((r) => r.sql),
    diagnostics: plan.diagnostics,
    isEmpty: plan.isEmpty,
    ...(plan.impact ? { impact: plan.impact.map((c) => ({ role: c.role, schema: c.schema, table: c.table, command: c.command, kind: c.kind, description: describeChange(c), before: c.before, after: c.after })) } : {}),
  };
}

/** How many impact lines the terminal shows; --json has them all. */
const IMPACT_LINES = 40;

/** The access a plan changes, widened first: the part a reviewer reads before the SQL. */
export function formatImpact(impact: readonly AccessChange[], c: Colors, title = 'Access impact'): string {
  if (impact.length === 0) return `${c.bold('Access impact:')} no role gains or loses access to a declared table (the plan changes other objects, or the same access another way).\n\n`;
  const order = { widened: 0, changed: 1, narrowed: 2 } as const;
  const sorted = [...impact].sort((a, b) => order[a.kind] - order[b.kind]);
  const mark = { widened: c.red('+ widened '), changed: c.yellow('~ changed '), narrowed: c.green('- narrowed') } as const;
  const counts = (['widened', 'changed', 'narrowed'] as const).map((k) => `${impact.filter((x) => x.kind === k).length} ${k}`).join(', ');
  const shown = sorted.slice(0, IMPACT_LINES).map((x) => `  ${mark[x.kind]}  ${describeChange(x)}\n`).join('');
  const more = impact.length > IMPACT_LINES ? `  … and ${impact.length - IMPACT_LINES} more (--json lists them all)\n` : '';
  return `${c.bold(`${title} (${counts}):`)}\n${shown}${more}\n`;
}

export function checkToJson(result: CheckResult): { inSync: boolean; report: string } & PlanJson {
  return { inSync: result.inSync, report: result.report, ...planToJson(result.plan) };
}

export function writeJson(terminal: Terminal, value: unknown): void {
  terminal.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The up and the down SQL under headings; each operation's description as an SQL comment above its statements. */
export function formatPlan(plan: Plan, c: Colors): string {
  if (plan.isEmpty) return `${c.green('No changes:')} the database matches the access declaration.\n`;
  const count = plan.operations.length;
  const records = plan.records.length
    ? `\n\n${c.dim(`-- bookkeeping: record how ${plan.records.length} declared ${plan.records.length === 1 ? 'policy normalizes' : 'policies normalize'}, so later checks need not (no access change)`)}\n${plan.records.flatMap((r) => r.sql).map(statement).join('\n')}`
    : '';
  return (
    `${c.bold(`Up (${count} operation${count === 1 ? '' : 's'}):`)}\n\n${formatOperations(plan.operations, c)}${records}\n\n` +
    `${c.bold('Down:')}\n\n${formatOperations(plan.downOperations, c)}\n`
  );
}

function formatOperations(operations: readonly PlannedOperation[], c: Colors): string {
  return operations.map((o) => `${c.dim(`-- ${o.description}`)}\n${o.sql.map(statement).join('\n')}`).join('\n\n');
}

/** One statement, terminated. Plan statements carry no semicolon of their own. */
export function statement(sql: string): string {
  return `${sql};`;
}

/** Diagnostics for stderr, one per line: `warning: <subject>: <message>`. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], c: Colors): string {
  return diagnostics
    .map((d) => {
      const label = d.severity === 'error' ? c.red('error:') : d.severity === 'warning' ? c.yellow('warning:') : c.cyan('note:');
      return `${label} ${d.subject}: ${d.message}\n`;
    })
    .join('');
}
