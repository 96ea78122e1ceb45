import { createHash } from 'node:crypto';
import type { Policy } from '../model/policy.js';

/**
 * Why a policy is created or dropped as part of a change, for a safe order
 * without a transaction (plan/order-operations):
 * - `changed`: the old version of a permissive policy dropped, or its new
 *   version created, under its own name (see changePolicy);
 * - `staged`: the new version of the policy `name`, created beside the old
 *   one and renamed to `name` once the old one is dropped;
 * - `hold`: a copy of the restrictive policy `name` for `members`, who stop
 *   being fenced by it through a membership while the plan runs (see
 *   plan/transition-fences); dropped when the plan's fences are in place.
 */
export type PolicyPurpose =
  | { readonly kind: 'changed' }
  | { readonly kind: 'staged'; readonly name: string }
  | { readonly kind: 'hold'; readonly name: string; readonly members: readonly string[] };

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
 * The operations that change policy `from` into `to` (same table, same name).
 * Never an ALTER POLICY in place: a command's access can combine several
 * policies (INSERT ... RETURNING passes one policy's WITH CHECK and another's
 * USING; a sub-select sees another table through that table's policies),
 * and a mix of old and new versions can let through what neither state
 * allows. So old versions are taken away while access narrows and new ones
 * added while it widens, and at every statement the policies in force are
 * all old ones or all new ones (plus fences of both).
 *
 * Between two permissive versions: the old one dropped with the narrowing
 * steps, the new one created with the widening ones.
 *
 * A restrictive version on either side is a fence, and fences combine by
 * AND: the new version is created beside the old one under a staged name
 * (with the fences if restrictive, with the permissive policies if not), the
 * old one dropped in its own phase (with the permissive drops, or after the
 * widening steps if restrictive), and the new one renamed to its name last.
 * Changing two fences in place one at a time would let rows through that
 * neither state allows (old (1,2) and (1,3), new (3,4) and (2,4): after the
 * first ALTER, row 3).
 */
export function changePolicy(from: Policy, to: Policy): (CreatePolicyOp | DropPolicyOp | RenamePolicyOp)[] {
  if (from.permissive && to.permissive) return [dropPolicy(from, { kind: 'changed' }), createPolicy(to, { kind: 'changed' })];
  const staged = stagedPolicyName(to.name);
  return [createPolicy({ ...to, name: staged }, { kind: 'staged', name: to.name }), dropPolicy(from), renamePolicy(to, staged, to.name, 'last')];
}
