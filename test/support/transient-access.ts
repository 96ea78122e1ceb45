/**
 * Statement-by-statement access probes: what each probe (a role with
 * settings) may do on each table, observed through PostgreSQL itself. Used
 * to check that a plan run without a transaction never lets any probe see,
 * change or insert a row that neither the old nor the new state allows.
 *
 * An observation is a set of facts, `<probe> <table> <command> <row>`:
 * SELECT the rows seen, UPDATE and DELETE the rows they reach (each in a
 * subtransaction rolled back; an UPDATE that one row's new version fails a
 * policy check for is tried row by row, since that failure hides the rows
 * the probe may change), INSERT the candidate rows accepted
 * (likewise); and `<probe> <table> <command> ERROR` where the command
 * failed with an error that is not a denial on the table (see undecided).
 * Every probe runs inside savepoints, so it observes the state of the
 * connection it is given: committed state, or an open transaction's.
 */
import type pg from 'pg';

export interface Probe {
  readonly role: string;
  readonly settings: Readonly<Record<string, string>>;
}

export interface ProbedTable {
  /** Qualified and quoted, as SQL writes it. */
  readonly sql: string;
  /** Its schema and name, as PostgreSQL's messages name them (to tell a denial on the table from an error inside a policy). */
  readonly schema: string;
  readonly name: string;
  /** An expression identifying a row (a column with distinct values). */
  readonly key: string;
  /** Rows tried as inserts, as VALUES lists. */
  readonly inserts: readonly string[];
}

const label = (probe: Probe) => `${probe.role}${Object.keys(probe.settings).length ? ` ${JSON.stringify(probe.settings)}` : ''}`;

/**
 * One server-side pass over every probe, table and command: each attempt in
 * a subtransaction of its own (BEGIN ... EXCEPTION) that sets the role and
 * settings, runs the command, keeps what it returned in a variable (PL/pgSQL
 * variables survive a rolled-back subtransaction), then raises to undo its
 * effects. One round trip per observation instead of several hundred: the
 * property test observes after every statement of every plan. A probe
 * whose role does not exist (yet, or any more) is observed as `absent`, a
 * role with no grants and no memberships: what any new role could do (what
 * PUBLIC may), as a role created by a plan can as soon as it exists.
 */
const OBSERVE_FUNCTION = `CREATE OR REPLACE FUNCTION pg_temp.pg_access_observe(probes json, tables json, absent text) RETURNS text[] LANGUAGE plpgsql AS $fn$
DECLARE
  p json; t json; s record; attempt text; i int; k text; kk text; actor text; found text[] := '{}'; facts text[] := '{}';
BEGIN
  FOR p IN SELECT * FROM json_array_elements(probes) LOOP
    actor := CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p->>'role') THEN p->>'role' ELSE absent END;
    CONTINUE WHEN actor IS NULL;
    FOR t IN SELECT * FROM json_array_elements(tables) LOOP
      FOR i IN 0 .. json_array_length(t->'attempts') - 1 LOOP
        attempt := t->'attempts'->i->>'sql';
        BEGIN
          PERFORM set_config('role', actor, true);
          FOR s IN SELECT * FROM json_each_text(p->'settings') LOOP PERFORM set_config(s.key, s.value, true); END LOOP;
          found := '{}';
          FOR k IN EXECUTE attempt LOOP found := found || k; END LOOP;
          RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'pg_access_observe: undo';
        EXCEPTION WHEN OTHERS THEN
          IF SQLERRM = 'pg_access_observe: undo' THEN
            SELECT facts || array_agg((p->>'label') || ' ' || (t->>'table') || ' ' || (t->'attempts'->i->>'command') || ' ' || f) INTO facts FROM unnest(found) f;
          ELSIF SQLSTATE = '42501' AND SQLERRM LIKE 'new row violates row-level security policy%' AND t->'attempts'->i->>'row_sql' IS NOT NULL THEN
            -- One row's new version failed a check, which fails the whole statement: try each row alone
            -- (the role is the session's again here), so that a row the probe may change is seen as such.
            FOR kk IN EXECUTE t->'attempts'->i->>'keys_sql' LOOP
              BEGIN
                PERFORM set_config('role', actor, true);
                FOR s IN SELECT * FROM json_each_text(p->'settings') LOOP PERFORM set_config(s.key, s.value, true); END LOOP;
                found := '{}';
                FOR k IN EXECUTE t->'attempts'->i->>'row_sql' USING kk LOOP found := found || k; END LOOP;
                RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'pg_access_observe: undo';
              EXCEPTION WHEN OTHERS THEN
                IF SQLERRM = 'pg_access_observe: undo' THEN
                  SELECT facts || array_agg((p->>'label') || ' ' || (t->>'table') || ' ' || (t->'attempts'->i->>'command') || ' ' || f) INTO facts FROM unnest(found) f;
                ELSIF SQLSTATE <> '42501' THEN
                  facts := facts || ((p->>'label') || ' ' || (t->>'table') || ' ' || (t->'attempts'->i->>'command') || ' ERROR');
                END IF;
              END;
            END LOOP;
          ELSIF NOT (SQLSTATE = '42501' AND EXISTS (
            SELECT 1 FROM unnest(ARRAY['table ' || (t->>'name'), 'table "' || (t->>'name') || '"', 'view ' || (t->>'name'), 'view "' || (t->>'name') || '"',
              'schema ' || (t->>'schema'), 'schema "' || (t->>'schema') || '"']) AS x(suffix)
            WHERE right(SQLERRM, length(x.suffix)) = x.suffix)) THEN
            -- Not a denial on the table itself: an error while evaluating a policy (a sub-select on a table the probe may not read, a setting not set).
            facts := facts || ((p->>'label') || ' ' || (t->>'table') || ' ' || (t->'attempts'->i->>'command') || ' ERROR');
          END IF;
        END;
      END LOOP;
    END LOOP;
  END LOOP;
  RETURN facts;
END
$fn$`;

/** Every fact the probes can observe on `client` now; `inTransaction`: the client is inside an open transaction (observed there). */
export async function observe(client: pg.ClientBase, probes: readonly Probe[], tables: readonly ProbedTable[], absent?: string): Promise<Set<string>> {
  const attempts = tables.map((t) => ({
    table: t.sql,
    name: t.name,
    schema: t.schema,
    attempts: [
      { command: 'SELECT', sql: `SELECT (${t.key})::text FROM ${t.sql}` },
      {
        command: 'UPDATE',
        sql: `UPDATE ${t.sql} SET ${t.key} = ${t.key} RETURNING (${t.key})::text`,
        // Row by row, when a check on one row's new version fails the statement (see the function).
        keys_sql: `SELECT (${t.key})::text FROM ${t.sql}`,
        row_sql: `UPDATE ${t.sql} SET ${t.key} = ${t.key} WHERE (${t.key})::text = $1 RETURNING (${t.key})::text`,
      },
      { command: 'DELETE', sql: `DELETE FROM ${t.sql} RETURNING (${t.key})::text` },
      ...t.inserts.map((values, i) => ({ command: 'INSERT', sql: `INSERT INTO ${t.sql} VALUES ${values} RETURNING 'candidate ${i}'` })),
    ],
  }));
  // In an open transaction the function goes with it when it is rolled back; it is created again next time.
  await client.query(OBSERVE_FUNCTION);
  const { rows } = await client.query('SELECT pg_temp.pg_access_observe($1::json, $2::json, $3) AS facts', [
    JSON.stringify(probes.map((p) => ({ role: p.role, settings: p.settings, label: label(p) }))),
    JSON.stringify(attempts),
    absent ?? null,
  ]);
  return new Set(rows[0].facts as string[]);
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
  absent?: string,
): Promise<Widening[]> {
  const found: Widening[] = [];
  for (const [i, statement] of statements.entries()) {
    await client.query(statement);
    const now = await observe(client, probes, tables, absent);
    const wider = [...now].filter((f) => !f.endsWith(' ERROR') && !before.has(f) && !after.has(f) && !undecided(f, before, after)).sort();
    if (wider.length) found.push({ after: `${i + 1}: ${statement}`, facts: wider });
  }
  return found;
}

/**
 * Whether the old or the new state answers this probe's command with an
 * error raised while evaluating a policy (not a denial on the table): a
 * policy that fails for a role makes each of its commands fail, so that
 * state neither allows nor denies the rows, and what an intermediate state
 * lets through is not judged against it.
 */
function undecided(fact: string, before: ReadonlySet<string>, after: ReadonlySet<string>): boolean {
  const command = fact.slice(0, fact.lastIndexOf(' '));
  const errored = `${/ candidate \d+$/.test(fact) ? fact.replace(/ candidate \d+$/, '') : command} ERROR`;
  return before.has(errored) || after.has(errored);
}

/** What the probes observe once `statements` have run, seen inside a transaction that is rolled back. */
export async function observeAfter(client: pg.ClientBase, statements: readonly string[], probes: readonly Probe[], tables: readonly ProbedTable[], absent?: string): Promise<Set<string>> {
  await client.query('BEGIN');
  try {
    for (const s of statements) await client.query(s);
    return await observe(client, probes, tables, absent);
  } finally {
    await client.query('ROLLBACK');
  }
}
