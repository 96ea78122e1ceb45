import { quoteIdent } from '../render/sql/quote.js';
import { parseTableName } from './table-name.js';
import { loadTableSource, sourceOfTable } from './table-source.js';

/** A table's schema, name and column map (what an expression callback gets), named as table(...) takes it. */
export interface DescribedTable {
  readonly schema: string;
  readonly name: string;
  readonly columns: unknown;
}

/** For plain table names: t.owner_id renders "owner_id". Stateless, so one serves every table. */
export const COLUMN_NAMES: Record<string, string> = new Proxy({}, { get: (_target, prop) => (typeof prop === 'string' ? quoteIdent(prop) : undefined) });

/**
 * A 'schema.table' name, a front end's table (its ORM loaded on first use)
 * or a table(...) declaration, described; throws an Error naming `where`
 * for anything else.
 */
export async function describeTable(ref: unknown, where: string): Promise<DescribedTable> {
  const table = typeof ref === 'object' && ref !== null && (ref as { kind?: unknown }).kind === 'table' && 'options' in ref ? (ref as unknown as { table: unknown }).table : ref;
  if (typeof table === 'string') {
    const parsed = parseTableName(table);
    if (!parsed) throw new Error(`${where}: ${JSON.stringify(table)} is not a table name; write 'schema.table' or 'table'`);
    return { ...parsed, columns: COLUMN_NAMES };
  }
  const source = sourceOfTable(table);
  if (typeof source === 'string') throw new Error(`${where}: the table ${source}`);
  await loadTableSource(source);
  const facts = source.describe(table);
  return { schema: facts.schema, name: facts.name, columns: facts.columns };
}
