/**
 * MikroORM (6.x) migrations: a `Migration` subclass in the file layout
 * `mikro-orm migration:create` uses, each statement queued by
 * `this.addSql(...)` in order.
 *
 *   <dir>/Migration20260102030405_docs_access.ts    export class Migration20260102030405_docs_access
 *
 * MikroORM's migrator (umzug) orders migrations by name and runs each in a
 * transaction. A query without parameters reaches PostgreSQL as written:
 * MikroORM patches knex so that it does not read `?` as a placeholder then
 * (@mikro-orm/knex AbstractSqlConnection.patchKnexClient), which the test
 * checks with a `?` and a backslash before one.
 */
import { migrationTimestamp } from '../migration/migration-text.js';
import { codeFunction, generatedHeader } from '../migration/js-literal.js';
import type { MigrationWriter } from '../migration/migration-writer.js';

export const mikroOrmWriter: MigrationWriter = {
  format: 'mikro-orm',
  summary: 'a TypeScript Migration class Migration<timestamp>_<name>.ts, run by mikro-orm migration:up and reverted by migration:down',
  async files(migration) {
    const className = `Migration${migrationTimestamp(migration.now)}_${migration.name}`;
    const text = [
      generatedHeader(`MikroORM migration ${className}`, migration.now),
      '',
      "import { Migration } from '@mikro-orm/migrations';",
      '',
      `export class ${className} extends Migration {`,
      codeFunction(migration.up, 'override async up(): Promise<void>', (sql) => `this.addSql(${sql});`, '  '),
      '',
      codeFunction(migration.down, 'override async down(): Promise<void>', (sql) => `this.addSql(${sql});`, '  '),
      '}',
      '',
    ].join('\n');
    return [{ path: `${className}.ts`, text }];
  },
};

