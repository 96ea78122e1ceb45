import type { LintRule } from '../lint-rule.js';
import { tableName } from '../lint-rule.js';
import { setRls } from '../../ops/set-rls.op.js';

/** splinter's policy_exists_rls_disabled; pgrls's RLS001-style "policies without RLS". */
export const policiesRlsDisabled: LintRule = {
  id: 'policies-rls-disabled',
  severity: 'error',
  title: 'A table has policies but row-level security is off, so none of them is enforced',
  why: 'Without ENABLE ROW LEVEL SECURITY, PostgreSQL ignores every policy on the table: each role with a table privilege reads and writes every row, whatever the policies say.',
  check: ({ catalog }) => {
    const withPolicies = new Map<string, number>();
    for (const p of catalog.policies) withPolicies.set(`${p.schema}\0${p.table}`, (withPolicies.get(`${p.schema}\0${p.table}`) ?? 0) + 1);
    return [...catalog.tables.values()]
      .filter((t) => (t.kind === 'r' || t.kind === 'p') && !t.rlsEnabled && withPolicies.has(`${t.schema}\0${t.name}`))
      .map((t) => ({
        object: tableName(t),
        message: `${withPolicies.get(`${t.schema}\0${t.name}`)} polic${withPolicies.get(`${t.schema}\0${t.name}`) === 1 ? 'y is' : 'ies are'} defined on ${tableName(t)}, but row-level security is disabled: none is enforced.`,
        fix: `ALTER TABLE ${tableName(t)} ENABLE ROW LEVEL SECURITY (in a declaration: table('${tableName(t)}', { rls: true, ... })), or drop the policies if they are not meant to apply.`,
        // Narrows access to what the policies allow; the migration's header lists who loses what.
        repair: () => [setRls(t.schema, t.name, 'enabled', true)],
      }));
  },
};
