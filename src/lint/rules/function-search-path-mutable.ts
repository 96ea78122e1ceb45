import { pinsSearchPath } from '../definer-facts.js';
import type { LintRule } from '../lint-rule.js';

/**
 * splinter's function_search_path_mutable, for SECURITY DEFINER routines: an
 * invoker's routine resolves names under the caller's own rights, so a
 * hijacked name gives the caller nothing it did not have.
 */
export const functionSearchPathMutable: LintRule = {
  id: 'function-search-path-mutable',
  severity: 'warning',
  title: 'A SECURITY DEFINER function does not pin its search_path with pg_temp last',
  why: "Unqualified names in the function resolve through the caller's search_path, and pg_temp is searched first for tables unless the path names it last (even when the function sets search_path = ''): a caller can create a temporary table (or, with CREATE on a schema earlier in the path, a function) named like one the function uses, and the function reads or calls it with its owner's privileges.",
  check: ({ definer }) =>
    (definer?.routines ?? [])
      .filter((r) => !pinsSearchPath(r.searchPath))
      .map((r) => ({
        object: `function ${r.schema}.${r.signature}`,
        message:
          r.searchPath === null
            ? `${r.schema}.${r.signature} is SECURITY DEFINER and does not set search_path: its unqualified names resolve through the caller's, temporary tables first.`
            : `${r.schema}.${r.signature} is SECURITY DEFINER and sets search_path = ${r.searchPath} without pg_temp last: a caller's temporary table is still found first.`,
        fix: `ALTER FUNCTION ${r.schema}.${r.signature} SET search_path = ${r.schema}, pg_temp (pg_temp last), and qualify the names it uses.`,
      })),
};
