import type { Scope } from '../model/access-state.js';
import { grantKey, targetKey, type Grant, type GrantTarget } from '../model/grant.js';
import { GrantLookup } from '../model/grant-lookup.js';
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
  const actualLookup = new GrantLookup(actual);
  const matched = new Uint8Array(actual.length);
  const changes: EntryChange[] = [];

  for (const want of desired) {
    const i = actualLookup.indexOf(want.target, want.grantee, want.privilege);
    if (i < 0) {
      changes.push({ ...want, change: { action: 'grant', withGrantOption: want.grantable, hadWithoutGrantOption: false } });
      continue;
    }
    matched[i] = 1;
    const have = actual[i]!;
    if (want.grantable && !have.grantable) {
      changes.push({ ...want, change: { action: 'grant', withGrantOption: true, hadWithoutGrantOption: true } });
    } else if (!want.grantable && have.grantable && !inScope.addOnly(want.target, want.grantee)) {
      changes.push({ ...want, change: { action: 'revoke', grantOptionOnly: true, wasGrantable: true } });
    }
  }
  // What is held, in scope, and not declared.
  actual.forEach((old, i) => {
    if (matched[i] || !inScope.inScope(old) || inScope.addOnly(old.target, old.grantee)) return;
    changes.push({ ...old, change: { action: 'revoke', grantOptionOnly: false, wasGrantable: old.grantable } });
  });
  return mergeIntoStatements(protectColumnEntries(changes, actualLookup, desired));
}

/**
 * PostgreSQL rule: revoking a table-level privilege (or its grant option) also
 * revokes the same privilege (or option) on every column of the table; a
 * table-level GRANT leaves the columns alone. That bites in both directions:
 * in the upgrade when it revokes a table-level entry, and in the downgrade
 * when it revokes a table-level entry the upgrade granted. A column entry
 * that exists both before and after the change would silently vanish (or
 * lose its grant option) on one side, and the next plan would not be empty
 * or the downgrade would not restore it.
 *
 * So such a column entry is revoked explicitly and granted again: revokes
 * run in the narrowing phase and grants in the widening phase, in the
 * upgrade and in its downgrade alike, so in either direction the column
 * entry is granted back after every table-level revoke, exactly as that
 * side needs it (its inverse re-grants the old entry). Column entries on
 * one side only need nothing: they are granted or revoked anyway.
 */
function protectColumnEntries(changes: readonly EntryChange[], actualLookup: GrantLookup, desired: readonly Grant[]): EntryChange[] {
  /** Per (table, grantee, privilege) with a table-level change: what it takes from the columns, and on which side. */
  const wipes = new Map<string, { full: boolean; side: 'before' | 'after' }>();
  for (const c of changes) {
    if (c.target.kind !== 'table') continue;
    const key = keyOf(c.target.schema, c.target.name, c.grantee, c.privilege);
    if (c.change.action === 'revoke') wipes.set(key, { full: !c.change.grantOptionOnly, side: 'before' });
    // The downgrade revokes what this grants: all of it, or just the option it adds.
    else wipes.set(key, { full: !c.change.hadWithoutGrantOption, side: 'after' });
  }
  if (wipes.size === 0) return [...changes];
  const protectedKeys = new Set<string>();
  const extra: EntryChange[] = [];
  for (const want of desired) {
    const t = want.target;
    if (t.kind !== 'column') continue;
    const wipe = wipes.get(keyOf(t.schema, t.table, want.grantee, want.privilege));
    if (!wipe) continue;
    const have = actualLookup.grants[actualLookup.indexOf(t, want.grantee, want.privilege)];
    if (!have) continue;
    const key = grantKey(want);
    // A grant option is only taken from an entry that has one on that side.
    if (!wipe.full && !(wipe.side === 'before' ? have.grantable : want.grantable)) continue;
    protectedKeys.add(key);
    extra.push({ ...want, change: { action: 'revoke', grantOptionOnly: false, wasGrantable: have.grantable } });
    extra.push({ ...want, change: { action: 'grant', withGrantOption: want.grantable, hadWithoutGrantOption: false } });
  }
  if (protectedKeys.size === 0) return [...changes];
  return [...changes.filter((c) => !protectedKeys.has(grantKey(c))), ...extra];
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
