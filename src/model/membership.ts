import { keyOf } from './qualified-name.js';

/**
 * `member` belongs to `role` (GRANT role TO member). Options as stored in
 * pg_auth_members, merged over grantors. `inherit` and `set` exist from
 * PostgreSQL 16 on and are null before (inheritance is then the member's
 * rolinherit attribute, and SET ROLE is always allowed).
 */
export interface Membership {
  readonly role: string;
  readonly member: string;
  readonly admin: boolean;
  readonly inherit: boolean | null;
  readonly set: boolean | null;
}

export function membershipKey(m: Pick<Membership, 'role' | 'member'>): string {
  return keyOf(m.role, m.member);
}

export function sameMembershipOptions(a: Membership, b: Membership): boolean {
  return a.admin === b.admin && a.inherit === b.inherit && a.set === b.set;
}

/** Whether `to` grants more than `from` (ordered like grants: widening last). */
export function membershipWidens(from: Membership, to: Membership): boolean {
  return (to.admin && !from.admin) || (to.inherit === true && from.inherit !== true) || (to.set === true && from.set !== true);
}

/** A membership edge: `member` belongs to `role`. */
export interface MembershipEdge {
  readonly role: string;
  readonly member: string;
}

/** Each role's direct members (`down`) or the roles it is a member of (`up`). */
export function membershipGraph(edges: readonly MembershipEdge[], direction: 'up' | 'down'): Map<string, string[]> {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const [from, to] = direction === 'down' ? [e.role, e.member] : [e.member, e.role];
    const list = next.get(from);
    if (list) list.push(to);
    else next.set(from, [to]);
  }
  return next;
}

/** `start` and every role reached from it through `next` (membershipGraph). */
export function reachableRoles(start: string, next: ReadonlyMap<string, readonly string[]>): Set<string> {
  const found = new Set([start]);
  const queue = [start];
  while (queue.length) {
    for (const r of next.get(queue.pop()!) ?? []) {
      if (!found.has(r)) {
        found.add(r);
        queue.push(r);
      }
    }
  }
  return found;
}
