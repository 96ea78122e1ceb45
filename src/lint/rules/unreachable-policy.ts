import type { LintRule } from '../lint-rule.js';
import { policyName } from '../lint-rule.js';
import { refusesEverything } from '../../model/policy.js';

/**
 * A policy no role ever reaches: for every role it applies to (its roles,
 * the members that inherit from them, everyone for PUBLIC), the audit finds
 * the command denied (no privilege, or no USAGE on the schema) or row
 * security bypassed. PostgreSQL checks privileges before policies, so such a
 * policy is dead text, usually because a grant was forgotten or revoked by a
 * tool that manages grants.
 */
export const unreachablePolicy: LintRule = {
  id: 'unreachable-policy',
  severity: 'warning',
  title: 'No role the policy applies to has the privilege for its command, so it never applies',
  why: 'Privileges are checked before policies: a role without the table privilege (or without USAGE on the schema) gets "permission denied" and never reaches the policy written for it. Usually a grant was forgotten, or revoked by a tool that manages grants.',
  check: ({ catalog, access }) => {
    // The policies each (table, command) cell reaches, as the audit evaluated them.
    const reached = new Set<string>();
    for (const c of access.cells) {
      if (c.access !== 'filtered' && c.access !== 'none') continue;
      for (const name of c.policies) reached.add(`${c.schema}\0${c.table}\0${name}\0${c.command}`);
    }
    // On a table without row security no policy applies to anyone: policies-rls-disabled says so.
    const rlsOff = new Set([...catalog.tables.values()].filter((t) => !t.rlsEnabled).map((t) => `${t.schema}\0${t.name}`));
    return catalog.policies
      .filter((p) => {
        if (rlsOff.has(`${p.schema}\0${p.table}`)) return false;
        // A fence that refuses every row (readOnly's no-write policies) is meant for commands nobody it names holds.
        if (refusesEverything(p)) return false;
        const commands = p.command === 'ALL' ? ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] : [p.command];
        return !commands.some((command) => reached.has(`${p.schema}\0${p.table}\0${p.name}\0${command}`));
      })
      .map((p) => {
        const who = p.roles.map((role) => (role === 'public' ? 'PUBLIC' : role)).join(', ');
        const privilege = p.command === 'ALL' ? 'SELECT, INSERT, UPDATE or DELETE' : p.command;
        return {
          object: policyName(p),
          message: `${policyName(p)} (${p.command}, to ${who}) never applies: no role it applies to holds ${privilege} on ${p.schema}.${p.table} with USAGE on schema ${p.schema} (or each bypasses row security).`,
          fix: `GRANT ${p.command === 'ALL' ? 'the privileges' : p.command} ON ${p.schema}.${p.table} TO ${who} (and USAGE on the schema), or drop the policy.`,
        };
      });
  },
};
