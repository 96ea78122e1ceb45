import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkExpectations, type AccessExpectation } from '../../testing/expectations.js';
import { expectationCoverage } from '../../testing/coverage.js';
import { runExpectations } from '../../testing/expectations.js';
import { formatExpectationReport } from '../../testing/report.js';
import { apply } from '../../plan/apply.js';
import type { AccessDeclaration } from '../../declare/declarations.js';
import { quoteIdent } from '../../render/sql/quote.js';
import { findConfigFile, loadAccess, loadConfig } from '../config.js';
import { resolveConnection, withConnection } from '../connection.js';
import type { CliContext } from '../context.js';
import { ExitCode, userError } from '../exit-codes.js';
import { writeJson } from '../plan-output.js';

export interface TestCommandOptions {
  readonly config?: string;
  readonly url?: string;
  readonly json?: boolean;
  /** Show passing expectations in the table too. */
  readonly all?: boolean;
  /** Exit 1 when a declared policy command is exercised by no expectation. */
  readonly requireCoverage?: boolean;
  /** Run on PGlite in this process: test.schema, then the declaration applied, then the expectations; no server needed. */
  readonly pglite?: boolean;
}

/**
 * `pg-access test`: the config's test.expect, each tried as its role with its
 * settings after test.seed, in one transaction rolled back at the end (the
 * database is left as it was); exit 1 when one fails (or, with
 * --require-coverage, when a declared policy command is left unexercised).
 */
export async function testCommand(ctx: CliContext, options: TestCommandOptions): Promise<ExitCode> {
  if (options.pglite && options.url !== undefined) throw userError('USAGE', '--pglite runs on PGlite in this process; --url does not apply to it.');
  const config = await loadConfig(findConfigFile(ctx.cwd, options.config));
  const access = await loadAccess(config);
  const test = config.config.test;
  const shown = path.basename(config.file);
  if (!test) throw userError('NO_EXPECTATIONS', `${shown} has no test section: add test: { seed: './test/seed.sql', expect: [{ role, settings, table, command, allowed | rows }] }.`);
  const expectations = test.expect as readonly AccessExpectation[];
  checkExpectations(expectations);
  const dir = path.dirname(config.file);
  const read = (key: 'seed' | 'schema') => {
    const files = test[key];
    return (typeof files === 'string' ? [files] : (files ?? [])).map((file) => {
      try {
        return readFileSync(path.resolve(dir, file), 'utf8');
      } catch (error) {
        throw userError('TEST_FILE_NOT_FOUND', `test.${key} ${file} in ${shown} could not be read (${(error as Error).message}); paths are relative to the config file.`);
      }
    });
  };
  const seed = read('seed');
  const check = async (db: object) => ({
    run: await runExpectations(db, expectations, seed.length ? { seed: seed.join(';\n') } : {}),
    coverage: await expectationCoverage(db, access, expectations),
  });
  let outcome: Awaited<ReturnType<typeof check>>;
  if (options.pglite) {
    const schema = read('schema');
    if (schema.length === 0) throw userError('USAGE', `--pglite starts from an empty database: name the SQL that creates your tables in ${shown}, test: { schema: './schema.sql', ... }.`);
    const db = await onPglite(schema, access, shown);
    try {
      outcome = await check(db);
    } finally {
      await db.close();
    }
  } else {
    outcome = await withConnection(resolveConnection(options.url, config.config, ctx.env), check);
  }
  const { run, coverage } = outcome;
  if (options.json) {
    writeJson(ctx.stdout, {
      version: 1,
      passed: run.passed,
      failed: run.failed,
      ms: Math.round(run.ms),
      results: run.results.map((r) => ({ index: r.index + 1, ...(r.expectation.name ? { name: r.expectation.name } : {}), role: r.expectation.role, table: r.table, command: r.expectation.command, pass: r.pass, expected: r.expected, actual: r.actual })),
      coverage: { total: coverage.total, exercised: coverage.exercised, missing: coverage.missing },
    });
  } else {
    const c = ctx.stdout.colors;
    const text = formatExpectationReport(run, coverage, { all: options.all === true }).replace(/^(\s+)FAIL/gm, (_m, space: string) => `${space}${c.red('FAIL')}`);
    ctx.stdout.write(`${text}\n`);
  }
  const uncovered = options.requireCoverage === true && coverage.missing.length > 0;
  if (uncovered && !options.json) ctx.stderr.write(`${coverage.missing.length} declared policy command${coverage.missing.length === 1 ? ' is' : 's are'} exercised by no expectation (--require-coverage).\n`);
  return run.failed > 0 || uncovered ? ExitCode.drift : ExitCode.ok;
}

interface PgliteLike {
  exec(sql: string): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
  close(): Promise<void>;
}

/**
 * A fresh PGlite (PostgreSQL in this process; the project's own
 * @electric-sql/pglite) with the schema, the roles the declaration names as
 * existing ones, and the declaration applied: what the database will be
 * once the migrations and the access are applied.
 */
async function onPglite(schema: readonly string[], access: AccessDeclaration, shown: string): Promise<PgliteLike> {
  let PGlite: new () => PgliteLike;
  try {
    ({ PGlite } = (await import('@electric-sql/pglite' as string)) as { PGlite: new () => PgliteLike });
  } catch (error) {
    throw userError('PGLITE_UNAVAILABLE', `--pglite needs @electric-sql/pglite in the project (npm install -D @electric-sql/pglite): ${(error as Error).message}`);
  }
  const db = new PGlite();
  try {
    // Roles the declaration expects to exist already (a provider's, the team's): created here, as the real database has them.
    for (const r of access.roles) {
      if (r.kind === 'existing-role' && (await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r.name])).rows.length === 0) await db.exec(`CREATE ROLE ${quoteIdent(r.name)}`);
    }
    for (const [i, sql] of schema.entries()) {
      try {
        await db.exec(sql);
      } catch (error) {
        throw userError('TEST_SCHEMA_FAILED', `test.schema file ${i + 1} of ${shown} failed on PGlite: ${(error as Error).message}`);
      }
    }
    await apply(db, access);
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

