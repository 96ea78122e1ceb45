import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';
import { quoteIdent, quoteQualified } from '../../render/sql/quote.js';

/**
 * Judged by the plan (lint/policy-plans): with sequential scans discouraged,
 * the table is still read by a Seq Scan whose Filter compares a column with a
 * per-query value, and no index leads with that column. A policy is part of
 * every query its roles run on the table; without an index each of them
 * reads every row. No splinter counterpart (its unindexed_foreign_keys is
 * about joins).
 */
export const policyFilterWithoutIndex: LintRule = {
  id: 'policy-filter-without-index',
  severity: 'info',
  title: 'A policy compares a column with a per-query value and no index can take it',
  why: "Every query a role runs under the policy carries its filter. `owner_id = (SELECT auth.uid())` is answered by an index on owner_id in time that grows with the rows a user owns; without one, PostgreSQL reads the whole table for every query, and the policy's cost grows with the table.",
  check: ({ plans }) =>
    (plans?.unindexed ?? []).map((u) => ({
      object: policyName(u.policy),
      message: `${policyName(u.policy)} filters ${u.policy.schema}.${u.policy.table} by ${u.columns.join(', ')}, and no index leads with ${u.columns.length > 1 ? 'any of them' : 'it'}: the plan reads the table by a sequential scan even with sequential scans discouraged.`,
      fix: u.columns.map((c) => `CREATE INDEX ON ${quoteQualified(u.policy.schema, u.policy.table)} (${quoteIdent(c)})`).join('; or ') + ' (an index leading with the column the policy compares).',
    })),
};
