import type { LintRule } from '../lint-rule.js';
import { tableName } from '../lint-rule.js';

/** splinter's multiple_permissive_policies, per role (PUBLIC included) and command, from the audit's view of which policies apply. */
export const multiplePermissivePolicies: LintRule = {
  id: 'multiple-permissive-policies',
  severity: 'info',
  title: 'Several permissive policies apply to one role and command',
  why: 'PostgreSQL evaluates every permissive policy that applies and ORs them: each one is run for each row, and the access a role gets is the sum of all of them, which is harder to review than one policy.',
  check: ({ catalog, access }) => {
    const permissive = new Set(catalog.policies.filter((p) => p.permissive).map((p) => `${p.schema}\0${p.table}\0${p.name}`));
    return access.cells
      .filter((c) => c.access === 'filtered' && c.command !== 'TRUNCATE')
      .map((c) => ({ c, names: c.policies.filter((n) => permissive.has(`${c.schema}\0${c.table}\0${n}`)) }))
      .filter(({ names }) => names.length > 1)
      .map(({ c, names }) => ({
        object: tableName({ schema: c.schema, name: c.table }),
        message: `${c.role === 'public' ? 'PUBLIC' : c.role} ${c.command} on ${c.schema}.${c.table} goes through ${names.length} permissive policies (${names.join(', ')}).`,
        fix: `Merge them into one policy per role and command, or suppress this finding if keeping them apart reads better.`,
      }));
  },
};
