import type { EffectiveAccess } from '../audit/effective-access.js';
import type { CatalogSnapshot } from '../introspect/catalog-snapshot.js';
import type { Op } from '../ops/op.js';
import type { DefinerFacts } from './definer-facts.js';
import type { PolicyPlans } from './policy-plans.js';

/*
 * A lint rule: a stable id, a severity, why it matters and how to fix it,
 * and a pure check over what the catalogs say (the snapshot discovery reads,
 * or the state a plan would leave) and the effective access computed from
 * it. One file per rule under rules/, listed in rules/index.ts.
 */

export type LintSeverity = 'error' | 'warning' | 'info';

export const LINT_SEVERITIES: readonly LintSeverity[] = ['error', 'warning', 'info'];

export interface LintFacts {
  readonly catalog: CatalogSnapshot;
  readonly access: EffectiveAccess;
  /** What the planner does with each policy's USING (policy-plans); absent when nothing was planned. */
  readonly plans?: PolicyPlans;
  /** SECURITY DEFINER routines and owner-rights views of the linted schemas (definer-facts); absent when not read. */
  readonly definer?: DefinerFacts;
}

export interface LintFinding {
  readonly rule: string;
  readonly severity: LintSeverity;
  /** The object, as `schema.table` or `policy "name" on schema.table`. */
  readonly object: string;
  readonly message: string;
  /** What to change. */
  readonly fix: string;
  /**
   * The operations that carry the fix out, when it is mechanical and changes
   * nothing but what the finding names (lint --fix writes them as a
   * migration, with their downgrade); absent when the fix needs a person's
   * choice (which grant to revoke, what search_path a function needs).
   * A function, called only by lint --fix: tens of thousands of findings
   * need no operations otherwise.
   */
  readonly repair?: () => readonly Op[];
}

export interface LintRule {
  /** Stable: suppressions and SARIF results name it. */
  readonly id: string;
  readonly severity: LintSeverity;
  /** One line: what the rule finds. */
  readonly title: string;
  /** Why it matters, for the documentation and SARIF's rule help. */
  readonly why: string;
  check(facts: LintFacts): readonly Omit<LintFinding, 'rule' | 'severity'>[];
}

/** `schema.table` as the findings name tables (identifiers as the catalogs spell them). */
export const tableName = (t: { readonly schema: string; readonly name: string }): string => `${t.schema}.${t.name}`;

export const policyName = (p: { readonly schema: string; readonly table: string; readonly name: string }): string => `policy "${p.name}" on ${p.schema}.${p.table}`;
