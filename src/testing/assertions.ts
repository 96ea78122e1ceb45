/**
 * Assertions on what a role may do, for any test runner: each throws
 * node:assert's AssertionError (vitest, jest and node:test all report it)
 * with a message that names the role, its settings and the policies that
 * applied. Each check runs in a savepoint and is undone: a refused
 * statement leaves the transaction usable, and a check changes nothing.
 */
import { AssertionError } from 'node:assert';
import { isDeepStrictEqual } from 'node:util';
import { describeTable } from '../declare/describe-table.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';
import { describeSession, explainAccess } from './explain-access.js';
import { attempt, type RoleSession } from './with-role.js';

/** A table as the declaration names it: 'schema.table', a model's table, or table(...). */
export type TableRef = unknown;

/** Which rows: column values ({ id: 2 }), compared with =, or an SQL condition. */
export type RowFilter = Readonly<Record<string, unknown>> | string;

const INSUFFICIENT_PRIVILEGE = '42501';

function whereClause(filter: RowFilter | undefined, params: unknown[]): string {
  if (filter === undefined) return '';
  if (typeof filter === 'string') return ` WHERE ${filter}`;
  const parts = Object.entries(filter).map(([column, value]) => {
    if (value === null) return `${quoteIdent(column)} IS NULL`;
    params.push(value);
    return `${quoteIdent(column)} = $${params.length}`;
  });
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

const describeFilter = (filter: RowFilter | undefined) => (filter === undefined ? '' : typeof filter === 'string' ? ` where ${filter}` : ` where ${JSON.stringify(filter)}`);

async function fail(tx: RoleSession, schema: string, table: string, command: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE', message: string, fields: { actual?: unknown; expected?: unknown } = {}): Promise<never> {
  throw new AssertionError({ message: `${message}\n${await explainAccess(tx, schema, table, command)}`, ...fields, operator: 'pg-access' });
}

/** The rows the role sees in `table` (with `where`), compared as sets. */
export function expectRows(tx: RoleSession, table: TableRef, options: { where?: RowFilter; columns?: readonly string[] } = {}) {
  const read = async (columns: readonly string[] | undefined) => {
    const t = await describeTable(table, 'expectRows()');
    const params: unknown[] = [];
    const list = columns && columns.length ? columns.map(quoteIdent).join(', ') : '*';
    const done = await attempt(tx, `SELECT ${list} FROM ${quoteQualified(t.schema, t.name)}${whereClause(options.where, params)}`, params);
    if (!done.ok) await fail(tx, t.schema, t.name, 'SELECT', `expected ${describeSession(tx)} to read ${quoteQualified(t.schema, t.name)}${describeFilter(options.where)}, but it is refused: ${done.error.message}`);
    return { t, rows: (done as { result: { rows: Record<string, unknown>[] } }).result.rows };
  };
  return {
    /** Exactly these rows, in any order; only the columns the expected rows name are compared (or `columns`). */
    async toEqual(expected: readonly Readonly<Record<string, unknown>>[]): Promise<void> {
      const columns = options.columns ?? [...new Set(expected.flatMap((row) => Object.keys(row)))];
      const { t, rows } = await read(columns);
      const canon = (list: readonly Readonly<Record<string, unknown>>[]) => list.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      const actual = canon(rows);
      const wanted = canon(expected);
      if (!isDeepStrictEqual(actual, wanted)) {
        await fail(tx, t.schema, t.name, 'SELECT', `expected ${describeSession(tx)} to see ${wanted.length} row(s) of ${quoteQualified(t.schema, t.name)}${describeFilter(options.where)}, it sees ${actual.length}:\n  expected ${JSON.stringify(wanted)}\n  actual   ${JSON.stringify(actual)}`, {
          actual,
          expected: wanted,
        });
      }
    },
    /** The role sees exactly `count` rows. */
    async toHaveCount(count: number): Promise<void> {
      const { t, rows } = await read(undefined);
      if (rows.length !== count) await fail(tx, t.schema, t.name, 'SELECT', `expected ${describeSession(tx)} to see ${count} row(s) of ${quoteQualified(t.schema, t.name)}${describeFilter(options.where)}, it sees ${rows.length}`, { actual: rows.length, expected: count });
    },
  };
}

/** How many rows of `table` matching `where` the role sees; a refused read is the error. */
async function countSeen(tx: RoleSession, table: TableRef, where: RowFilter, what: string) {
  const t = await describeTable(table, what);
  const params: unknown[] = [];
  const done = await attempt(tx, `SELECT count(*)::int AS n FROM ${quoteQualified(t.schema, t.name)}${whereClause(where, params)}`, params);
  return { t, done, seen: done.ok ? Number(done.result.rows[0]?.n) : 0 };
}

/** The role sees at least one row of `table` matching `where`. */
export async function expectCanSee(tx: RoleSession, table: TableRef, where: RowFilter): Promise<void> {
  const { t, done, seen } = await countSeen(tx, table, where, 'expectCanSee()');
  if (!done.ok || seen === 0) {
    await fail(tx, t.schema, t.name, 'SELECT', `expected ${describeSession(tx)} to see ${quoteQualified(t.schema, t.name)}${describeFilter(where)}, but ${done.ok ? 'it sees no such row' : `it is refused: ${done.error.message}`}`);
  }
}

/** The role sees no row of `table` matching `where` (a refused read counts as seeing none). */
export async function expectCannotSee(tx: RoleSession, table: TableRef, where: RowFilter): Promise<void> {
  const { t, seen } = await countSeen(tx, table, where, 'expectCannotSee()');
  if (seen > 0) await fail(tx, t.schema, t.name, 'SELECT', `expected ${describeSession(tx)} not to see ${quoteQualified(t.schema, t.name)}${describeFilter(where)}, but it sees ${seen} such row(s)`);
}

/**
 * The statement is refused with an insufficient-privilege error (a missing
 * privilege, or a row a policy's WITH CHECK rejects). An UPDATE or DELETE
 * that policies filter to no row is not refused: check it with
 * expectCannotSee, or `expectAffects(tx, sql, 0)`.
 */
export async function expectDenied(tx: RoleSession, sql: string, params?: readonly unknown[]): Promise<{ readonly message: string }> {
  const done = await attempt(tx, sql, params);
  if (done.ok) throw new AssertionError({ message: `expected ${describeSession(tx)} to be refused ${JSON.stringify(sql)}, but it ran (${done.result.rowCount} row(s))`, operator: 'pg-access' });
  if (done.error.code !== INSUFFICIENT_PRIVILEGE) {
    throw new AssertionError({ message: `expected ${describeSession(tx)} to be refused ${JSON.stringify(sql)} for want of privilege (SQLSTATE 42501), but it failed otherwise: ${done.error.code ?? ''} ${done.error.message}`, operator: 'pg-access' });
  }
  return { message: done.error.message };
}

/** The statement runs and changes (or returns) exactly `count` rows; undone afterwards. */
export async function expectAffects(tx: RoleSession, sql: string, count: number, params?: readonly unknown[]): Promise<void> {
  const done = await attempt(tx, sql, params);
  if (!done.ok) throw new AssertionError({ message: `expected ${describeSession(tx)} to run ${JSON.stringify(sql)}, but it is refused: ${done.error.message}`, operator: 'pg-access' });
  if (done.result.rowCount !== count) {
    throw new AssertionError({ message: `expected ${describeSession(tx)} to change ${count} row(s) with ${JSON.stringify(sql)}, it changed ${done.result.rowCount}`, actual: done.result.rowCount, expected: count, operator: 'pg-access' });
  }
}
