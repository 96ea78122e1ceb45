import type { Plan } from '../../plan/plan.js';

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
  throw new Error(`writeMigration(${format}) is not implemented yet`);
}
