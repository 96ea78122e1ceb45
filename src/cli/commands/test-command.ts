import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkExpectations, type AccessExpectation } from '../../testing/expectations.js';
import { expectationCoverage } from '../../testing/coverage.js';
import { runExpectations } from '../../testing/expectations.js';
import { formatExpectationReport } from '../../testing/report.js';
import { withConnection } from '../connection.js';
import { openProject, type CliContext } from '../context.js';
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
}

/**
 * `pg-access test`: the config's test.expect, each tried as its role with its
 * settings after test.seed, in one transaction rolled back at the end (the
 * database is left as it was); exit 1 when one fails (or, with
 * --require-coverage, when a declared policy command is left unexercised).
 */
export async function testCommand(ctx: CliContext, options: TestCommandOptions): Promise<ExitCode> {
  const project = await openProject(ctx, options);
  const test = project.config.config.test;
  const shown = path.basename(project.config.file);
  if (!test) throw userError('NO_EXPECTATIONS', `${shown} has no test section: add test: { seed: './test/seed.sql', expect: [{ role, settings, table, command, allowed | rows }] }.`);
  const expectations = test.expect as readonly AccessExpectation[];
  checkExpectations(expectations);
  const dir = path.dirname(project.config.file);
  const seed = (typeof test.seed === 'string' ? [test.seed] : (test.seed ?? [])).map((file) => {
    try {
      return readFileSync(path.resolve(dir, file), 'utf8');
    } catch (error) {
      throw userError('SEED_NOT_FOUND', `test.seed ${file} in ${shown} could not be read (${(error as Error).message}); paths are relative to the config file.`);
    }
  });
  const { run, coverage } = await withConnection(project.connection, async (db) => ({
    run: await runExpectations(db, expectations, seed.length ? { seed: seed.join(';\n') } : {}),
    coverage: await expectationCoverage(db, project.access, expectations),
  }));
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
