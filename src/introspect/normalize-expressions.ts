import type { Queryable } from '../driver/queryable.js';
import { PgAccessError, isConnectionLost } from '../errors.js';
import type { PolicyCommand } from '../model/policy.js';
import { keyOf } from '../model/qualified-name.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';

export interface ExpressionsToNormalize {
  readonly schema: string;
  readonly table: string;
  /** The policy's name, for error messages only. */
  readonly name: string;
  readonly command: PolicyCommand;
  readonly using: string | null;
  readonly withCheck: string | null;
}

export interface NormalizedExpressions {
  readonly using: string | null;
  readonly withCheck: string | null;
}

const PAYLOAD_SETTING = 'pg_access.normalize_payload';
const RESULTS_SETTING = 'pg_access.normalize_results';
const ERRORS_SETTING = 'pg_access.normalize_errors';
const TEMPORARY_PREFIX = 'pg_access_normalize_';
/** Private SQLSTATEs: one rolls a subtransaction back on purpose, one says a batch met a busy table. */
const ROLLBACK_STATE = 'PGA01';
const CONTENDED_STATE = 'PGA02';
/** Tables per subtransaction: few enough that their locks are held for milliseconds. */
export const TABLES_PER_BATCH = 20;
/** How long a batch waits for any one lock before it steps back and goes table by table. */
const BATCH_LOCK_TIMEOUT = '50ms';

/*
 * PostgreSQL is the judge of expressions: each declared policy is created for
 * real on its table, under a temporary name, read back with pg_get_expr, and
 * rolled back. The result is exactly the text the catalogs will hold after
 * applying, implicit casts and parentheses included, so it compares equal to
 * an introspected policy when (and only when) PostgreSQL considers them the
 * same.
 *
 * It is batched: the expressions travel as one JSON parameter (through a
 * transaction-local setting, so no user text is spliced into this SQL), and
 * one DO block handles every table: five round trips whatever the number of
 * policies. Every policy has its own exception block, so that every rejected
 * expression is reported at once.
 *
 * Locks: CREATE POLICY takes an ACCESS EXCLUSIVE lock on its table, and
 * rolling back a subtransaction releases the locks it took. Tables are
 * handled TABLES_PER_BATCH at a time, each batch in a subtransaction rolled
 * back as soon as its policies are read back, so a plan holds a few tables'
 * locks for a few milliseconds instead of every declared table's until the
 * end (which stalled readers of all of them, and can exhaust the shared lock
 * table). A batch waits at most BATCH_LOCK_TIMEOUT for any lock; if a table is
 * busy, the batch is rolled back and redone one table per subtransaction with
 * the full lock_timeout, so waiting for a busy table never holds the others.
 */
function tableBlock(onLockTimeout: 'step-back' | 'report'): string {
  const lockHandler =
    onLockTimeout === 'step-back'
      ? `IF SQLSTATE = '55P03' THEN RAISE EXCEPTION USING ERRCODE = '${CONTENDED_STATE}'; END IF;
          errors := errors || jsonb_build_array(jsonb_build_object('i', item->'i', 'message', SQLERRM, 'state', SQLSTATE));`
      : `errors := errors || jsonb_build_array(jsonb_build_object('i', item->'i', 'message', SQLERRM, 'state', SQLSTATE));
          EXIT WHEN SQLSTATE = '55P03';`;
  return `FOR item IN SELECT value FROM jsonb_array_elements(tbl->'items') LOOP
        BEGIN
          EXECUTE format('CREATE POLICY %I ON %I.%I AS PERMISSIVE FOR %s TO PUBLIC%s%s',
            '${TEMPORARY_PREFIX}' || (item->>'i'), tbl->>'schema', tbl->>'table', item->>'command',
            CASE WHEN item ? 'using' THEN E' USING (' || (item->>'using') || E'\\n)' ELSE '' END,
            CASE WHEN item ? 'check' THEN E' WITH CHECK (' || (item->>'check') || E'\\n)' ELSE '' END);
        EXCEPTION WHEN OTHERS THEN
          ${lockHandler}
        END;
      END LOOP;`;
}

/**
 * Reads back the temporary policies of the given tables (a jsonb array of
 * {schema, table}) into the results array. One query per batch; array_append
 * on a PL/pgSQL array is amortized O(1), where growing one jsonb value would
 * copy it every time.
 */
function readBack(tables: string): string {
  return `FOR created IN
        SELECT jsonb_build_array(substr(p.polname, ${TEMPORARY_PREFIX.length + 1})::int, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_policy p
        WHERE p.polrelid = ANY (ARRAY(SELECT format('%I.%I', t->>'schema', t->>'table')::regclass FROM jsonb_array_elements(${tables}) t))
          AND p.polname LIKE '${TEMPORARY_PREFIX.replaceAll('_', '\\_')}%'
      LOOP
        results := array_append(results, created);
      END LOOP;`;
}

const NORMALIZE_DO = `DO $pg_access$
DECLARE
  batch jsonb;
  tbl jsonb;
  item jsonb;
  created jsonb;
  results jsonb[] := '{}';
  errors jsonb := '[]'::jsonb;
  results_before int;
  errors_before jsonb;
  contended boolean;
BEGIN
  FOR batch IN SELECT value FROM jsonb_array_elements(current_setting('${PAYLOAD_SETTING}')::jsonb) LOOP
    contended := false;
    results_before := coalesce(array_length(results, 1), 0);
    errors_before := errors;
    BEGIN
      PERFORM set_config('lock_timeout', '${BATCH_LOCK_TIMEOUT}', true);
      FOR tbl IN SELECT value FROM jsonb_array_elements(batch) LOOP
      ${tableBlock('step-back')}
      END LOOP;
      ${readBack('batch')}
      RAISE EXCEPTION USING ERRCODE = '${ROLLBACK_STATE}';
    EXCEPTION
      WHEN SQLSTATE '${ROLLBACK_STATE}' THEN NULL;
      WHEN SQLSTATE '${CONTENDED_STATE}' THEN
        contended := true;
        results := results[1:results_before];
        errors := errors_before;
    END;
    CONTINUE WHEN NOT contended;
    FOR tbl IN SELECT value FROM jsonb_array_elements(batch) LOOP
      BEGIN
      ${tableBlock('report')}
        ${readBack("jsonb_build_array(tbl)")}
        RAISE EXCEPTION USING ERRCODE = '${ROLLBACK_STATE}';
      EXCEPTION WHEN SQLSTATE '${ROLLBACK_STATE}' THEN NULL;
      END;
    END LOOP;
  END LOOP;
  PERFORM set_config('${RESULTS_SETTING}', array_to_json(results)::text, true);
  PERFORM set_config('${ERRORS_SETTING}', errors::text, true);
END
$pg_access$`;

/*
 * The deparsed expressions come back once each: many tables' policies deparse
 * to the same text, so the server sends the distinct texts and, per policy,
 * [index, using text's number, check text's number]. At 10,000 tables that is
 * well under a megabyte instead of four, and the client parses numbers, not
 * 80,000 strings.
 */
const READ_BACK = `WITH r AS (
  SELECT (e->>0)::int AS i, e->>1 AS u, e->>2 AS c FROM json_array_elements(current_setting('${RESULTS_SETTING}')::json) e
), t AS (
  SELECT v, (row_number() OVER () - 1)::int AS n FROM (SELECT u AS v FROM r WHERE u IS NOT NULL UNION SELECT c FROM r WHERE c IS NOT NULL) d
)
SELECT current_setting('${ERRORS_SETTING}') AS errors,
  (SELECT COALESCE(json_agg(v ORDER BY n), '[]') FROM t)::text AS texts,
  (SELECT COALESCE(json_agg(json_build_array(r.i, tu.n, tc.n)), '[]')
   FROM r LEFT JOIN t tu ON tu.v = r.u LEFT JOIN t tc ON tc.v = r.c)::text AS results`;

export interface NormalizeOptions {
  /** True when the caller already holds a transaction (apply): a savepoint is used instead of BEGIN. */
  readonly inTransaction?: boolean;
  /** Milliseconds to wait for each table's lock. Default 5000. */
  readonly lockTimeoutMs?: number;
}

export async function normalizeExpressions(
  db: Queryable,
  items: readonly ExpressionsToNormalize[],
  options: NormalizeOptions = {},
): Promise<NormalizedExpressions[]> {
  if (items.length === 0) return [];
  const byTable = new Map<string, { schema: string; table: string; items: object[] }>();
  let group: { schema: string; table: string; items: object[] } | undefined;
  items.forEach((item, i) => {
    // A table's policies usually come one after another: only a change of table needs a key.
    if (!group || group.schema !== item.schema || group.table !== item.table) {
      const key = keyOf(item.schema, item.table);
      group = byTable.get(key);
      if (!group) byTable.set(key, (group = { schema: item.schema, table: item.table, items: [] }));
    }
    // Absent clauses are left out (JSON.stringify drops undefined): the DO block tests `item ? 'using'`.
    group.items.push({ i, command: item.command, using: item.using ?? undefined, check: item.withCheck ?? undefined });
  });
  const groups = [...byTable.values()];
  const payload: (typeof groups)[] = [];
  for (let i = 0; i < groups.length; i += TABLES_PER_BATCH) payload.push(groups.slice(i, i + TABLES_PER_BATCH));
  const begin = options.inTransaction ? 'SAVEPOINT pg_access_normalize' : 'BEGIN';
  const end = options.inTransaction ? 'ROLLBACK TO SAVEPOINT pg_access_normalize' : 'ROLLBACK';
  await db.query(begin);
  let row: { errors: string; texts: string; results: string };
  try {
    await db.query(`SELECT set_config('lock_timeout', $1, true), set_config('${PAYLOAD_SETTING}', $2, true)`, [
      `${options.lockTimeoutMs ?? 5000}ms`,
      JSON.stringify(payload),
    ]);
    await db.query(NORMALIZE_DO);
    row = (await db.query(READ_BACK)).rows[0];
  } catch (cause) {
    await db.query(end).catch(() => undefined);
    throw normalizeFailure(cause);
  }
  await db.query(end);
  if (options.inTransaction) await db.query('RELEASE SAVEPOINT pg_access_normalize');

  const errors = JSON.parse(row.errors) as { i: number; message: string; state: string }[];
  const notOwner = errors.find((e) => e.state === '42501');
  if (notOwner) {
    const item = items[notOwner.i]!;
    throw new PgAccessError(
      'PERMISSION_DENIED',
      `Checking policy expressions creates them for a moment on their table, which needs its owner: ${notOwner.message} (${quoteQualified(item.schema, item.table)}). Connect as the tables' owner or a superuser.`,
    );
  }
  const failures = errors.filter((e) => e.state !== '55P03');
  if (failures.length) {
    throw new PgAccessError(
      'INVALID_EXPRESSION',
      `PostgreSQL rejected ${failures.length} policy expression${failures.length > 1 ? 's' : ''}; nothing was changed.`,
      failures.map((e) => describeFailure(items[e.i]!, e.message)),
    );
  }
  const lockFailure = errors.find((e) => e.state === '55P03');
  if (lockFailure) {
    const item = items[lockFailure.i]!;
    throw new PgAccessError('LOCK_TIMEOUT', `Timed out waiting for a lock on ${quoteQualified(item.schema, item.table)} (${lockFailure.message}). Another session holds it; retry, or raise the lock timeout.`);
  }
  const result: NormalizedExpressions[] = new Array(items.length);
  const texts = JSON.parse(row.texts) as string[];
  for (const [i, using, withCheck] of JSON.parse(row.results) as [number, number | null, number | null][]) {
    result[i] = { using: using === null ? null : texts[using]!, withCheck: withCheck === null ? null : texts[withCheck]! };
  }
  for (let i = 0; i < items.length; i++) {
    if (!result[i]) throw new Error(`internal: expression ${i} was not normalized`);
  }
  return result;
}

function describeFailure(item: ExpressionsToNormalize, message: string): string {
  const parts = [`policy ${quoteIdent(item.name)} on ${quoteQualified(item.schema, item.table)}: ${message}`];
  if (item.using !== null) parts.push(`using: ${item.using}`);
  if (item.withCheck !== null) parts.push(`withCheck: ${item.withCheck}`);
  return parts.join('\n      ');
}

function normalizeFailure(cause: unknown): Error {
  const e = cause as { code?: string; message?: string };
  if (e.code === '55P03') return new PgAccessError('LOCK_TIMEOUT', `Timed out waiting for a table lock while checking policy expressions (${e.message}). Another session holds it; retry later.`);
  if (isConnectionLost(cause)) return new PgAccessError('CONNECTION_LOST', `The connection to PostgreSQL was lost while checking policy expressions (${e.message}). PostgreSQL rolls back an unfinished transaction, so nothing was changed; run it again.`);
  if (e.code === '42501') return new PgAccessError('PERMISSION_DENIED', `Checking policy expressions needs to own the declared tables: ${e.message}. Connect as the tables' owner (or a superuser).`);
  return cause instanceof Error ? cause : new Error(String(cause));
}
