import { targetKey } from '../model/grant.js';
import { compareText, keyOf } from '../model/qualified-name.js';
import type { Op } from '../ops/op.js';

/**
 * Fixed phases. Everything runs in one transaction, but the order is also safe
 * for migration runners that do not wrap a file in one: narrowing steps come
 * first and widening steps last, so a table is never transiently more open
 * than both the old and the new state.
 *
 *  0 create schemas           (nothing can use them yet)
 *  1 revoke privileges        (narrows)
 *  2 enable / force RLS       (narrows: RLS on with no policy denies all)
 *  3 create RESTRICTIVE       (narrows)
 *  4 drop PERMISSIVE          (narrows)
 *  5 alter / replace          (in place; replace orders its own steps safely)
 *  6 drop RESTRICTIVE         (widens, towards the new state)
 *  7 create PERMISSIVE        (widens, towards the new state)
 *  8 disable / no-force RLS   (widens, only when declared)
 *  9 grant privileges         (widens; schema before table before sequence)
 * 10 drop schemas            (downgrade of a created schema, after its grants are revoked)
 */
function phaseOf(op: Op): number {
  switch (op.kind) {
    case 'create-schema':
      return 0;
    case 'revoke':
      return 1;
    case 'set-rls':
      return op.value ? 2 : 8;
    case 'create-policy':
      return op.policy.permissive ? 7 : 3;
    case 'drop-policy':
      return op.policy.permissive ? 4 : 6;
    case 'alter-policy':
    case 'replace-policy':
      return 5;
    case 'grant':
      return 9;
    case 'drop-schema':
      return 10;
  }
}

const targetRank = { schema: 0, table: 1, sequence: 2 } as const;

/** A deterministic sort key inside a phase: the same input always yields byte-identical SQL. */
function sortKey(op: Op): string {
  switch (op.kind) {
    case 'create-schema':
    case 'drop-schema':
      return keyOf(op.schema);
    case 'set-rls':
      return keyOf(op.schema, op.table, op.flag);
    case 'create-policy':
    case 'drop-policy':
      return keyOf(op.policy.schema, op.policy.table, op.policy.name);
    case 'alter-policy':
    case 'replace-policy':
      return keyOf(op.to.schema, op.to.table, op.to.name);
    case 'grant':
    case 'revoke':
      return keyOf(targetRank[op.target.kind], targetKey(op.target), op.grantee, op.kind === 'revoke' && op.grantOptionOnly);
  }
}

export function orderOperations(ops: readonly Op[]): Op[] {
  return ops
    .map((op) => ({ op, phase: phaseOf(op), key: sortKey(op) }))
    .sort((a, b) => a.phase - b.phase || compareText(a.key, b.key))
    .map((x) => x.op);
}
