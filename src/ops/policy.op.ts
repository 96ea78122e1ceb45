import { createHash } from 'node:crypto';
import type { Policy } from '../model/policy.js';

/**
 * Why a policy is created or dropped under a name no declaration uses, for
 * a safe order without a transaction (plan/order-operations):
 * - `staged`: the new version of the policy `name`, created beside the old
 *   one and renamed to `name` once the old one is dropped;
 * - `hold`: a copy of the restrictive policy `name` for `members`, who stop
 *   being fenced by it through a membership while the plan runs (see
 *   plan/transition-fences); dropped when the plan's fences are in place.
 */
export type PolicyPurpose = { readonly kind: 'staged'; readonly name: string } | { readonly kind: 'hold'; readonly name: string; readonly members: readonly string[] };

export interface CreatePolicyOp {
  readonly kind: 'create-policy';
  readonly policy: Policy;
  readonly purpose?: PolicyPurpose;
}
export interface DropPolicyOp {
  readonly kind: 'drop-policy';
  /** The full old definition, so the inverse recreates exactly what was there. */
  readonly policy: Policy;
  readonly purpose?: PolicyPurpose;
}
/**
 * ALTER POLICY ... RENAME TO, for a staged version (see PolicyPurpose):
 * `last` puts the new version in place after the old one is dropped;
 * `first` (its inverse, in a downgrade) moves it aside before the old one
 * is created again.
 */
export interface RenamePolicyOp {
  readonly kind: 'rename-policy';
  readonly schema: string;
  readonly table: string;
  readonly from: string;
  readonly to: string;
  readonly stage: 'first' | 'last';
}
/** Changes roles, USING and/or WITH CHECK of a permissive policy in place (see changePolicy). */
export interface AlterPolicyOp {
  readonly kind: 'alter-policy';
  readonly from: Policy;
  readonly to: Policy;
}
/** DROP + CREATE of a permissive policy, for changes ALTER POLICY cannot express (command, removing a clause). */
export interface ReplacePolicyOp {
  readonly kind: 'replace-policy';
  readonly from: Policy;
  readonly to: Policy;
}

export const createPolicy = (policy: Policy, purpose?: PolicyPurpose): CreatePolicyOp =>
  Object.freeze(purpose ? { kind: 'create-policy', policy, purpose } : { kind: 'create-policy', policy });
export const dropPolicy = (policy: Policy, purpose?: PolicyPurpose): DropPolicyOp =>
  Object.freeze(purpose ? { kind: 'drop-policy', policy, purpose } : { kind: 'drop-policy', policy });
export const renamePolicy = (on: Pick<Policy, 'schema' | 'table'>, from: string, to: string, stage: 'first' | 'last'): RenamePolicyOp =>
  Object.freeze({ kind: 'rename-policy', schema: on.schema, table: on.table, from, to, stage });

/** A name no declared policy uses, for a staged version of `name`. Deterministic so output is reproducible. */
export function stagedPolicyName(name: string): string {
  return `pg_access_swap_${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

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

/**
 * The operations that change policy `from` into `to` (same table, same name).
 *
 * Between two permissive versions, one ALTER (or DROP + CREATE) in place:
 * placed after every narrowing step and before every widening one, each
 * version only lets through what its own state allows.
 *
 * A restrictive version on either side is a fence, and fences combine by
 * AND: changing two of them in place one at a time lets rows through that
 * neither state allows (old (1,2) and (1,3), new (3,4) and (2,4): after the
 * first ALTER, row 3). So the new version is created beside the old one
 * under a staged name (with the fences if restrictive, with the permissive
 * policies if not), the old one dropped in its own phase (with the
 * permissive drops, or after the widening steps if restrictive), and the
 * new one renamed to its name last: at every statement both fences hold,
 * or the old one is gone only once everything else is in its new state.
 */
export function changePolicy(from: Policy, to: Policy): (AlterPolicyOp | ReplacePolicyOp | CreatePolicyOp | DropPolicyOp | RenamePolicyOp)[] {
  if (from.permissive && to.permissive) return [changeInPlace(from, to)];
  const staged = stagedPolicyName(to.name);
  return [createPolicy({ ...to, name: staged }, { kind: 'staged', name: to.name }), dropPolicy(from), renamePolicy(to, staged, to.name, 'last')];
}

/** Between two permissive versions: ALTER POLICY where it can express the change, else DROP + CREATE (see changePolicy). */
export function changeInPlace(from: Policy, to: Policy): AlterPolicyOp | ReplacePolicyOp {
  return canAlterInPlace(from, to) ? Object.freeze({ kind: 'alter-policy', from, to }) : Object.freeze({ kind: 'replace-policy', from, to });
}
