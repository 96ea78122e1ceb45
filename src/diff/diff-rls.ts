import { qualifiedKey } from '../model/qualified-name.js';
import type { TableRls } from '../model/table-rls.js';
import { setRls, type SetRlsOp } from '../ops/set-rls.op.js';

/** Flags the declaration leaves undefined are not managed and never produce an operation. */
export function diffRls(desired: readonly TableRls[], actual: readonly TableRls[]): SetRlsOp[] {
  const actualByTable = new Map(actual.map((t) => [qualifiedKey(t), t]));
  const ops: SetRlsOp[] = [];
  for (const want of desired) {
    const have = actualByTable.get(qualifiedKey(want));
    if (!have) continue; // a missing table is reported before diffing
    if (want.enabled !== undefined && want.enabled !== have.enabled) ops.push(setRls(want.schema, want.name, 'enabled', want.enabled));
    if (want.forced !== undefined && want.forced !== have.forced) ops.push(setRls(want.schema, want.name, 'forced', want.forced));
  }
  return ops;
}
