import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';
import { oneLine } from '../../audit/effective-access.js';
import type { Policy } from '../../model/policy.js';

/** Texts always true as pg_get_expr prints them, for when no plan was read (lintCatalog without plans). */
const ALWAYS_TRUE = new Set(['true', '(true)', '(1 = 1)', "('a'::text = 'a'::text)"]);

/**
 * splinter's rls_policy_always_true, judged on PostgreSQL's own text and
 * only where it admits rows: a permissive policy whose clause is true. An
 * INSERT policy without WITH CHECK or a DELETE policy without USING is not
 * "always true" but inert (see permissive-policy-without-clause). A clause
 * is always true when the planner folds it away (lint/policy-plans): any
 * spelling PostgreSQL can prove, `x OR true` included.
 */
export const policyAlwaysTrue: LintRule = {
  id: 'policy-always-true',
  severity: 'warning',
  title: 'A permissive policy admits every row (USING or WITH CHECK is always true)',
  why: 'Permissive policies are OR-ed: one whose clause is always true lets its roles read or write every row, whatever the other policies say. Deliberate for public data; a mistake when copied from an example.',
  check: ({ catalog, plans }) => {
    const folded = new Set((plans?.alwaysTrue ?? []).map((a) => `${a.clause}\0${a.policy.schema}\0${a.policy.table}\0${a.policy.name}`));
    const isTrue = (p: Policy, clause: 'using' | 'withCheck') => p[clause] !== null && (ALWAYS_TRUE.has(p[clause]!) || folded.has(`${clause}\0${p.schema}\0${p.table}\0${p.name}`));
    return catalog.policies
      .filter((p) => p.permissive && (isTrue(p, 'using') || isTrue(p, 'withCheck')))
      .map((p) => ({
        object: policyName(p),
        message: `${policyName(p)} (${p.command}, to ${p.roles.join(', ')}) ${isTrue(p, 'using') ? `admits every row (USING ${oneLine(p.using!)})` : `accepts every new row (WITH CHECK ${oneLine(p.withCheck!)})`}.`,
        fix: `Write the condition rows must meet, or, if every row is public by design, keep it and suppress this finding with the reason.`,
      }));
  },
};
