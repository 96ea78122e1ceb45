import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';

/** The texts PostgreSQL stores for a clause that is always true, as pg_get_expr prints them. */
const ALWAYS_TRUE = new Set(['true', '(true)', '(1 = 1)', "('a'::text = 'a'::text)"]);

/**
 * splinter's rls_policy_always_true, judged on PostgreSQL's own text and
 * only where it admits rows: a permissive policy whose clause is true. An
 * INSERT policy without WITH CHECK or a DELETE policy without USING is not
 * "always true" but inert (see permissive-policy-without-clause).
 */
export const policyAlwaysTrue: LintRule = {
  id: 'policy-always-true',
  severity: 'warning',
  title: 'A permissive policy admits every row (USING or WITH CHECK is always true)',
  why: 'Permissive policies are OR-ed: one whose clause is always true lets its roles read or write every row, whatever the other policies say. Deliberate for public data; a mistake when copied from an example.',
  check: ({ catalog }) =>
    catalog.policies
      .filter((p) => p.permissive && ((p.using !== null && ALWAYS_TRUE.has(p.using)) || (p.withCheck !== null && ALWAYS_TRUE.has(p.withCheck))))
      .map((p) => ({
        object: policyName(p),
        message: `${policyName(p)} (${p.command}, to ${p.roles.join(', ')}) ${p.using !== null && ALWAYS_TRUE.has(p.using) ? `admits every row (USING ${p.using})` : `accepts every new row (WITH CHECK ${p.withCheck})`}.`,
        fix: `Write the condition rows must meet, or, if every row is public by design, keep it and suppress this finding with the reason.`,
      })),
};
