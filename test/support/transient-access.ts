/**
 * Statement-by-statement access probes: what each probe (a role with
 * settings) may do on each table, observed through PostgreSQL itself. Used
 * to check that a plan run without a transaction never lets any probe see,
 * change or insert a row that neither the old nor the new state allows.
 *
 * An observation is a set of facts, `<probe> <table> <command> <row>`:
 * SELECT the rows seen, UPDATE and DELETE the rows they reach (each in a
 * subtransaction rolled back), INSERT the candidate rows accepted (likewise).
 * Every probe runs inside savepoints, so it observes the state of the
 * connection it is given: committed state, or an open transaction's.
 */
import type pg from 'pg';
import { quoteIdent } from './database.js';

export interface Probe {
  readonly role: string;
  readonly settings: Readonly<Record<string, string>>;
}

export interface ProbedTable {
  /** Qualified and quoted, as SQL writes it. */
  readonly sql: string;
  /** An expression identifying a row (a column with distinct values). */
  readonly key: string;
  /** Rows tried as inserts, as VALUES lists. */
  readonly inserts: readonly string[];
}

const label = (probe: Probe) => `${probe.role}${Object.keys(probe.settings).length ? ` ${JSON.stringify(probe.settings)}` : ''}`;

/** Every fact the probes can observe on `client` now; `inTransaction`: the client is inside an open transaction (observed there). */
export async function observe(client: pg.ClientBase, probes: readonly Probe[], tables: readonly ProbedTable[], inTransaction = false): Promise<Set<string>> {
  const facts = new Set<string>();
  const ownTransaction = !inTransaction;
  if (ownTransaction) await client.query('BEGIN');
  try {
    for (const probe of probes) {
      await client.query('SAVEPOINT probe');
      await client.query(`SET LOCAL ROLE ${quoteIdent(probe.role)}`);
      for (const [k, v] of Object.entries(probe.settings)) await client.query('SELECT set_config($1, $2, true)', [k, v]);
      for (const t of tables) {
        const rows = async (sql: string) => {
          await client.query('SAVEPOINT attempt');
          try {
            return (await client.query(sql)).rows.map((r) => String(r.k));
          } catch {
            return [];
          } finally {
            await client.query('ROLLBACK TO SAVEPOINT attempt');
          }
        };
        const add = (command: string, list: string[]) => {
          for (const row of list) facts.add(`${label(probe)} ${t.sql} ${command} ${row}`);
        };
        add('SELECT', await rows(`SELECT (${t.key})::text AS k FROM ${t.sql}`));
        add('UPDATE', await rows(`UPDATE ${t.sql} SET ${t.key} = ${t.key} RETURNING (${t.key})::text AS k`));
        add('DELETE', await rows(`DELETE FROM ${t.sql} RETURNING (${t.key})::text AS k`));
        for (const [i, values] of t.inserts.entries()) add('INSERT', (await rows(`INSERT INTO ${t.sql} VALUES ${values} RETURNING 1 AS k`)).map(() => `candidate ${i}`));
      }
      await client.query('ROLLBACK TO SAVEPOINT probe');
    }
  } finally {
    if (ownTransaction) await client.query('ROLLBACK');
  }
  return facts;
}

export interface Widening {
  /** The statement after which the facts held (its index in the plan and its text). */
  readonly after: string;
  /** Facts neither the old nor the new state allows. */
  readonly facts: readonly string[];
}

/**
 * Runs `statements` one by one, each committed on its own (as a runner
 * without a transaction would), observing after each; returns every
 * statement after which some probe could do what neither `before` nor
 * `after` (observed by the caller on the old and the new state) allows.
 */
export async function wideningSteps(
  client: pg.ClientBase,
  statements: readonly string[],
  probes: readonly Probe[],
  tables: readonly ProbedTable[],
  before: ReadonlySet<string>,
  after: ReadonlySet<string>,
): Promise<Widening[]> {
  const found: Widening[] = [];
  for (const [i, statement] of statements.entries()) {
    await client.query(statement);
    const now = await observe(client, probes, tables);
    const wider = [...now].filter((f) => !before.has(f) && !after.has(f)).sort();
    if (wider.length) found.push({ after: `${i + 1}: ${statement}`, facts: wider });
  }
  return found;
}

/** What the probes observe once `statements` have run, seen inside a transaction that is rolled back. */
export async function observeAfter(client: pg.ClientBase, statements: readonly string[], probes: readonly Probe[], tables: readonly ProbedTable[]): Promise<Set<string>> {
  await client.query('BEGIN');
  try {
    for (const s of statements) await client.query(s);
    return await observe(client, probes, tables, true);
  } finally {
    await client.query('ROLLBACK');
  }
}
