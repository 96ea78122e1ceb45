import type { CatalogStructure } from '../introspect/catalog-snapshot.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { relationKey, type Grant } from '../model/grant.js';
import { membershipGraph, reachableRoles, type MembershipEdge } from '../model/membership.js';
import { refusesEverything, type Policy, type PolicyCommand } from '../model/policy.js';
import { qualifiedKey } from '../model/qualified-name.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';

/** The table privileges a command needs; a policy FOR ALL is reachable through any of them. */
const COMMAND_PRIVILEGES: Record<PolicyCommand, readonly string[]> = {
  SELECT: ['SELECT'],
  INSERT: ['INSERT'],
  UPDATE: ['UPDATE'],
  DELETE: ['DELETE'],
  ALL: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
};

/** How many policies one warning names before "and N more". */
const NAMED = 5;

/**
 * The lockout trap: a policy for a role that, once the plan is applied, has
 * no privilege for the policy's command on its table (granted to it
 * directly or to PUBLIC, table- or column-level) can never apply: PostgreSQL
 * checks privileges before policies. Declaring only policies for a role
 * whose grants pg-access manages revokes its grants, and every such policy
 * becomes unreachable; one warning per role says so and how to fix it.
 *
 * After the plan, a managed grantee holds exactly its desired grants; any
 * other holder keeps what the catalog shows. The owner always holds every
 * privilege. A policy for a group reaches its members (through `edges`,
 * the memberships before and after the plan). A privilege the role inherits
 * from a group it is a member of is not seen here (the warning says so).
 */
export function unreachablePolicies(
  policies: readonly Policy[],
  desiredGrants: readonly Grant[],
  catalog: CatalogStructure,
  managedGrantees: ReadonlySet<string>,
  grantsUnmanaged: ReadonlySet<string>,
  edges: readonly MembershipEdge[] = [],
  whereDeclared: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Diagnostic[] {
  // What a role holds after the plan on a table: its desired grants where pg-access manages them, what it holds elsewhere.
  const managedOn = (grantee: string, table: string) => managedGrantees.has(grantee) && (whereDeclared.get(grantee)?.has(table) ?? true);
  // A policy for a group applies to every role that inherits from it: reachable if any of them holds the privilege.
  const membersOf = membershipGraph(edges, 'down');
  const reached = new Map<string, Set<string>>();
  const reachedBy = (role: string): Set<string> => {
    let found = reached.get(role);
    if (!found) reached.set(role, (found = reachableRoles(role, membersOf)));
    return found;
  };
  // Table key → grantee → privileges held after the plan. Nested, so that a
  // lookup per policy and role builds no string (at 10,000 tables this ran
  // once per grant and three times per policy role, and showed in profiles).
  const held = new Map<string, Map<string, Set<string>>>();
  const holdersOf = (key: string) => {
    let holders = held.get(key);
    if (!holders) held.set(key, (holders = new Map()));
    return holders;
  };
  const hold = (holders: Map<string, Set<string>>, grantee: string, privilege: string) => {
    let privileges = holders.get(grantee);
    if (!privileges) holders.set(grantee, (privileges = new Set()));
    privileges.add(privilege);
  };
  let last: { target: object; holders: Map<string, Set<string>> } | undefined;
  for (const g of desiredGrants) {
    const t = g.target;
    if (t.kind !== 'table' && t.kind !== 'column') continue;
    // Grants on one object share their target and come together.
    if (last?.target !== t) last = { target: t, holders: holdersOf(qualifiedKey({ schema: t.schema, name: t.kind === 'table' ? t.name : t.table })) };
    hold(last.holders, g.grantee, g.privilege);
  }
  const read = new Set<string>();
  const byRole = new Map<string, { named: string[]; count: number; unmanaged: boolean }>();
  for (const p of policies) {
    // A RESTRICTIVE policy that refuses everything (readOnly's no-write fences) is there for commands the role should never get: without the privilege it is as meant.
    if (refusesEverything(p)) continue;
    const key = qualifiedKey({ schema: p.schema, name: p.table });
    const table = catalog.tables.get(key);
    if (!table) continue;
    const holders = holdersOf(key);
    if (!read.has(key)) {
      read.add(key);
      const tableKey = whereDeclared.size ? relationKey('table', p.schema, p.table) : '';
      for (const e of table.acl) if (!managedOn(e.grantee, tableKey)) hold(holders, e.grantee, e.privilege);
      for (const e of table.columnAcl) if (!managedOn(e.grantee, tableKey)) hold(holders, e.grantee, e.privilege);
    }
    const needs = COMMAND_PRIVILEGES[p.command];
    const has = (grantee: string) => {
      const privileges = holders.get(grantee);
      return privileges !== undefined && needs.some((privilege) => privileges.has(privilege));
    };
    for (const role of p.roles) {
      if (role === 'public' || has('public') || [...reachedBy(role)].some((r) => r === table.owner || has(r))) continue;
      let entry = byRole.get(role);
      if (!entry) byRole.set(role, (entry = { named: [], count: 0, unmanaged: grantsUnmanaged.has(role) }));
      if (++entry.count <= NAMED) entry.named.push(`${quoteIdent(p.name)} on ${quoteQualified(p.schema, p.table)} (${p.command === 'ALL' ? 'any command' : p.command})`);
    }
  }
  return [...byRole].map(([role, { named, count, unmanaged }]) => {
    const listed = named.join(', ') + (count > NAMED ? `, and ${count - NAMED} more` : '');
    const fix = unmanaged
      ? `its grants are unmanaged (grants: 'unmanaged'), so grant the privileges where they are kept`
      : `grant the privileges they need (grant('SELECT', { to: ${JSON.stringify(role)} }), ...), or, if the role's grants are kept elsewhere (a provider's role), declare it existingRole(${JSON.stringify(role)}, { grants: 'unmanaged' }) so that pg-access leaves them alone`;
    return {
      code: 'POLICY_UNREACHABLE',
      severity: 'warning' as const,
      subject: quoteIdent(role),
      message: `${count} polic${count > 1 ? 'ies' : 'y'} for role ${quoteIdent(role)} can never apply, because after this plan the role has no privilege for the command on the table (granted directly or to PUBLIC; a privilege it inherits from a role it is a member of is not seen here): ${listed}. PostgreSQL checks privileges before policies: ${fix}.`,
    };
  });
}

