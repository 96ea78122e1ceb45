/**
 * TypeORM (1.x) migrations: a class implementing MigrationInterface in the
 * file layout `typeorm migration:create` uses, each statement run by
 * `queryRunner.query(...)` in order.
 *
 *   <dir>/1767323045000-DocsAccess.ts    export class DocsAccess1767323045000
 *
 * TypeORM orders migrations by the 13-digit millisecond timestamp at the end
 * of the class name (and refuses a name without one), and records the name
 * in its migrations table; `migration:revert` calls down() of the last one.
 * It runs migrations in one transaction by default ("all"); with
 * `transaction: 'none'` the statements are still in pg-access's safe order.
 */
import { codeFunction, generatedHeader } from '../migration/js-literal.js';
import type { MigrationWriter } from '../migration/migration-writer.js';

export const typeormWriter: MigrationWriter = {
  format: 'typeorm',
  summary: 'a TypeScript MigrationInterface class <timestamp>-<Name>.ts, run by typeorm migration:run and reverted by migration:revert',
  async files(migration) {
    const timestamp = migration.now.getTime();
    const pascal = migration.name
      .split('_')
      .filter(Boolean)
      .map((part) => part[0]!.toUpperCase() + part.slice(1))
      .join('');
    // A class name cannot start with a digit: a name of digits only gets a prefix.
    const base = /^[0-9]/.test(pascal) ? `Access${pascal}` : pascal;
    const className = `${base}${timestamp}`;
    const file = `${timestamp}-${base}.ts`;
    const text = [
      generatedHeader(`TypeORM migration ${className}`, migration.now),
      '',
      "import type { MigrationInterface, QueryRunner } from 'typeorm';",
      '',
      `export class ${className} implements MigrationInterface {`,
      `  name = '${className}';`,
      '',
      codeFunction(migration.up, 'public async up(queryRunner: QueryRunner): Promise<void>', (sql) => `await queryRunner.query(${sql});`, '  '),
      '',
      codeFunction(migration.down, 'public async down(queryRunner: QueryRunner): Promise<void>', (sql) => `await queryRunner.query(${sql});`, '  '),
      '}',
      '',
    ].join('\n');
    return [{ path: file, text }];
  },
};

