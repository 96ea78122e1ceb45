/**
 * Row-level security flags of a table. `undefined` means "not managed": the
 * declaration did not say, so the flag is left as the database has it.
 */
export interface TableRls {
  readonly schema: string;
  readonly name: string;
  readonly enabled: boolean | undefined;
  readonly forced: boolean | undefined;
}
