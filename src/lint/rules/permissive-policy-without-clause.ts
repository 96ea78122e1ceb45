import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';

/**
 * A permissive INSERT policy without WITH CHECK, or a SELECT, UPDATE or
 * DELETE one without USING, admits nothing through it (PostgreSQL skips a
 * permissive policy's missing clause). Splinter counts such policies as
 * "always true"; they are the opposite.
 */
export const permissivePolicyWithoutClause: LintRule = {
  id: 'permissive-policy-without-clause',
  severity: 'warning',
  title: 'A permissive policy has no clause for its command, so it admits nothing',
  why: 'PostgreSQL ORs the clauses of the permissive policies that apply; a policy without the clause its command needs contributes nothing, so the rows it was meant to allow stay denied.',
  check: ({ catalog }) =>
    catalog.policies
      .filter((p) => p.permissive && ((p.command === 'INSERT' && p.withCheck === null) || (p.command !== 'INSERT' && p.using === null)))
      .map((p) => ({
        object: policyName(p),
        message: `${policyName(p)} is a permissive ${p.command} policy without ${p.command === 'INSERT' ? 'WITH CHECK' : 'USING'}: it admits no row.`,
        fix: p.command === 'INSERT' ? `Give it WITH CHECK (the condition new rows must meet).` : `Give it USING (the condition rows must meet).`,
      })),
};
