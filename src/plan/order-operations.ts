import { targetKey, type GrantTargetKind } from '../model/grant.js';
import { membershipWidens } from '../model/membership.js';
import { compareText, keyOf } from '../model/qualified-name.js';
import { ROLE_ATTRIBUTES, widens } from '../model/role.js';
import type { Op } from '../ops/op.js';

/**
 * Fixed phases. Everything runs in one transaction, but the order is also safe
 * for migration runners that do not wrap a file in one: at every statement,
 * no one may see, change or insert a row that neither the old nor the new
 * state allows (test/transient-access runs plans statement by statement and
 * checks it). The plan first narrows towards a state no wider than either
 * (every fence of both states in place, privileges, memberships and
 * permissive policies only where both have them), then widens to the new
 * state, and only then takes down the fences the new state does not keep:
 * while it narrows, everything in force is the old state's or narrower;
 * while it widens, the new state's or narrower. No policy is altered in
 * place (ops/policy.op's changePolicy says why). Everything an
 * object needs exists before it (roles before the grants and policies naming
 * them, schemas before the grants on them) and is removed after it (roles
 * dropped last).
 *
 *  0 create roles             (no privileges yet; nothing can use them)
 *  1 create schemas
 *  2 rename policies aside    (a downgrade's staged version moved off the name
 *                              its old version is created under)
 *  3 create RESTRICTIVE       (narrows: new fences, staged new versions of
 *                              changed ones, holds (plan/transition-fences)
 *                              for members whose memberships narrow next)
 *  4 narrow                   (role attributes taken away, memberships and
 *                              privileges revoked; fences that applied through a
 *                              membership are held by phase 3)
 *  5 enable / force RLS       (narrows: RLS on with no policy denies all)
 *  6 drop PERMISSIVE          (narrows; also old versions of changed ones)
 *  8 create PERMISSIVE        (widens, towards the new state; also new
 *                              versions of changed ones, staged permissive
 *                              versions)
 *  9 widen                    (memberships and privileges granted, role
 *                              attributes given: every fence of the new
 *                              state is already in place)
 * 10 drop RESTRICTIVE         (widens, to the new state: old fences, old
 *                              versions of staged ones, holds)
 * 11 rename staged policies   (the new versions take their names)
 * 12 disable / no-force RLS   (widens, only when declared)
 * 13 drop schemas             (downgrade of a created schema, after its grants are revoked)
 * 14 drop roles               (after every privilege, membership and policy naming them is gone)
 *
 * A lone comment change (a normalization record for a policy already as
 * declared; see Plan.records) comes after the policy steps.
 *
 * The diff splits a role or membership change that both widens and narrows
 * into two operations, so each one has a single direction.
 *
 * Memberships are granted with the other widening steps, after the fences
 * of the new state are created: creating a policy never depends on a
 * membership (a policy's pg_has_role() is evaluated per query, and the roles
 * a policy names only need to exist, which phase 0 ensures), while granting
 * one early would open access before the policies that fence it are in
 * place. A membership revoked early stops the fences that applied through it;
 * the holds of phase 3 keep them on the member until phase 10.
 */
function phaseOf(op: Op): number {
  switch (op.kind) {
    case 'create-role':
      return 0;
    case 'create-schema':
      return 1;
    case 'rename-policy':
      return op.stage === 'first' ? 2 : 11;
    case 'revoke':
    case 'revoke-membership':
      return 4;
    case 'alter-role':
      return ROLE_ATTRIBUTES.some((a) => op.from[a] !== op.to[a] && widens(a, op.from, op.to)) ? 9 : 4;
    case 'alter-membership':
      return membershipWidens(op.from, op.to) ? 9 : 4;
    case 'set-rls':
      return op.value ? 5 : 12;
    case 'create-policy':
      return op.policy.permissive ? 8 : 3;
    case 'drop-policy':
      return op.policy.permissive ? 6 : 10;
    case 'set-policy-comment':
      return 12;
    case 'grant':
    case 'grant-membership':
      return 9;
    case 'drop-schema':
      return 13;
    case 'drop-role':
      return 14;
  }
}

/** Inside the narrowing and widening phases: role attributes, then memberships, then privileges from the outside in. */
const targetRank: Record<GrantTargetKind, number> = { database: 0, schema: 1, table: 2, column: 3, sequence: 4, function: 5, default: 6 };

/** A deterministic sort key inside a phase: the same input always yields byte-identical SQL. */
function sortKey(op: Op): string {
  switch (op.kind) {
    case 'create-role':
    case 'drop-role':
      return keyOf(op.role.name);
    case 'alter-role':
      return keyOf(0, op.to.name);
    case 'grant-membership':
    case 'revoke-membership':
      return keyOf(1, op.membership.role, op.membership.member);
    case 'alter-membership':
      return keyOf(1, op.to.role, op.to.member);
    case 'create-schema':
    case 'drop-schema':
      return keyOf(op.schema);
    case 'set-rls':
      return keyOf(op.schema, op.table, op.flag);
    case 'create-policy':
    case 'drop-policy':
      return keyOf(op.policy.schema, op.policy.table, op.policy.name);
    case 'rename-policy':
      return keyOf(op.schema, op.table, op.to);
    case 'set-policy-comment':
      return keyOf(3, op.schema, op.table, op.name);
    case 'grant':
    case 'revoke':
      return keyOf(2, targetRank[op.target.kind], targetKey(op.target), op.grantee, op.kind === 'revoke' && op.grantOptionOnly);
  }
}

export function orderOperations(ops: readonly Op[]): Op[] {
  return ops
    .map((op) => ({ op, phase: phaseOf(op), key: sortKey(op) }))
    .sort((a, b) => a.phase - b.phase || compareText(a.key, b.key))
    .map((x) => x.op);
}
