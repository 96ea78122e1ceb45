import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';

/** A restrictive policy restricts only through its clauses: without USING (and WITH CHECK) it restricts nothing, fail-open. */
export const restrictivePolicyWithoutUsing: LintRule = {
  id: 'restrictive-policy-without-clause',
  severity: 'error',
  title: 'A restrictive policy has no clause, so it restricts nothing',
  why: 'PostgreSQL ANDs the clauses of restrictive policies; a restrictive policy without USING filters no row (and without WITH CHECK checks no new row). A fence meant to isolate tenants that has no clause lets every row through: fail-open.',
  check: ({ catalog }) =>
    catalog.policies
      .filter((p) => !p.permissive && p.using === null && (p.withCheck === null || p.command === 'SELECT' || p.command === 'DELETE'))
      .map((p) => ({
        object: policyName(p),
        message: p.command === 'INSERT' ? `${policyName(p)} is restrictive and has no WITH CHECK: it checks no new row.` : `${policyName(p)} is restrictive and has no USING: it filters no row.`,
        fix: `Give it USING (and WITH CHECK for writes), or drop it.`,
      })),
};
