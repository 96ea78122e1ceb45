import { createHash } from 'node:crypto';
import { membershipGraph, membershipKey, reachableRoles, type MembershipEdge } from '../model/membership.js';
import type { Policy } from '../model/policy.js';
import { compareText } from '../model/qualified-name.js';
import { createPolicy, dropPolicy } from '../ops/policy.op.js';
import type { Op } from '../ops/op.js';

/**
 * Holds for a run without a transaction. A restrictive policy for role g
 * fences every role that inherits g's privileges. When a plan revokes a
 * membership (or its inheritance) early, with the other narrowing steps, the
 * member and everyone inheriting through it stop being fenced by g's
 * policies at once, while the fences the new state puts on them may come
 * only with a membership granted at the end (a member moving from one fenced
 * group to another). For that stretch, each such policy is copied for
 * those members (created with the other fences, phase 3 of
 * order-operations) and the copy dropped with the old fences (phase 10),
 * when every fence of the new state applies.
 *
 * Conservative on purpose: a member that still inherits the policy's role
 * another way gets a copy too; a copy never opens anything.
 *
 * `policies` are the restrictive policies in place when the plan starts;
 * `edges` every membership then; `versionNum` decides whether a role's
 * INHERIT attribute still governs its existing memberships (before
 * PostgreSQL 16) or each membership has its own option (16 on).
 */
export function transitionFences(
  ops: readonly Op[],
  policies: readonly Policy[],
  edges: readonly MembershipEdge[],
  versionNum: number,
  after: readonly Policy[] = [],
): Op[] {
  return [...narrowingHolds(ops, policies, edges, versionNum), ...wideningHolds(ops, after, edges, versionNum)];
}

/**
 * The mirror case: memberships granted (or made to inherit) with the other
 * widening steps. Each applies the new state's fences of its group to the
 * member only when it is granted, while a membership granted before it (or a
 * privilege) may already give the member access: a member joining a group
 * with privileges and a fenced group would, between the two grants, hold the
 * privileges unfenced (found by the statement-by-statement property, seed
 * 1859288388: GRANT b, then GRANT c, whose restrictive policy fences rows b's
 * privileges reach). So each fence of the new state that will reach a member
 * through a membership it gains is copied for that member with the other
 * fences (phase 3) and the copy dropped with the old fences (phase 10),
 * when the membership is in place.
 */
function wideningHolds(ops: readonly Op[], after: readonly Policy[], edges: readonly MembershipEdge[], versionNum: number): Op[] {
  const widened: MembershipEdge[] = [];
  for (const op of ops) {
    if (op.kind === 'grant-membership') widened.push(op.membership);
    else if (op.kind === 'alter-membership' && op.to.inherit === true && op.from.inherit !== true) widened.push(op.to);
    else if (op.kind === 'alter-role' && versionNum < 160000 && !op.from.inherit && op.to.inherit) {
      for (const e of edgesAfter(edges, ops)) if (e.member === op.to.name) widened.push(e);
    }
  }
  if (widened.length === 0) return [];
  const final = edgesAfter(edges, ops);
  return holdsFor(widened, after, membershipGraph(final, 'up'), membershipGraph(final, 'down'), 'gain');
}

function narrowingHolds(ops: readonly Op[], policies: readonly Policy[], edges: readonly MembershipEdge[], versionNum: number): Op[] {
  const narrowed: MembershipEdge[] = [];
  for (const op of ops) {
    if (op.kind === 'revoke-membership') narrowed.push(op.membership);
    else if (op.kind === 'alter-membership' && op.from.inherit === true && op.to.inherit !== true) narrowed.push(op.to);
    else if (op.kind === 'alter-role' && versionNum < 160000 && op.from.inherit && !op.to.inherit) {
      for (const e of edges) if (e.member === op.to.name) narrowed.push(e);
    }
  }
  if (narrowed.length === 0) return [];
  return holdsFor(narrowed, policies, membershipGraph(edges, 'up'), membershipGraph(edges, 'down'), 'hold');
}

/**
 * For each changed edge: the roles whose fences it carries (the group and
 * what it inherits from) and the roles they reach (the member and what
 * inherits from it); each restrictive policy of those roles copied for them.
 */
function holdsFor(changed: readonly MembershipEdge[], policies: readonly Policy[], parents: Map<string, string[]>, children: Map<string, string[]>, kind: 'hold' | 'gain'): Op[] {
  const losses = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const e of changed) {
    if (seen.has(membershipKey(e))) continue;
    seen.add(membershipKey(e));
    const members = reachableRoles(e.member, children);
    for (const role of reachableRoles(e.role, parents)) {
      const lost = losses.get(role) ?? losses.set(role, new Set()).get(role)!;
      for (const m of members) lost.add(m);
    }
  }
  const holds: Op[] = [];
  for (const p of policies) {
    if (p.permissive) continue;
    const members = new Set<string>();
    for (const role of p.roles) for (const m of losses.get(role) ?? []) members.add(m);
    for (const role of p.roles) members.delete(role);
    if (members.size === 0 || p.roles.includes('public')) continue;
    const held = [...members].sort(compareText);
    const copy: Policy = { schema: p.schema, table: p.table, name: holdName(p.name, kind), command: p.command, permissive: false, roles: held, using: p.using, withCheck: p.withCheck };
    const purpose = { kind: 'hold' as const, name: p.name, members: held };
    holds.push(createPolicy(copy, purpose), dropPolicy(copy, purpose));
  }
  return holds;
}

/** The memberships after `ops` (for the downgrade's holds: its start is the plan's end). */
export function edgesAfter(edges: readonly MembershipEdge[], ops: readonly Op[]): MembershipEdge[] {
  const revoked = new Set(ops.filter((o) => o.kind === 'revoke-membership').map((o) => membershipKey(o.membership)));
  const kept = edges.filter((e) => !revoked.has(membershipKey(e)));
  const have = new Set(kept.map(membershipKey));
  for (const o of ops) if (o.kind === 'grant-membership' && !have.has(membershipKey(o.membership))) kept.push(o.membership);
  return kept;
}

/** A name no declared policy uses, for the hold of `name` (a narrowing and a widening hold of one policy may coexist). Deterministic so output is reproducible. */
function holdName(name: string, kind: 'hold' | 'gain'): string {
  return `pg_access_${kind}_${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}
