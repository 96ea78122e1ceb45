/**
 * Kysely migrations: one TypeScript module per migration in the folder
 * Kysely's FileMigrationProvider reads, exporting `up(db)` and `down(db)`,
 * each statement run by `sql.raw(...)` in order.
 *
 *   <folder>/20260102030405_docs_access.ts
 *
 * Kysely's Migrator sorts migrations by file name (the UTC timestamp first)
 * and, on PostgreSQL, runs the pending ones in one transaction unless told
 * not to; either way the statements are in pg-access's safe order. One
 * statement per call: a driver may send a query through the extended
 * protocol, which takes one statement.
 */
import { migrationTimestamp } from '../migration/migration-text.js';
import { codeFunction, generatedHeader } from '../migration/js-literal.js';
import type { MigrationWriter } from '../migration/migration-writer.js';

export const kyselyWriter: MigrationWriter = {
  format: 'kysely',
  summary: "a TypeScript module <timestamp>_<name>.ts exporting up(db) and down(db), run by Kysely's Migrator with FileMigrationProvider",
  async files(migration) {
    const file = `${migrationTimestamp(migration.now)}_${migration.name}.ts`;
    const text = [
      generatedHeader(`Kysely migration ${file}`, migration.now),
      '',
      "import { sql, type Kysely } from 'kysely';",
      '',
      codeFunction(migration.up, 'export async function up(db: Kysely<any>): Promise<void>', (sql) => `await sql.raw(${sql}).execute(db);`),
      '',
      codeFunction(migration.down, 'export async function down(db: Kysely<any>): Promise<void>', (sql) => `await sql.raw(${sql}).execute(db);`),
      '',
    ].join('\n');
    return [{ path: file, text }];
  },
};

