/**
 * node-pg-migrate (9.x) migrations: one TypeScript module per migration in
 * its migrations folder, exporting `up(pgm)` and `down(pgm)`, each
 * statement given to `pgm.sql(...)` in order (without arguments, so its
 * `{name}` substitution never touches the text).
 *
 *   <dir>/20260102030405000_docs_access.ts
 *
 * node-pg-migrate 9 loads migration modules through jiti, so a TypeScript
 * file runs without a build step. The 17-digit prefix is its `utc` file
 * name format (YYYYMMDDHHmmssSSS), which it orders against the 13-digit
 * `timestamp` format by the instant both stand for. It runs each migration
 * in a transaction unless told otherwise; without one, the statements are
 * still in pg-access's safe order.
 */
import { codeFunction, generatedHeader } from '../migration/js-literal.js';
import type { MigrationWriter } from '../migration/migration-writer.js';

export const nodePgMigrateWriter: MigrationWriter = {
  format: 'node-pg-migrate',
  summary: 'a TypeScript module <utc timestamp>_<name>.ts exporting up(pgm) and down(pgm), run by node-pg-migrate up / down',
  async files(migration) {
    const file = `${migration.now.toISOString().replace(/[-T:.Z]/g, '')}_${migration.name}.ts`;
    const text = [
      generatedHeader(`node-pg-migrate migration ${file}`, migration.now),
      '',
      "import type { MigrationBuilder } from 'node-pg-migrate';",
      '',
      codeFunction(migration.up, 'export function up(pgm: MigrationBuilder): void', (sql) => `pgm.sql(${sql});`),
      '',
      codeFunction(migration.down, 'export function down(pgm: MigrationBuilder): void', (sql) => `pgm.sql(${sql});`),
      '',
    ].join('\n');
    return [{ path: file, text }];
  },
};

