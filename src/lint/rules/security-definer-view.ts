import type { LintRule } from '../lint-rule.js';

/**
 * splinter's security_definer_view: a view reads its tables as its owner
 * (unless security_invoker, PostgreSQL 15 on), so row-level security on
 * those tables is applied to the owner, not to whoever reads the view.
 */
export const securityDefinerView: LintRule = {
  id: 'security-definer-view',
  severity: 'warning',
  title: "A view over tables with row-level security is read with its owner's rights",
  why: "A view is executed with its owner's privileges, and the owner's row-level security: when the owner owns the tables (without FORCE) or bypasses RLS, every reader of the view sees every row the policies would hide from it.",
  check: ({ definer, catalog }) =>
    (definer?.views ?? [])
      .filter((v) => v.readers.length > 0)
      .map((v) => {
        const owner = catalog.roles.get(v.owner);
        const bypass = v.rlsTables.filter((name) => {
          const t = [...catalog.tables.values()].find((x) => `${x.schema}.${x.name}` === name);
          return owner?.superuser || owner?.bypassRls || (t !== undefined && t.owner === v.owner && !t.rlsForced);
        });
        return {
          object: `${v.schema}.${v.name}`,
          message: `${v.schema}.${v.name} reads ${v.rlsTables.join(', ')} (row-level security) as its owner ${v.owner}, and ${v.readers.map((r) => (r === 'public' ? 'PUBLIC' : r)).join(', ')} may read it${bypass.length ? `: the owner bypasses RLS on ${bypass.join(', ')}, so its readers see every row there` : ''}.`,
          fix: `ALTER VIEW ${v.schema}.${v.name} SET (security_invoker = true) (PostgreSQL 15 and later), or revoke SELECT on it from roles the policies should filter.`,
        };
      }),
};
