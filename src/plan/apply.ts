import type { AccessDeclaration } from '../declare/declarations.js';
import { withSession, type Queryable } from '../driver/queryable.js';
import { PgAccessError, isConnectionLost } from '../errors.js';
import { plan, type Plan } from './plan.js';
import { setRolePasswords, type PasswordOutcome } from './role-passwords.js';

/**
 * A fixed key for pg_advisory_xact_lock: two pg-access runs against the same
 * database serialize, and the second plans against what the first committed.
 * (Advisory locks are per database, so other databases are unaffected.)
 */
export const ADVISORY_LOCK_KEY = 7_261_723_456_123_001n;

export interface ApplyOptions {
  /** How long to wait for each table lock, in milliseconds. Default 5000. */
  readonly lockTimeoutMs?: number;
  /** How long to wait for another pg-access run to finish, in milliseconds. Default 60000. */
  readonly runLockTimeoutMs?: number;
  /** Drop roles pg-access created that the declaration no longer lists. Default false. */
  readonly allowDropRoles?: boolean;
  /** Set every declared role's password from its environment variable, not only those of roles this run creates (rotation). */
  readonly setPasswords?: boolean;
  /** Where password variables are read. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface ApplyResult {
  /** What was executed (empty when the database already matched). */
  readonly plan: Plan;
  /** Per role with `password: { env }`: whether its password was set. */
  readonly passwords: readonly PasswordOutcome[];
  /** How many normalization records were written after the commit, and why the rest were not (they only save later plans work). */
  readonly records: { readonly written: number; readonly skipped?: string };
}

/** Records per transaction: each COMMENT ON POLICY holds a lock on its policy until commit, and the shared lock table is finite. */
export const RECORDS_PER_TRANSACTION = 500;

/**
 * Normalization records are bookkeeping, not access: they are written after
 * the access changes are committed, RECORDS_PER_TRANSACTION at a time, so a
 * first apply of thousands of policies does not hold thousands more locks.
 * A record binds the stored texts, so one written after another session
 * changed the policy simply never matches. A failure here is reported, not
 * thrown: the access changes stand, and the next plan normalizes again.
 */
async function writeRecords(session: Queryable, planned: Plan, options: ApplyOptions): Promise<ApplyResult['records']> {
  const statements = planned.records.flatMap((r) => r.sql);
  let written = 0;
  for (let i = 0; i < statements.length; i += RECORDS_PER_TRANSACTION) {
    const batch = statements.slice(i, i + RECORDS_PER_TRANSACTION);
    try {
      await session.query('BEGIN');
      await session.query(`SELECT set_config('lock_timeout', $1, true)`, [`${options.lockTimeoutMs ?? 5000}ms`]);
      for (const statement of batch) await session.query(statement);
      await session.query('COMMIT');
      written += batch.length;
    } catch (cause) {
      await session.query('ROLLBACK').catch(() => undefined);
      return { written, skipped: `${statements.length - written} normalization records were not written (${(cause as Error).message}); the next plan normalizes those policies again` };
    }
  }
  return { written };
}

/**
 * Plans and applies in one transaction: takes the advisory lock, reads the
 * catalogs under it, executes every statement, commits. Any failure rolls
 * back everything; the error names the statement.
 */
export async function apply(db: Queryable, declaration: AccessDeclaration, options: ApplyOptions = {}): Promise<ApplyResult> {
  return withSession(db, async (session) => {
    await session.query('BEGIN');
    try {
      await session.query(`SELECT set_config('lock_timeout', $1, true)`, [`${options.runLockTimeoutMs ?? 60000}ms`]);
      try {
        await session.query('SELECT pg_advisory_xact_lock($1::bigint)', [ADVISORY_LOCK_KEY.toString()]);
      } catch (cause) {
        throw lockError(cause, 'Another pg-access run holds the apply lock on this database and did not finish in time; retry when it is done.');
      }
      await session.query(`SELECT set_config('lock_timeout', $1, true)`, [`${options.lockTimeoutMs ?? 5000}ms`]);
      const planned = await plan(session, declaration, { inTransaction: true, lockTimeoutMs: options.lockTimeoutMs ?? 5000, allowDropRoles: options.allowDropRoles });
      for (const statement of planned.operations.flatMap((o) => o.sql)) {
        try {
          await session.query(statement);
        } catch (cause) {
          throw statementError(statement, cause);
        }
      }
      if (!planned.isEmpty) await verifyApplied(session, declaration, options, planned);
      const passwords = await setRolePasswords(session, planned.passwordSources, options.setPasswords === true, options.env);
      await session.query('COMMIT');
      const records = await writeRecords(session, planned, options);
      return { plan: planned, passwords, records };
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      // Lost while waiting for the run lock or reading the catalogs: the same
      // clear message as during the statements.
      if (!(error instanceof PgAccessError) && isConnectionLost(error)) {
        throw new PgAccessError('CONNECTION_LOST', `The connection to PostgreSQL was lost (${(error as Error).message}) before anything was applied; nothing was changed. Run apply again.`);
      }
      throw error;
    }
  });
}

/**
 * Another session may change a declared table's policies or grants between
 * the catalog read and the statements (a GRANT takes no table lock at all).
 * Before committing, the catalogs are read again inside the transaction: if
 * the result is not exactly the declaration, nothing is committed. Cheap: what
 * the first plan normalized is trusted (its record hashes bind the stored
 * texts, so a policy changed meanwhile does not match and is normalized).
 */
async function verifyApplied(session: Queryable, declaration: AccessDeclaration, options: ApplyOptions, first: Plan): Promise<void> {
  const again = await plan(session, declaration, {
    inTransaction: true,
    lockTimeoutMs: options.lockTimeoutMs ?? 5000,
    allowDropRoles: options.allowDropRoles,
    trustedNormalizations: first.normalizationHashes,
  });
  if (again.isEmpty) return;
  throw new PgAccessError(
    'CONCURRENT_CHANGE',
    `After its statements ran, the database still differed from the declaration, so nothing was committed. Another session probably changed the same objects meanwhile; run apply again. Still different:`,
    again.operations.map((o) => o.description),
  );
}

function statementError(statement: string, cause: unknown): PgAccessError {
  const e = cause as { code?: string; message?: string };
  if (isConnectionLost(cause)) return new PgAccessError('CONNECTION_LOST', `The connection to PostgreSQL was lost (${e.message}) while running:\n  ${statement}\nPostgreSQL rolls back an unfinished transaction, so nothing was changed; run apply again.`);
  // The object vanished, appeared or was updated by another session since the catalogs were read.
  if (e.code === '42704' || e.code === '42710' || e.code === '42P01' || e.code === '3F000' || /tuple concurrently (updated|deleted)/.test(e.message ?? '')) {
    return new PgAccessError('CONCURRENT_CHANGE', `PostgreSQL refused a statement because the object changed since the catalogs were read (${e.message}):\n  ${statement}\nAnother session probably changed it meanwhile; the transaction was rolled back, nothing was changed. Run apply again.`);
  }
  if (e.code === '55P03') return new PgAccessError('LOCK_TIMEOUT', `Timed out waiting for a lock (${e.message}) while running:\n  ${statement}\nAnother session holds the table; nothing was changed. Retry, or raise --lock-timeout.`);
  return new PgAccessError('APPLY_FAILED', `PostgreSQL refused a statement: ${e.message ?? String(cause)}\n  ${statement}\nThe transaction was rolled back; nothing was changed.`);
}

function lockError(cause: unknown, message: string): PgAccessError | unknown {
  return (cause as { code?: string }).code === '55P03' ? new PgAccessError('LOCK_TIMEOUT', message) : cause;
}
