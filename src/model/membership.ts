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
