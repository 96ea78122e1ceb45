import type { AccessDeclaration } from '../declare/declarations.js';
import type { Queryable } from '../driver/queryable.js';
import { plan, type Plan, type PlanOptions } from './plan.js';

export interface CheckResult {
  readonly inSync: boolean;
  readonly plan: Plan;
  /** A readable drift report: one line per difference, and the SQL that would fix it. */
  readonly report: string;
}

/** Drift detection for CI: the database is in sync when the plan is empty. */
export async function check(db: Queryable, declaration: AccessDeclaration, options: Pick<PlanOptions, 'allowDropRoles' | 'lockTimeoutMs' | 'verify' | 'impact' | 'extraConnection' | 'afterRead'> = {}): Promise<CheckResult> {
  const planned = await plan(db, declaration, options);
  const report = planned.isEmpty
    ? 'In sync: the database matches the access declaration.'
    : [
        `Drift: ${planned.operations.length} difference${planned.operations.length > 1 ? 's' : ''} between the database and the declaration.`,
        ...planned.operations.map((o) => `  - ${o.description}\n${o.sql.map((s) => `      ${s.replaceAll('\n', '\n      ')};`).join('\n')}`),
      ].join('\n');
  return { inSync: planned.isEmpty, plan: planned, report };
}
