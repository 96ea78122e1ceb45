/**
 * ENABLE/DISABLE ROW LEVEL SECURITY (`flag: 'enabled'`) or FORCE/NO FORCE
 * (`flag: 'forced'`). The op carries the old value, so its inverse needs no database.
 */
export interface SetRlsOp {
  readonly kind: 'set-rls';
  readonly schema: string;
  readonly table: string;
  readonly flag: 'enabled' | 'forced';
  readonly value: boolean;
}
export const setRls = (schema: string, table: string, flag: SetRlsOp['flag'], value: boolean): SetRlsOp =>
  Object.freeze({ kind: 'set-rls', schema, table, flag, value });
