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

export interface WrittenMigration {
  /** Absolute paths of every file written or updated. */
  readonly files: readonly string[];
}

/** Writes the plan's up and down SQL as a migration in the given format. Implemented per format in render/<format>/. */
export async function writeMigration(format: MigrationFormat, options: WriteMigrationOptions): Promise<WrittenMigration> {
  const writer = Object.hasOwn(writers, format) ? writers[format] : undefined;
  if (!writer) {
    throw new PgAccessError('UNKNOWN_MIGRATION_FORMAT', `Unknown migration format ${JSON.stringify(format)}; expected one of ${Object.keys(writers).map((f) => `'${f}'`).join(', ')}.`);
  }
  return writer(options);
}

/** One writer per format: a new format fails to compile until it has a writer. */
const writers: { readonly [F in MigrationFormat]: (options: WriteMigrationOptions) => Promise<WrittenMigration> } = {
  sql: writePlainSqlMigration,
  drizzle: writeDrizzleKitMigration,
};
