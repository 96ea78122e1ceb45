import type { LintRule } from '../lint-rule.js';
import { tableName } from '../lint-rule.js';

/** Grants to PUBLIC on a table with row-level security: every role, present and future, reaches what the policies for PUBLIC allow. */
export const publicGrantOnRlsTable: LintRule = {
  id: 'public-grant-on-rls-table',
  severity: 'warning',
  title: 'PUBLIC holds privileges on a table with row-level security',
  why: 'A grant to PUBLIC reaches every role, including roles created later; with RLS, what they reach is decided by the policies for PUBLIC alone. Grants to the roles that need the table are easier to review.',
  check: ({ catalog }) =>
    [...catalog.tables.values()]
      .filter((t) => t.rlsEnabled && t.acl.some((e) => e.grantee === 'public'))
      .map((t) => ({
        object: tableName(t),
        message: `PUBLIC holds ${[...new Set(t.acl.filter((e) => e.grantee === 'public').map((e) => e.privilege))].join(', ')} on ${tableName(t)}, which has row-level security.`,
        fix: `REVOKE them FROM PUBLIC and grant them to the roles that need the table.`,
      })),
};
