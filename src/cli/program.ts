import { Command, InvalidArgumentError, Option } from 'commander';
import { applyCommand } from './commands/apply-command.js';
import { auditCommand } from './commands/audit-command.js';
import { lintCommand } from './commands/lint-command.js';
import { migrationFormats } from '../render/migration/write-migration.js';
import { checkCommand } from './commands/check-command.js';
import { generateCommand } from './commands/generate-command.js';
import { planCommand } from './commands/plan-command.js';
import { pullCommand } from './commands/pull-command.js';
import { testCommand } from './commands/test-command.js';
import type { CliContext } from './context.js';
import type { ExitCode } from './exit-codes.js';

/**
 * The commander program. Each action stores its exit code through `done`;
 * errors propagate to main(), which turns them into exit codes and messages.
 */
export function buildProgram(ctx: CliContext, version: string, done: (code: ExitCode) => void): Command {
  const program = new Command('pg-access')
    .description('Declarative PostgreSQL access control: row-level security policies, grants and schemas, planned against the live catalogs.')
    .version(version, '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      // Commander's messages start with "error: ..."; every error the CLI prints reads "pg-access: error: ...".
      outputError: (text, write) => write(`pg-access: ${text}`),
    })
    .showHelpAfterError('(run pg-access --help for usage)')
    .addHelpText(
      'after',
      '\nThe connection comes from --url, then url or dbCredentials in pg-access.config.ts, then DATABASE_URL.\n' +
        'Exit codes: 0 success, 1 drift (check), 2 usage, declaration or connection error, 3 internal error,\n' +
        '4 retryable (lock timeout, lost connection, concurrent change; nothing was changed).\n',
    );

  databaseCommand(program, 'plan', 'print the SQL that would make the database match the declaration (up and down); changes nothing')
    .option('--json', 'print the plan as JSON')
    .action(async (options) => done(await planCommand(ctx, options)));

  databaseCommand(program, 'generate', 'write the plan as a migration (nothing is written when the database already matches)')
    .requiredOption('-n, --name <name>', 'migration name, e.g. add_document_policies')
    .addOption(new Option('-f, --format <format>', "migration format (default: the config's format, else sql)").choices(migrationFormats()))
    .option('-o, --out <dir>', "migrations folder (default: the config's out, else ./migrations beside the config)")
    .action(async (options) => done(await generateCommand(ctx, options)));

  databaseCommand(program, 'apply', 'plan and execute in one transaction')
    .option('--set-passwords', 'set every declared password from its environment variable, not only those of roles this run creates')
    .action(async (options) => done(await applyCommand(ctx, options)));

  databaseCommand(program, 'check', 'exit 0 when the database matches the declaration, 1 with a drift report otherwise')
    .option('--json', 'print the result as JSON')
    .option('--verify', 'normalize every policy expression through PostgreSQL, ignoring the records pg-access keeps in policy comments')
    .addOption(new Option('--fail-on <what>', 'drift: exit 1 on any difference; widen: exit 1 only when applying the declaration would widen access (printing who gains what)').choices(['drift', 'widen']).default('drift'))
    .action(async (options) => done(await checkCommand(ctx, options)));

  program
    .command('pull')
    .description('write the access of an existing database (roles, grants, RLS, policies) as an access module; changes nothing')
    .showHelpAfterError('(run pg-access pull --help for usage)')
    .option('-c, --config <path>', 'config file, for the connection (optional: pull needs none)')
    .option('--url <url>', 'connection URL; overrides the config and DATABASE_URL')
    .option('--lock-timeout <ms>', "how long to wait for any lock (default: the config's lockTimeoutMs, else 5000)", positiveInteger)
    .option('-o, --out <file>', 'write the module to this file (default: print it); a file pull did not write is replaced only with --force')
    .option('-s, --schema <name...>', 'schemas to pull (default: every schema but the system ones and those an extension owns)')
    .option('--manage-roles', 'declare roles with role() and their attributes, for pg-access to keep (default: existing roles, left alone)')
    .option('--force', 'replace --out even if pull did not write it')
    .option('--drizzle <module>', 'a Drizzle schema module: write its tables by their exported names, imported from it')
    .action(async (options) => done(await pullCommand(ctx, options)));

  program
    .command('audit')
    .description('who can do what: every role and PUBLIC × every table and view × command, as PostgreSQL decides it; changes nothing')
    .showHelpAfterError('(run pg-access audit --help for usage)')
    .option('-c, --config <path>', 'config file, for the connection (optional: audit needs none)')
    .option('--url <url>', 'connection URL; overrides the config and DATABASE_URL')
    .option('--lock-timeout <ms>', "how long to wait for any lock (default: the config's lockTimeoutMs, else 5000)", positiveInteger)
    .option('-s, --schema <name...>', 'schemas to audit (default: every schema but the system ones and those an extension owns)')
    .option('-r, --role <name...>', "only these roles ('public' for PUBLIC)")
    .option('-t, --table <name...>', "only these tables and views ('schema.name' or 'name')")
    .option('--json', 'print the matrix as JSON (version 1, see the README)')
    .option('--markdown', 'print it as Markdown, for a pull request')
    .option('--html', 'print it as one self-contained HTML file, filterable by role, table, command and access (no network needed to open it)')
    .option('--diff <file>', 'print what changed since an earlier audit --json (taken with the same --schema, --role and --table)')
    .action(async (options) => done(await auditCommand(ctx, options)));

  program
    .command('lint')
    .description('find access problems: policies that are not enforced or admit everything, tables readable without RLS, unreachable policies; changes nothing')
    .showHelpAfterError('(run pg-access lint --help for usage)')
    .option('-c, --config <path>', 'config file, for the connection and lint.ignore (optional)')
    .option('--url <url>', 'connection URL; overrides the config and DATABASE_URL')
    .option('--lock-timeout <ms>', "how long to wait for any lock (default: the config's lockTimeoutMs, else 5000)", positiveInteger)
    .option('-s, --schema <name...>', 'schemas to lint (default: every schema but the system ones and those an extension owns)')
    .option('--json', 'print the findings as JSON (version 1)')
    .option('--sarif', 'print the findings as SARIF 2.1.0, for GitHub code scanning')
    .option('--declared', "lint the state the config's declaration would leave (its plan played on the catalogs) instead of the database as it is")
    .addOption(new Option('--fail-on <severity>', "exit 1 when a finding is at least this severe (default: the config's lint.failOn, else error)").choices(['error', 'warning', 'info', 'never']))
    .option('--fix <name>', 'write the fixes that need no choice (enable or force RLS, wrap per-row calls, grant a serial column\'s sequence) as a migration of this name, with its downgrade; applies nothing')
    .addOption(new Option('-f, --format <format>', "with --fix: migration format (default: the config's format, else sql)").choices(migrationFormats()))
    .option('-o, --out <dir>', "with --fix: migrations folder (default: the config's out; required without a config)")
    .action(async (options) => done(await lintCommand(ctx, options, version)));

  program
    .command('test')
    .description("check the config's test.expect (who may do what to which rows) as each role, after test.seed, in a transaction rolled back at the end; prints the failures and which declared policies no expectation exercised")
    .showHelpAfterError('(run pg-access test --help for usage)')
    .option('-c, --config <path>', 'config file (default: pg-access.config.{ts,mts,js,mjs} in the current folder)')
    .option('--url <url>', 'connection URL; overrides the config and DATABASE_URL')
    .option('--json', 'print the results and the coverage as JSON (version 1)')
    .option('--all', 'list the passing expectations too')
    .option('--require-coverage', 'exit 1 when a declared policy command is exercised by no expectation')
    .option('--pglite', "run on PGlite in this process (the project's @electric-sql/pglite): test.schema, then the declaration applied, then the expectations; no server needed")
    .action(async (options) => done(await testCommand(ctx, options)));

  return program;
}

/** A subcommand with the options every command that reads the database takes. */
function databaseCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .showHelpAfterError(`(run pg-access ${name} --help for usage)`)
    .option('-c, --config <path>', 'config file (default: pg-access.config.{ts,mts,js,mjs} in the current folder)')
    .option('--url <url>', 'connection URL; overrides the config and DATABASE_URL')
    .option('--lock-timeout <ms>', "how long to wait for any lock (default: the config's lockTimeoutMs, else 5000)", positiveInteger)
    .option('--allow-drop-roles', 'drop roles pg-access created that the declaration no longer lists (refused while they own objects or hold privileges outside it)');
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number of milliseconds.');
  return n;
}
