import type { Scope } from '../model/access-state.js';
import { grantKey, targetKey, type Grant, type GrantTarget } from '../model/grant.js';
import { grantScope } from '../model/grant-scope.js';
import { sortPrivileges } from '../model/privileges.js';
import { keyOf } from '../model/qualified-name.js';
import { grant, revoke, type GrantOp, type RevokeOp } from '../ops/grant.op.js';

type Change =
  | { action: 'grant'; withGrantOption: boolean; hadWithoutGrantOption: boolean }
  | { action: 'revoke'; grantOptionOnly: boolean; wasGrantable: boolean };

interface EntryChange {
  target: GrantTarget;
  grantee: string;
  privilege: string;
  change: Change;
}

/**
 * Grants are compared per (object, grantee, privilege), never as "ALL": a
 * declared ALL is expanded to the server's privilege list beforehand, so it
 * matches what PostgreSQL stores and never causes grant-then-revoke churn.
 * Changes to one (object, grantee) with the same flavour are merged into one
 * statement.
 */
export function diffGrants(desired: readonly Grant[], actual: readonly Grant[], scope: Scope): (GrantOp | RevokeOp)[] {
  const inScope = grantScope(scope);
  const actualByKey = new Map(actual.map((g) => [grantKey(g), g]));
  const stale = new Map(actual.filter((g) => inScope.inScope(g)).map((g) => [grantKey(g), g]));
  const changes: EntryChange[] = [];

  for (const want of desired) {
    const key = grantKey(want);
    const have = actualByKey.get(key);
    stale.delete(key);
    if (!have) {
      changes.push({ ...want, change: { action: 'grant', withGrantOption: want.grantable, hadWithoutGrantOption: false } });
    } else if (want.grantable && !have.grantable) {
      changes.push({ ...want, change: { action: 'grant', withGrantOption: true, hadWithoutGrantOption: true } });
    } else if (!want.grantable && have.grantable && !inScope.addOnly(want.target, want.grantee)) {
      changes.push({ ...want, change: { action: 'revoke', grantOptionOnly: true, wasGrantable: true } });
    }
  }
  for (const old of stale.values()) {
    if (inScope.addOnly(old.target, old.grantee)) continue;
    changes.push({ ...old, change: { action: 'revoke', grantOptionOnly: false, wasGrantable: old.grantable } });
  }
  changes.push(...columnEntriesLostWithTableRevokes(changes, actual, desired));
  return mergeIntoStatements(changes);
}

/**
 * PostgreSQL rule: revoking a table-level privilege (or its grant option) also
 * revokes the same privilege (or option) on every column of the table. A
 * column entry the declaration keeps would silently vanish, and the
 * downgrade could not bring it back. So each affected column entry is
 * revoked explicitly (its inverse re-grants it in the downgrade) and, if
 * still declared, granted again after the table-level revoke.
 */
function columnEntriesLostWithTableRevokes(changes: readonly EntryChange[], actual: readonly Grant[], desired: readonly Grant[]): EntryChange[] {
  const tableRevokes = new Map<string, boolean>();
  for (const c of changes) {
    if (c.target.kind === 'table' && c.change.action === 'revoke') tableRevokes.set(keyOf(c.target.schema, c.target.name, c.grantee, c.privilege), c.change.grantOptionOnly);
  }
  if (tableRevokes.size === 0) return [];
  const alreadyChanged = new Set(changes.map((c) => grantKey(c)));
  const desiredByKey = new Map(desired.map((g) => [grantKey(g), g]));
  const extra: EntryChange[] = [];
  for (const have of actual) {
    const t = have.target;
    if (t.kind !== 'column') continue;
    const optionOnly = tableRevokes.get(keyOf(t.schema, t.table, have.grantee, have.privilege));
    if (optionOnly === undefined || (optionOnly && !have.grantable)) continue;
    const key = grantKey(have);
    if (alreadyChanged.has(key)) continue; // already revoked, or its option handled
    const want = desiredByKey.get(key);
    if (optionOnly) {
      extra.push({ ...have, change: { action: 'revoke', grantOptionOnly: true, wasGrantable: true } });
      if (want?.grantable) extra.push({ ...have, change: { action: 'grant', withGrantOption: true, hadWithoutGrantOption: true } });
    } else {
      extra.push({ ...have, change: { action: 'revoke', grantOptionOnly: false, wasGrantable: have.grantable } });
      if (want) extra.push({ ...have, change: { action: 'grant', withGrantOption: want.grantable, hadWithoutGrantOption: false } });
    }
  }
  return extra;
}

function mergeIntoStatements(changes: readonly EntryChange[]): (GrantOp | RevokeOp)[] {
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
