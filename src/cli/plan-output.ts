import type { CheckResult, Diagnostic, Plan, PlannedOperation } from '../index.js';
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
}

export function planToJson(plan: Plan): PlanJson {
  return {
    operations: plan.operations.map((o) => ({ description: o.description, sql: o.sql, inverseSql: o.inverseSql })),
    up: plan.up,
    down: plan.down,
    records: plan.records.flatMap((r) => r.sql),
    diagnostics: plan.diagnostics,
    isEmpty: plan.isEmpty,
  };
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
