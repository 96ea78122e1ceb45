import { PgAccessError } from '../../errors.js';
import type { Plan } from '../../plan/plan.js';
import { drizzleKitWriter } from '../drizzle/drizzle-kit-migration.js';
import { kyselyWriter } from '../kysely/kysely-migration.js';
import { mikroOrmWriter } from '../mikro-orm/mikro-orm-migration.js';
import { nodePgMigrateWriter } from '../node-pg-migrate/node-pg-migrate-migration.js';
import { plainSqlWriter } from '../plain/plain-sql-migration.js';
import { prismaWriter } from '../prisma/prisma-migration.js';
import { typeormWriter } from '../typeorm/typeorm-migration.js';
import { assertPlanHasOperations, migrationInput, migrationInstant } from './migration-text.js';
import { commitMigration, migrationFolder, type MigrationWriter } from './migration-writer.js';

/** A registered writer's name: the built-in ones, and any registerMigrationWriter added. */
export type MigrationFormat = string;

/** The formats pg-access ships (the config's `format` completes them; others can be registered). */
export type BuiltinMigrationFormat = 'sql' | 'drizzle' | 'kysely' | 'node-pg-migrate' | 'typeorm' | 'mikro-orm' | 'prisma';

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

/** The writers by format, in registration order: the CLI's --format choices and the config's check come from here. */
const writers = new Map<string, MigrationWriter>();

/** Adds a format. Its name must be new: a writer never silently replaces another. */
export function registerMigrationWriter(writer: MigrationWriter): void {
  if (!/^[a-z][a-z0-9-]*$/.test(writer.format)) throw new PgAccessError('INVALID_MIGRATION_WRITER', `A migration format is named in lower case letters, digits and dashes; got ${JSON.stringify(writer.format)}.`);
  if (writers.has(writer.format)) throw new PgAccessError('INVALID_MIGRATION_WRITER', `The migration format '${writer.format}' is already registered.`);
  writers.set(writer.format, writer);
}

export function migrationFormats(): string[] {
  return [...writers.keys()];
}

export function migrationWriter(format: string): MigrationWriter {
  const writer = writers.get(format);
  if (!writer) throw new PgAccessError('UNKNOWN_MIGRATION_FORMAT', `Unknown migration format ${JSON.stringify(format)}; expected one of ${migrationFormats().map((f) => `'${f}'`).join(', ')}.`);
  return writer;
}

for (const writer of [plainSqlWriter, drizzleKitWriter, kyselyWriter, nodePgMigrateWriter, typeormWriter, mikroOrmWriter, prismaWriter]) registerMigrationWriter(writer);

/** Writes the plan's up and down as a migration of the given format (see migrationFormats). */
export async function writeMigration(format: MigrationFormat, options: WriteMigrationOptions): Promise<WrittenMigration> {
  const writer = migrationWriter(format);
  const { plan } = options;
  assertPlanHasOperations(plan);
  const recordsLeftOut = plan.records.length > MIGRATION_RECORDS_LIMIT ? plan.records.length : 0;
  const input = migrationInput(plan, options.name, migrationInstant(options.now), recordsLeftOut === 0);
  const files = await writer.files(input, migrationFolder(options.outDir));
  return { files: await commitMigration(options.outDir, files), recordsLeftOut };
}
