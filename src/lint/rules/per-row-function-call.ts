import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';
import { changePolicy } from '../../ops/policy.op.js';

/**
 * splinter's auth_rls_initplan, judged by the plan (lint/policy-plans):
 * `(SELECT current_setting(...))` is an InitPlan, and a bare call compared
 * with an indexed column is an index condition; only a call the plan
 * evaluates for every row is reported.
 */
export const perRowFunctionCall: LintRule = {
  id: 'per-row-function-call',
  severity: 'warning',
  title: 'A policy calls current_setting() or auth.uid()-style functions once per row',
  why: 'A stable function call in a policy filter is evaluated for every row the scan reads unless PostgreSQL can evaluate it once: wrapped in a scalar sub-select it becomes an InitPlan (once per query), and compared with an indexed column it becomes an index condition. On 1,000,000 rows the per-row form took x3 the time in the bench.',
  check: ({ plans }) =>
    (plans?.perRowCalls ?? []).map((c) => ({
      object: policyName(c.policy),
      message: `${policyName(c.policy)} evaluates ${c.functions.map((f) => `${f}()`).join(', ')} for every row its table's scan reads (the plan has it in a Filter, and no index takes it).`,
      fix: `Wrap each call in a scalar sub-select so that PostgreSQL evaluates it once per query: USING ${c.rewritten}`,
      // The same rows for every query: the call's value does not depend on the row.
      repair: () => changePolicy(c.policy, { ...c.policy, using: c.rewritten }),
    })),
};
