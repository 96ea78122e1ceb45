import type { Diagnostic } from '../model/diagnostic.js';
import type { Policy } from '../model/policy.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';

/** A sub-select whose result grows as the rows it sees shrink, as written or as PostgreSQL prints it (`NOT (EXISTS ( SELECT`, `NOT (x IN ( SELECT`). Loose on purpose: it only warns. */
const NEGATED_SUBQUERY = /\bNOT\b[\s(]*EXISTS\b|\bNOT\b[^;]*?\bIN\s*\(\s*SELECT\b|<>\s*ALL\s*\(\s*SELECT\b/i;

/**
 * The safe order (plan/order-operations) holds for expressions that let
 * more through when the tables they read show more rows: a policy that
 * reads another table through NOT EXISTS or NOT IN lets more through while
 * the plan narrows that table's access, so no order of the statements
 * alone keeps it within the old and the new state. A non-empty plan where
 * such a policy is in force says so once; in one transaction (apply, the
 * SQL and drizzle-kit migrations) nobody sees the steps in between.
 */
export function nonMonotonePolicies(policies: readonly Policy[]): Diagnostic[] {
  const seen = new Set<string>();
  const found = policies.filter((p) => {
    const key = `${p.schema}\0${p.table}\0${p.name}`;
    if (seen.has(key) || !(NEGATED_SUBQUERY.test(p.using ?? '') || NEGATED_SUBQUERY.test(p.withCheck ?? ''))) return false;
    seen.add(key);
    return true;
  });
  if (found.length === 0) return [];
  const named = found.slice(0, 3).map((p) => `${quoteIdent(p.name)} on ${quoteQualified(p.schema, p.table)}`);
  return [
    {
      code: 'ORDER_NEEDS_TRANSACTION',
      severity: 'warning',
      subject: named[0]!,
      message: `${found.length === 1 ? 'Policy' : `${found.length} policies, among them`} ${named.join(', ')} read${found.length === 1 ? 's' : ''} another table through NOT EXISTS or NOT IN: while this plan narrows access to what it reads, it lets more rows through. Run the plan in one transaction (apply, and the SQL and drizzle-kit migrations, do); run statement by statement without one, it may let through rows neither the old nor the new state allows.`,
    },
  ];
}
