import type { Policy } from '../model/policy.js';

export interface CreatePolicyOp {
  readonly kind: 'create-policy';
  readonly policy: Policy;
}
export interface DropPolicyOp {
  readonly kind: 'drop-policy';
  /** The full old definition, so the inverse recreates exactly what was there. */
  readonly policy: Policy;
}
/** Changes roles, USING and/or WITH CHECK in place: no moment without the policy. */
export interface AlterPolicyOp {
  readonly kind: 'alter-policy';
  readonly from: Policy;
  readonly to: Policy;
}
/** DROP + CREATE, for changes ALTER POLICY cannot express (command, permissive/restrictive, removing a clause). */
export interface ReplacePolicyOp {
  readonly kind: 'replace-policy';
  readonly from: Policy;
  readonly to: Policy;
}

export const createPolicy = (policy: Policy): CreatePolicyOp => Object.freeze({ kind: 'create-policy', policy });
export const dropPolicy = (policy: Policy): DropPolicyOp => Object.freeze({ kind: 'drop-policy', policy });

/**
 * PostgreSQL rule: ALTER POLICY can set TO, USING and WITH CHECK, but cannot
 * change FOR <command> or AS PERMISSIVE/RESTRICTIVE, and cannot remove a
 * USING or WITH CHECK clause once present (there is no "USING NONE"). Every
 * other change is an in-place ALTER.
 */
export function canAlterInPlace(from: Policy, to: Policy): boolean {
  return (
    from.command === to.command &&
    from.permissive === to.permissive &&
    !(from.using !== null && to.using === null) &&
    !(from.withCheck !== null && to.withCheck === null)
  );
}

export function changePolicy(from: Policy, to: Policy): AlterPolicyOp | ReplacePolicyOp {
  return canAlterInPlace(from, to)
    ? Object.freeze({ kind: 'alter-policy', from, to })
    : Object.freeze({ kind: 'replace-policy', from, to });
}
