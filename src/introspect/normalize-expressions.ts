import type { Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import type { PolicyCommand } from '../model/policy.js';
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
const ERRORS_SETTING = 'pg_access.normalize_errors';
const TEMPORARY_PREFIX = 'pg_access_normalize_';

/*
 * PostgreSQL is the judge of expressions: each declared policy is created for
 * real on its table, under a temporary name, and read back with pg_get_expr,
 * then everything is rolled back. The result is exactly the text the catalogs
 * will hold after applying, implicit casts and parentheses included, so it
 * compares equal to an introspected policy when (and only when) PostgreSQL
 * considers them the same.
 *
 * It is batched: the expressions travel as one JSON parameter (through a
 * transaction-local setting, so no user text is spliced into this SQL), one
 * DO block creates every policy, each in its own exception block so that
 * every rejected expression is reported at once, and one query reads them
 * back. Five round trips whatever the number of policies.
 *
 * CREATE POLICY takes an ACCESS EXCLUSIVE lock on its table until the
 * rollback; lock_timeout bounds how long this waits behind other sessions.
 */
const NORMALIZE_DO = `DO $pg_access$
DECLARE
  item jsonb;
  errors jsonb := '[]'::jsonb;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(current_setting('${PAYLOAD_SETTING}')::jsonb) LOOP
    BEGIN
      EXECUTE format('CREATE POLICY %I ON %I.%I AS PERMISSIVE FOR %s TO PUBLIC%s%s',
        '${TEMPORARY_PREFIX}' || (item->>'i'), item->>'schema', item->>'table', item->>'command',
        CASE WHEN item ? 'using' THEN E' USING (' || (item->>'using') || E'\\n)' ELSE '' END,
        CASE WHEN item ? 'check' THEN E' WITH CHECK (' || (item->>'check') || E'\\n)' ELSE '' END);
    EXCEPTION WHEN OTHERS THEN
      errors := errors || jsonb_build_array(jsonb_build_object('i', item->'i', 'message', SQLERRM, 'state', SQLSTATE));
    END;
  END LOOP;
  PERFORM set_config('${ERRORS_SETTING}', errors::text, true);
END
$pg_access$`;

// Always one row: the errors, and the normalized policies as JSON.
const READ_BACK = `SELECT current_setting('${ERRORS_SETTING}') AS errors, COALESCE((
  SELECT json_agg(json_build_array(substr(p.polname, ${TEMPORARY_PREFIX.length + 1})::int, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)))
  FROM pg_policy p WHERE p.polname LIKE '${TEMPORARY_PREFIX.replaceAll('_', '\\_')}%' AND p.polrelid = ANY($1::regclass[])), '[]'::json) AS policies`;

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
  const payload = items.map((item, i) => ({
    i,
    schema: item.schema,
    table: item.table,
    command: item.command,
    ...(item.using !== null ? { using: item.using } : {}),
    ...(item.withCheck !== null ? { check: item.withCheck } : {}),
  }));
  const tables = [...new Set(items.map((item) => quoteQualified(item.schema, item.table)))];
  const begin = options.inTransaction ? 'SAVEPOINT pg_access_normalize' : 'BEGIN';
  const end = options.inTransaction ? 'ROLLBACK TO SAVEPOINT pg_access_normalize' : 'ROLLBACK';
  await db.query(begin);
  let row: { errors: string; policies: [number, string | null, string | null][] | string };
  try {
    await db.query(`SELECT set_config('lock_timeout', $1, true), set_config('${PAYLOAD_SETTING}', $2, true), set_config('${ERRORS_SETTING}', '[]', true)`, [
      `${options.lockTimeoutMs ?? 5000}ms`,
      JSON.stringify(payload),
    ]);
    await db.query(NORMALIZE_DO);
    row = (await db.query(READ_BACK, [tables])).rows[0];
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
  const policies = typeof row.policies === 'string' ? JSON.parse(row.policies) : row.policies;
  for (const [i, using, withCheck] of policies as [number, string | null, string | null][]) result[i] = { using, withCheck };
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
