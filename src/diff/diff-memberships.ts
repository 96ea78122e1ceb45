import type { Scope } from '../model/access-state.js';
import { membershipKey, sameMembershipOptions, type Membership } from '../model/membership.js';
import {
  alterMembership,
  grantMembership,
  revokeMembership,
  type AlterMembershipOp,
  type GrantMembershipOp,
  type RevokeMembershipOp,
} from '../ops/membership.op.js';

type MembershipOp = GrantMembershipOp | RevokeMembershipOp | AlterMembershipOp;

/**
 * A managed role's memberships are exactly its declared inRoles: missing ones
 * granted, options changed in place, extra ones revoked. An existing role
 * declared with inRoles has its memberships in managed roles managed the
 * same way; the ones it is declared to have in other roles are only added.
 */
export function diffMemberships(desired: readonly Membership[], actual: readonly Membership[], scope: Scope): MembershipOp[] {
  const fullMembers = new Set(scope.membershipMembers);
  const partialMembers = new Set(scope.partialMembershipMembers);
  const managedGroups = new Set([...scope.roles, ...scope.droppedRoles]);
  const inScope = (m: Membership) => fullMembers.has(m.member) || (partialMembers.has(m.member) && managedGroups.has(m.role));

  const actualByKey = new Map(actual.map((m) => [membershipKey(m), m]));
  const stale = new Map(actual.filter(inScope).map((m) => [membershipKey(m), m]));
  const ops: MembershipOp[] = [];
  for (const want of desired) {
    const key = membershipKey(want);
    const have = actualByKey.get(key);
    stale.delete(key);
    if (!have) ops.push(grantMembership(want));
    else if (!sameMembershipOptions(have, want) && inScope(want)) ops.push(...changeOptions(have, want));
  }
  for (const old of stale.values()) ops.push(revokeMembership(old));
  return ops;
}

/** Splits a change that both gives and takes options into a narrowing step and a widening step. */
function changeOptions(from: Membership, to: Membership): AlterMembershipOp[] {
  const narrower = (a: boolean | null, b: boolean | null) => (a === null || b === null ? b : a && b);
  const middle: Membership = { ...to, admin: from.admin && to.admin, inherit: narrower(from.inherit, to.inherit), set: narrower(from.set, to.set) };
  const steps: AlterMembershipOp[] = [];
  if (!sameMembershipOptions(from, middle)) steps.push(alterMembership(from, middle));
  if (!sameMembershipOptions(middle, to)) steps.push(alterMembership(middle, to));
  return steps;
}
