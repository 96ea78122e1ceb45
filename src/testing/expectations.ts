/**
 * Declarative expectations: who may do what to which rows, checked against
 * a database in one transaction that is rolled back (seed included), each
 * expectation in a savepoint of its own.
 */
import { describeTable } from '../declare/describe-table.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { PgAccessError } from '../errors.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';
import { inRolledBackTransaction, type TestClient, type TestConnection } from './test-client.js';
import { asRole, attempt, settingsText } from './with-role.js';

export type ExpectedCommand = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

export interface AccessExpectation {
  /** Shown in the report; default the expectation's position. */
  readonly name?: string;
  readonly role: string;
  /** Transaction-local settings the request would set ({ 'app.user_id': 1 }). */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** 'schema.table', or a model's table. */
  readonly table: string | object;
  readonly command: ExpectedCommand;
  /** SELECT, UPDATE, DELETE: the rows tried (column values, compared with =); left out, every row. */
  readonly where?: Readonly<Record<string, unknown>>;
  /** INSERT: the new row; UPDATE: the columns set (left out: each `where` column set to itself). */
  readonly values?: Readonly<Record<string, unknown>>;
  /** true: SELECT sees a row, INSERT is accepted, UPDATE/DELETE changes a row. false: none of that (a refusal or no row). */
  readonly allowed?: boolean;
  /** Exactly this many rows seen (SELECT) or changed (INSERT, UPDATE, DELETE); a refusal is 0. */
  readonly rows?: number;
}

export interface ExpectationResult {
  readonly index: number;
  readonly expectation: AccessExpectation;
  readonly table: string;
  readonly pass: boolean;
  readonly expected: string;
  readonly actual: string;
  /** The error PostgreSQL raised, when the statement was refused. */
  readonly error?: string;
}

export interface ExpectationRun {
  readonly results: readonly ExpectationResult[];
  readonly passed: number;
  readonly failed: number;
  readonly ms: number;
}

const KEYS = ['name', 'role', 'settings', 'table', 'command', 'where', 'values', 'allowed', 'rows'];
const COMMANDS: readonly ExpectedCommand[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/** Every problem of the list at once, as one INVALID_EXPECTATION error naming each expectation. */
export function checkExpectations(expectations: readonly AccessExpectation[]): void {
  if (!Array.isArray(expectations)) throw new PgAccessError('INVALID_EXPECTATION', 'expect must be a list of { role, table, command, allowed | rows }.');
  const errors: string[] = [];
  expectations.forEach((e, i) => {
    const where = `expectation ${i + 1}${e && typeof e === 'object' && e.name ? ` (${JSON.stringify(e.name)})` : ''}`;
    try {
      checkOptionKeys(where, e, KEYS);
    } catch (error) {
      errors.push((error as Error).message);
      return;
    }
    if (typeof e.role !== 'string' || e.role === '') errors.push(`${where}: role must be a role name.`);
    if (typeof e.table !== 'string' && (typeof e.table !== 'object' || e.table === null)) errors.push(`${where}: table must be 'schema.table' or a model's table.`);
    if (!COMMANDS.includes(e.command)) errors.push(`${where}: command must be one of ${COMMANDS.join(', ')}, got ${JSON.stringify(e.command)}.`);
    if ((e.allowed === undefined) === (e.rows === undefined)) errors.push(`${where}: give exactly one of allowed (true or false) or rows (a count).`);
    if (e.allowed !== undefined && typeof e.allowed !== 'boolean') errors.push(`${where}: allowed must be true or false.`);
    if (e.rows !== undefined && (!Number.isInteger(e.rows) || e.rows < 0)) errors.push(`${where}: rows must be a count (0 or more).`);
    if (e.command === 'INSERT' && (!e.values || Object.keys(e.values).length === 0)) errors.push(`${where}: an INSERT needs values (the new row).`);
    if (e.command === 'INSERT' && e.where) errors.push(`${where}: an INSERT takes values, not where.`);
    if (e.command !== 'INSERT' && e.command !== 'UPDATE' && e.values) errors.push(`${where}: values is for INSERT and UPDATE.`);
    if (e.command === 'UPDATE' && !e.values && (!e.where || Object.keys(e.where).length === 0)) errors.push(`${where}: an UPDATE needs values or where (the columns it sets).`);
  });
  if (errors.length) throw new PgAccessError('INVALID_EXPECTATION', `The expectations have ${errors.length} problem${errors.length > 1 ? 's' : ''}.`, errors);
}

/** The statement an expectation tries, with its parameters. */
function statementOf(e: AccessExpectation, table: string): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = () => {
    const parts = Object.entries(e.where ?? {}).map(([c, v]) => (v === null ? `${quoteIdent(c)} IS NULL` : `${quoteIdent(c)} = ${param(v)}`));
    return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
  };
  switch (e.command) {
    case 'SELECT': {
      const filter = where();
      return { sql: `SELECT count(*)::int AS n FROM ${table}${filter}`, params };
    }
    case 'INSERT': {
      const columns = Object.keys(e.values!);
      return { sql: `INSERT INTO ${table} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map((c) => param(e.values![c])).join(', ')})`, params };
    }
    case 'UPDATE': {
      const set = e.values ? Object.entries(e.values).map(([c, v]) => `${quoteIdent(c)} = ${param(v)}`) : Object.keys(e.where!).map((c) => `${quoteIdent(c)} = ${quoteIdent(c)}`);
      const setText = set.join(', ');
      return { sql: `UPDATE ${table} SET ${setText}${where()}`, params };
    }
    case 'DELETE':
      return { sql: `DELETE FROM ${table}${where()}`, params };
  }
}

const rowsText = (n: number, command: ExpectedCommand) => `${command === 'SELECT' ? 'sees' : 'changes'} ${n} row${n === 1 ? '' : 's'}`;

async function check(connection: TestConnection, e: AccessExpectation, index: number): Promise<ExpectationResult> {
  const described = await describeTable(e.table, `expectation ${index + 1}`);
  const table = quoteQualified(described.schema, described.name);
  const { sql, params } = statementOf(e, table);
  const expected = e.rows !== undefined ? rowsText(e.rows, e.command) : e.allowed ? 'allowed' : 'denied';
  await connection.query('SAVEPOINT pg_access_expectation');
  try {
    let done;
    try {
      await asRole(connection, e.role, settingsText(e.settings));
      done = await attempt(connection, sql, params);
    } catch (error) {
      done = { ok: false as const, error: { message: (error as Error).message } };
    }
    const count = done.ok ? (e.command === 'SELECT' ? Number(done.result.rows[0]?.n ?? 0) : done.result.rowCount) : 0;
    const actual = done.ok ? rowsText(count, e.command) : `refused: ${done.error.message}`;
    const pass = e.rows !== undefined ? count === e.rows : e.allowed === count > 0;
    return { index, expectation: e, table, pass, expected, actual, ...(done.ok ? {} : { error: done.error.message }) };
  } finally {
    await connection.query('ROLLBACK TO SAVEPOINT pg_access_expectation');
    await connection.query('RELEASE SAVEPOINT pg_access_expectation');
  }
}

/**
 * Checks each expectation as its role, with its settings, after `seed` (SQL
 * run first as the connecting user): one transaction, rolled back, so the
 * database is left as it was. The connecting user must be able to SET ROLE
 * to each role (a superuser, or a member of it).
 */
export async function runExpectations(db: TestClient, expectations: readonly AccessExpectation[], options: { seed?: string } = {}): Promise<ExpectationRun> {
  checkExpectations(expectations);
  const started = performance.now();
  const results = await inRolledBackTransaction(db, async (connection) => {
    if (options.seed) await connection.exec(options.seed);
    const list: ExpectationResult[] = [];
    for (let i = 0; i < expectations.length; i++) list.push(await check(connection, expectations[i]!, i));
    return list;
  });
  const failed = results.filter((r) => !r.pass).length;
  return { results, passed: results.length - failed, failed, ms: performance.now() - started };
}
