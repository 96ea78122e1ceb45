import type { LintRule } from '../lint-rule.js';
import { tableName } from '../lint-rule.js';
import { privilegesOfRoles } from '../../audit/effective-access.js';
import type { Policy } from '../../model/policy.js';
import { qualifiedKey } from '../../model/qualified-name.js';
import { setRls } from '../../ops/set-rls.op.js';
import { quoteQualified } from '../../render/sql/quote.js';

/**
 * The application connects as the table's owner (or a role with the owner's
 * privileges), and the policies written for it do not apply: row security
 * is on but not FORCEd, and PostgreSQL exempts whoever has the owner's
 * privileges. Reported for login roles a policy of the table names (by name,
 * through a group, or as PUBLIC) so that an owner that only runs migrations
 * (a superuser, or a role no policy is written for) is not flagged.
 */
export const ownerRlsNotForced: LintRule = {
  id: 'owner-rls-not-forced',
  severity: 'warning',
  title: "A login role has the table owner's privileges and the table's RLS is not FORCEd: its policies do not apply to it",
  why: 'Row security does not apply to the table owner, or to roles that inherit its privileges, unless the table has FORCE ROW LEVEL SECURITY. An application that connects as the owner sees and writes every row, whatever the policies written for it say: the most common way a working RLS setup leaks in production.',
  check: ({ catalog, access }) => {
    const privsOf = privilegesOfRoles(catalog);
    const byTable = new Map<string, Set<string>>();
    const policiesOf = new Map<string, Policy[]>();
    for (const p of catalog.policies) {
      const key = `${p.schema}\0${p.table}`;
      let list = policiesOf.get(key);
      if (!list) policiesOf.set(key, (list = []));
      list.push(p);
    }
    for (const c of access.cells) {
      if (c.bypass !== 'owner' || c.command !== 'SELECT') continue;
      const role = catalog.roles.get(c.role);
      if (!role?.login) continue;
      const privs = privsOf(c.role);
      const named = (policiesOf.get(`${c.schema}\0${c.table}`) ?? []).some((p) => p.roles.some((r) => r === 'public' || privs.has(r)));
      if (!named) continue;
      const key = `${c.schema}\0${c.table}`;
      byTable.set(key, (byTable.get(key) ?? new Set()).add(c.role));
    }
    return [...byTable].map(([key, roles]) => {
      const [schema, name] = key.split('\0') as [string, string];
      const owner = catalog.tables.get(qualifiedKey({ schema, name }))?.owner;
      const who = [...roles].sort().join(', ');
      return {
        object: tableName({ schema, name }),
        message: `${who} can log in and ${roles.size > 1 ? 'have' : 'has'} ${[...roles].every((r) => r === owner) ? 'the rights of the owner' : `the privileges of ${owner}, the owner`} of ${schema}.${name}, whose row security is enabled but not forced: the policies written for ${roles.size > 1 ? 'them' : 'it'} do not apply, and ${roles.size > 1 ? 'they see' : 'it sees'} every row.`,
        fix: `ALTER TABLE ${quoteQualified(schema, name)} FORCE ROW LEVEL SECURITY (declared: rls: 'force'), or connect the application as a role that does not own the table.`,
        repair: () => [setRls(schema, name, 'forced', true)],
      };
    });
  },
};
