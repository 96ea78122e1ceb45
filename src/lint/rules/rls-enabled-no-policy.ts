import type { LintRule } from '../lint-rule.js';
import { tableName } from '../lint-rule.js';

/** splinter's rls_enabled_no_policy. */
export const rlsEnabledNoPolicy: LintRule = {
  id: 'rls-enabled-no-policy',
  severity: 'info',
  title: 'Row-level security is on and the table has no policy: every role but the owner sees no row',
  why: 'With RLS enabled and no policy, PostgreSQL denies every row to every role that is subject to RLS (default deny). That may be intended (a table only its owner or a BYPASSRLS role uses); if grants exist for other roles, those grants give nothing.',
  check: ({ catalog, access }) => {
    const withPolicies = new Set(catalog.policies.map((p) => `${p.schema}\0${p.table}`));
    return [...catalog.tables.values()]
      .filter((t) => (t.kind === 'r' || t.kind === 'p') && t.rlsEnabled && !withPolicies.has(`${t.schema}\0${t.name}`))
      .map((t) => {
        const blocked = [...new Set(access.cells.filter((c) => c.schema === t.schema && c.table === t.name && c.access === 'none').map((c) => (c.role === 'public' ? 'PUBLIC' : c.role)))];
        return {
          object: tableName(t),
          message: `${tableName(t)} has row-level security enabled and no policy${blocked.length ? `: ${blocked.join(', ')} hold privileges on it and see no row` : ''}.`,
          fix: `Add policies for the roles that should reach rows, or disable row-level security if the table is not meant to be filtered.`,
        };
      });
  },
};
