import type { Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import type { PolicyCommand } from '../model/policy.js';
import { keyOf } from '../model/qualified-name.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';

export interface ExpressionsToNormalize {
  readonly schema: string;
  readonly table: string;
  /** For error messages only. */
  readonly policyName: string;
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
/** A private SQLSTATE, raised only to roll a table's subtransaction back. */
const ROLLBACK_STATE = 'PGA01';

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
 * one DO block handles every table, five round trips whatever the number of
 * policies.
 *
 * Locks: CREATE POLICY takes an ACCESS EXCLUSIVE lock on its table. Each
 * table is handled in its own subtransaction that is rolled back as soon as
 * its policies have been read back, and rolling back a subtransaction
 * releases the locks it took. So a plan holds at most one table's lock at a
 * time, for well under a millisecond, instead of every declared table's
 * until the end (which stalled readers of all of them and could exhaust the
 * shared lock table). lock_timeout bounds the wait for each table; a table
 * whose lock cannot be had is reported, its remaining policies skipped.
 * Every policy has its own exception block too, so that every rejected
 * expression is reported at once.
 */
const NORMALIZE_DO = `DO $pg_access$
DECLARE
  tbl jsonb;
  item jsonb;
  created jsonb;
  results jsonb := '[]'::jsonb;
  errors jsonb := '[]'::jsonb;
BEGIN
  FOR tbl IN SELECT value FROM jsonb_array_elements(current_setting('${PAYLOAD_SETTING}')::jsonb) LOOP
    BEGIN
      FOR item IN SELECT value FROM jsonb_array_elements(tbl->'items') LOOP
        BEGIN
          EXECUTE format('CREATE POLICY %I ON %I.%I AS PERMISSIVE FOR %s TO PUBLIC%s%s',
            '${TEMPORARY_PREFIX}' || (item->>'i'), tbl->>'schema', tbl->>'table', item->>'command',
            CASE WHEN item ? 'using' THEN E' USING (' || (item->>'using') || E'\\n)' ELSE '' END,
            CASE WHEN item ? 'check' THEN E' WITH CHECK (' || (item->>'check') || E'\\n)' ELSE '' END);
        EXCEPTION WHEN OTHERS THEN
          errors := errors || jsonb_build_array(jsonb_build_object('i', item->'i', 'message', SQLERRM, 'state', SQLSTATE));
          EXIT WHEN SQLSTATE = '55P03';
        END;
      END LOOP;
      SELECT COALESCE(jsonb_agg(jsonb_build_array(substr(p.polname, ${TEMPORARY_PREFIX.length + 1})::int,
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))), '[]'::jsonb)
        INTO created
        FROM pg_policy p
        WHERE p.polrelid = format('%I.%I', tbl->>'schema', tbl->>'table')::regclass
          AND p.polname LIKE '${TEMPORARY_PREFIX.replaceAll('_', '\\_')}%';
      results := results || created;
      RAISE EXCEPTION USING ERRCODE = '${ROLLBACK_STATE}', MESSAGE = 'pg-access: roll back this table';
    EXCEPTION WHEN SQLSTATE '${ROLLBACK_STATE}' THEN
      NULL;
    END;
  END LOOP;
  PERFORM set_config('${RESULTS_SETTING}', results::text, true);
  PERFORM set_config('${ERRORS_SETTING}', errors::text, true);
END
$pg_access$`;

const READ_BACK = `SELECT current_setting('${ERRORS_SETTING}') AS errors, current_setting('${RESULTS_SETTING}') AS results`;

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
  items.forEach((item, i) => {
    const key = keyOf(item.schema, item.table);
    const group = byTable.get(key) ?? { schema: item.schema, table: item.table, items: [] };
    group.items.push({
      i,
      command: item.command,
      ...(item.using !== null ? { using: item.using } : {}),
      ...(item.withCheck !== null ? { check: item.withCheck } : {}),
    });
    byTable.set(key, group);
  });
  const payload = [...byTable.values()];
  const begin = options.inTransaction ? 'SAVEPOINT pg_access_normalize' : 'BEGIN';
  const end = options.inTransaction ? 'ROLLBACK TO SAVEPOINT pg_access_normalize' : 'ROLLBACK';
  await db.query(begin);
  let row: { errors: string; results: string };
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
  for (const [i, using, withCheck] of JSON.parse(row.results) as [number, string | null, string | null][]) result[i] = { using, withCheck };
  for (let i = 0; i < items.length; i++) {
    if (!result[i]) throw new Error(`internal: expression ${i} was not normalized`);
  }
  return result;
}

function describeFailure(item: ExpressionsToNormalize, message: string): string {
  const parts = [`policy ${quoteIdent(item.policyName)} on ${quoteQualified(item.schema, item.table)}: ${message}`];
  if (item.using !== null) parts.push(`using: ${item.using}`);
  if (item.withCheck !== null) parts.push(`withCheck: ${item.withCheck}`);
  return parts.join('\n      ');
}

function normalizeFailure(cause: unknown): Error {
  const e = cause as { code?: string; message?: string };
  if (e.code === '55P03') return new PgAccessError('LOCK_TIMEOUT', `Timed out waiting for a table lock while checking policy expressions (${e.message}). Another session holds it; retry later.`);
  if (e.code === '42501') return new PgAccessError('PERMISSION_DENIED', `Checking policy expressions needs to own the declared tables: ${e.message}. Connect as the tables' owner (or a superuser).`);
  return cause instanceof Error ? cause : new Error(String(cause));
}
