import type { Membership } from '../model/membership.js';

/** GRANT role TO member, with its options (on 16+ all three written out, so the result never depends on defaults). */
export interface GrantMembershipOp {
  readonly kind: 'grant-membership';
  readonly membership: Membership;
}

/** REVOKE role FROM member. Carries the options it had so the inverse restores them. */
export interface RevokeMembershipOp {
  readonly kind: 'revoke-membership';
  readonly membership: Membership;
}

/** Changes the options of an existing membership (ADMIN; on 16+ also INHERIT and SET). */
export interface AlterMembershipOp {
  readonly kind: 'alter-membership';
  readonly from: Membership;
  readonly to: Membership;
}

export const grantMembership = (membership: Membership): GrantMembershipOp => Object.freeze({ kind: 'grant-membership', membership });
export const revokeMembership = (membership: Membership): RevokeMembershipOp => Object.freeze({ kind: 'revoke-membership', membership });
export const alterMembership = (from: Membership, to: Membership): AlterMembershipOp => Object.freeze({ kind: 'alter-membership', from, to });
