import { PgAccessError } from '../../errors.js';
import type { Plan } from '../../plan/plan.js';
import { writeDrizzleKitMigration } from '../drizzle/drizzle-kit-migration.js';
import { writePlainSqlMigration } from '../plain/plain-sql-migration.js';

export type MigrationFormat = 'sql' | 'drizzle';

export interface WriteMigrationOptions {
  /** The migrations folder (drizzle: the drizzle-kit `out` folder holding meta/_journal.json). */
  readonly outDir: string;
  /** A short name, e.g. 'documents_policies'; sanitized for file names. */
  readonly name: string;
  readonly plan: Plan;
  /** For deterministic output in tests. Default: now. */
  readonly now?: Date;
}

/** What a format's writer returns. */
export interface WrittenFiles {
  /** Absolute paths of every file written or updated. */
  readonly files: readonly string[];
}

export interface WrittenMigration extends WrittenFiles {
  /** Normalization records the plan had but the migration leaves out (see MIGRATION_RECORDS_LIMIT); 0 when it carries them all. */
  readonly recordsLeftOut: number;
}

/**
 * The most normalization records (Plan.records) a migration carries. Each
 * COMMENT ON POLICY holds a lock on its policy until the migration commits,
 * and migration runners run a migration in one transaction: the records of a
 * first migration of thousands of policies would exhaust the shared lock
 * table ("out of shared memory") and fail the whole migration. `apply`
 * writes its records after committing, in batches; a larger migration leaves
 * them out, and the first `pg-access apply` after it writes them (changing
 * no access). Until then a check normalizes those policies, which it can.
 */
export const MIGRATION_RECORDS_LIMIT = 500;

/** Writes the plan's up and down SQL as a migration in the given format. Implemented per format in render/<format>/. */
export async function writeMigration(format: MigrationFormat, options: WriteMigrationOptions): Promise<WrittenMigration> {
  const writer = Object.hasOwn(writers, format) ? writers[format] : undefined;
  if (!writer) {
    throw new PgAccessError('UNKNOWN_MIGRATION_FORMAT', `Unknown migration format ${JSON.stringify(format)}; expected one of ${Object.keys(writers).map((f) => `'${f}'`).join(', ')}.`);
  }
  const { plan } = options;
  if (plan.records.length <= MIGRATION_RECORDS_LIMIT) return { ...(await writer(options)), recordsLeftOut: 0 };
  const withoutRecords: Plan = { ...plan, records: [], up: plan.operations.flatMap((o) => o.sql), down: plan.downOperations.flatMap((o) => o.sql) };
  return { ...(await writer({ ...options, plan: withoutRecords })), recordsLeftOut: plan.records.length };
}

/** One writer per format: a new format fails to compile until it has a writer. */
const writers: { readonly [F in MigrationFormat]: (options: WriteMigrationOptions) => Promise<WrittenFiles> } = {
  sql: writePlainSqlMigration,
  drizzle: writeDrizzleKitMigration,
};
