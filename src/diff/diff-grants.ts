import type { Scope } from '../model/access-state.js';
import { grantKey, targetKey, type Grant, type GrantTarget } from '../model/grant.js';
import { sortPrivileges } from '../model/privileges.js';
import { keyOf, qualifiedKey } from '../model/qualified-name.js';
import { grant, revoke, type GrantOp, type RevokeOp } from '../ops/grant.op.js';

type Change =
  | { action: 'grant'; withGrantOption: boolean; hadWithoutGrantOption: boolean }
  | { action: 'revoke'; grantOptionOnly: boolean; wasGrantable: boolean };

/**
 * Grants are compared per (object, grantee, privilege), never as "ALL": a
 * declared ALL is expanded to the server's privilege list beforehand, so it
 * matches what PostgreSQL stores and never causes grant-then-revoke churn.
 * Changes to one (object, grantee) with the same flavour are merged into one
 * statement.
 */
export function diffGrants(desired: readonly Grant[], actual: readonly Grant[], scope: Scope): (GrantOp | RevokeOp)[] {
  const scopeIndex = indexScope(scope);
  const relevantActual = new Map(actual.filter((g) => inScopeFast(g, scopeIndex)).map((g) => [grantKey(g), g]));
  const changes: { target: GrantTarget; grantee: string; privilege: string; change: Change }[] = [];

  for (const want of desired) {
    const key = grantKey(want);
    const have = relevantActual.get(key);
    relevantActual.delete(key);
    if (!have) {
      changes.push({ ...want, change: { action: 'grant', withGrantOption: want.grantable, hadWithoutGrantOption: false } });
    } else if (want.grantable && !have.grantable) {
      changes.push({ ...want, change: { action: 'grant', withGrantOption: true, hadWithoutGrantOption: true } });
    } else if (!want.grantable && have.grantable && !isGrantOnly(want.target, scopeIndex)) {
      changes.push({ ...want, change: { action: 'revoke', grantOptionOnly: true, wasGrantable: true } });
    }
  }
  for (const stale of relevantActual.values()) {
    if (isGrantOnly(stale.target, scopeIndex)) continue;
    changes.push({ ...stale, change: { action: 'revoke', grantOptionOnly: false, wasGrantable: stale.grantable } });
  }

  const groups = new Map<string, { target: GrantTarget; grantee: string; change: Change; privileges: string[] }>();
  for (const c of changes) {
    const flags = c.change.action === 'grant' ? [c.change.withGrantOption, c.change.hadWithoutGrantOption] : [c.change.grantOptionOnly, c.change.wasGrantable];
    const key = keyOf(targetKey(c.target), c.grantee, c.change.action, ...flags);
    const group = groups.get(key) ?? { target: c.target, grantee: c.grantee, change: c.change, privileges: [] };
    group.privileges.push(c.privilege);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ target, grantee, change, privileges }) => {
    const sorted = sortPrivileges(privileges);
    return change.action === 'grant'
      ? grant({ target, grantee, privileges: sorted, withGrantOption: change.withGrantOption, hadWithoutGrantOption: change.hadWithoutGrantOption })
      : revoke({ target, grantee, privileges: sorted, grantOptionOnly: change.grantOptionOnly, wasGrantable: change.wasGrantable });
  });
}

interface ScopeIndex {
  grantees: Set<string>;
  schemas: Set<string>;
  grantOnlySchemas: Set<string>;
  tables: Set<string>;
  sequences: Set<string>;
}

function indexScope(scope: Scope): ScopeIndex {
  return {
    grantees: new Set(scope.grantees),
    schemas: new Set(scope.schemas),
    grantOnlySchemas: new Set(scope.grantOnlySchemas),
    tables: new Set(scope.tables.map(qualifiedKey)),
    sequences: new Set(scope.sequences.map(qualifiedKey)),
  };
}

/**
 * Whether an ACL entry is pg-access's business: the object is in scope and the
 * grantee is a managed one. On schemas only declared ones are fully managed
 * (see Scope.grantOnlySchemas). For owned sequences only USAGE is managed (the
 * privilege an INSERT into a serial column needs); other sequence privileges
 * are left as they are.
 */
function inScopeFast(g: Grant, s: ScopeIndex): boolean {
  if (!s.grantees.has(g.grantee)) return false;
  const t = g.target;
  if (t.kind === 'schema') return s.schemas.has(t.name) || s.grantOnlySchemas.has(t.name);
  if (t.kind === 'table') return s.tables.has(qualifiedKey(t));
  return g.privilege === 'USAGE' && s.sequences.has(qualifiedKey(t));
}

function isGrantOnly(target: GrantTarget, s: ScopeIndex): boolean {
  return target.kind === 'schema' && !s.schemas.has(target.name);
}
