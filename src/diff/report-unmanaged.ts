import type { AccessState, Scope } from '../model/access-state.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { describeTarget, relationKey, targetKey } from '../model/grant.js';
import { keyOf } from '../model/qualified-name.js';

/**
 * Differences pg-access sees but does not manage: privileges on declared
 * tables (and their columns) held by roles the declaration does not name. They are reported,
 * never changed; listing the role in defineAccess({ roles }) brings them
 * under management (and revokes what is not declared).
 */
export function reportUnmanaged(actual: AccessState, scope: Scope): Diagnostic[] {
  const tables = new Set(scope.tables.map((t) => relationKey('table', t.schema, t.name)));
  // Roles declared with grants: 'unmanaged' hold what they hold on purpose: not reported.
  // So do where-declared roles on the objects where nothing is declared for them.
  const grantees = new Set([...scope.grantees, ...(scope.unmanagedGrantees ?? []), ...Object.keys(scope.grantedWhereDeclared ?? {})]);
  const byHolder = new Map<string, { subject: string; grantee: string; privileges: string[] }>();
  for (const g of actual.grants) {
    const t = g.target;
    if (grantees.has(g.grantee) || (t.kind !== 'table' && t.kind !== 'column')) continue;
    // targetKey of a table target is computed once per table, not per entry.
    const table = t.kind === 'table' ? targetKey(t) : relationKey('table', t.schema, t.table);
    if (!tables.has(table)) continue;
    const key = keyOf(targetKey(g.target), g.grantee);
    const entry = byHolder.get(key) ?? { subject: describeTarget(g.target), grantee: g.grantee, privileges: [] };
    entry.privileges.push(g.privilege);
    byHolder.set(key, entry);
  }
  return [...byHolder.values()].map(({ subject, grantee, privileges }) => ({
    code: 'UNMANAGED_GRANT',
    severity: 'info' as const,
    subject,
    message: `${grantee === 'public' ? 'PUBLIC' : `Role "${grantee}"`} holds ${privileges.join(', ')} on ${subject}, which the declaration does not mention; left as is (list the role in defineAccess({ roles }) to manage it).`,
  }));
}
