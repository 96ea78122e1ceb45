import type { LintFinding } from './lint-rule.js';
import type { LintResult } from './lint.js';
import { planOperations, type Plan } from '../plan/plan.js';
import { renderOp } from '../render/sql/render-op.js';

export interface LintFixes {
  /** The repairs of every reported finding that has one, as a plan (its downgrade restores the database as linted); null when none has. */
  readonly plan: Plan | null;
  readonly fixed: readonly LintFinding[];
  /** Findings whose fix needs a person's choice: printed, never guessed. */
  readonly leftToPerson: readonly LintFinding[];
}

/**
 * What `lint --fix` writes: the repairs of the reported findings (not the
 * suppressed ones) planned on the catalogs that were linted, in the same
 * safe order, with the same downgrade and access impact as a declared plan.
 * The same statement asked by two findings is made once.
 */
export function lintFixes(result: LintResult): LintFixes {
  const repairs = new Map(result.findings.flatMap((f) => (f.repair ? [[f, f.repair()] as const] : [])).filter(([, ops]) => ops.length > 0));
  const fixed = [...repairs.keys()];
  const seen = new Set<string>();
  const ops = [...repairs.values()].flat().filter((op) => {
    const key = renderOp(op).join(';\n');
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return {
    plan: ops.length ? planOperations(result.catalog, ops) : null,
    fixed,
    leftToPerson: result.findings.filter((f) => !repairs.has(f)),
  };
}
