import type { LintRule } from '../lint-rule.js';
import { tableName } from '../lint-rule.js';

/**
 * splinter's rls_disabled_in_public, judged by who can actually read: a
 * table without row-level security that a role other than its owner (or
 * PUBLIC) may SELECT, in a schema those roles can use.
 */
export const rlsDisabledExposed: LintRule = {
  id: 'rls-disabled-readable',
  severity: 'warning',
  title: 'A table without row-level security is readable by roles other than its owner',
  why: 'Without RLS, every role with SELECT reads every row. For an API role (Supabase anon/authenticated, PostgREST) that is the whole table, which is what RLS exists to prevent.',
  check: ({ catalog, access }) =>
    [...catalog.tables.values()]
      .filter((t) => (t.kind === 'r' || t.kind === 'p') && !t.rlsEnabled)
      .flatMap((t) => {
        const readers = access.cells.filter((c) => c.schema === t.schema && c.table === t.name && c.command === 'SELECT' && c.access === 'all' && c.bypass === 'rls-disabled' && c.role !== t.owner);
        if (readers.length === 0) return [];
        return [
          {
            object: tableName(t),
            message: `${tableName(t)} has no row-level security and ${readers.map((c) => (c.role === 'public' ? 'PUBLIC' : c.role)).join(', ')} may read all of it.`,
            fix: `ALTER TABLE ${tableName(t)} ENABLE ROW LEVEL SECURITY and add policies, or revoke SELECT from those roles if they should not read it.`,
          },
        ];
      }),
};
