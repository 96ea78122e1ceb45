/**
 * `npm run demo`: the quick start, narrated. Starts a throwaway PostgreSQL,
 * creates a small app (demo/example-app.ts), then walks through its access
 * declaration (demo/access.ts):
 *
 *   1. the plan: the SQL to apply, and the SQL that undoes it;
 *   2. apply it;
 *   3. what PostgreSQL now enforces, as the application role;
 *   4. edit one policy: the plan is a single ALTER POLICY;
 *   5. check: in sync (and what drift looks like).
 *
 * Every step checks what it shows, so the demo is also a smoke test: it exits
 * non-zero when something is not as expected. The server is stopped at the
 * end, also on error.
 */
import pg from 'pg';
import pc from 'picocolors';
import { startEmbeddedPostgres, type RunningPostgres } from '../support/pg-server.js';
import { apply, check, defineAccess, plan, policy, table, type AccessDeclaration, type PolicyDeclaration } from '../src/index.js';
import { access, currentUserId } from './access.js';
import { EXAMPLE_SCHEMA_SQL } from './example-app.js';
import { ExpectationFailed, expectThat, say, showError, showQuery, showRows, showSql, step, subheading } from './narrate.js';

type Settings = Record<string, string>;
type Outcome = { ok: true; rows: Record<string, unknown>[]; rowCount: number; command: string } | { ok: false; error: { message: string; code?: string } };

/**
 * Runs one statement as `role` with the given settings, the way an
 * application does per request: in a transaction, SET LOCAL ROLE, settings
 * local to the transaction. Always rolled back, so the examples do not
 * change the data.
 */
async function runAs(db: pg.Client, role: string, settings: Settings, sql: string): Promise<Outcome> {
  const who = `${role}${Object.keys(settings).length ? ` (${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`;
  showQuery(who, sql);
  await db.query('BEGIN');
  try {
    await db.query(`SET LOCAL ROLE ${role}`);
    for (const [key, value] of Object.entries(settings)) await db.query('SELECT set_config($1, $2, true)', [key, value]);
    const result = await db.query(sql);
    if (result.command === 'SELECT') showRows(result.rows);
    else say(pc.dim(`  ${result.command}${result.command === 'INSERT' ? ' 0' : ''} ${result.rowCount}`));
    return { ok: true, rows: result.rows, rowCount: result.rowCount ?? 0, command: result.command };
  } catch (cause) {
    const error = cause as { message: string; code?: string };
    showError(error);
    return { ok: false, error };
  } finally {
    await db.query('ROLLBACK');
  }
}

function refused(outcome: Outcome, pattern: RegExp): boolean {
  return !outcome.ok && pattern.test(outcome.error.message);
}

/** The same declaration with one policy replaced (matched by table and policy name). */
function withPolicy(declaration: AccessDeclaration, tableName: string, replacement: PolicyDeclaration): AccessDeclaration {
  return defineAccess({
    ...declaration,
    tables: declaration.tables.map((t) =>
      t.table === tableName
        ? table(t.table, { ...t.options, policies: (t.options.policies ?? []).map((p) => (p.name === replacement.name ? replacement : p)) })
        : t,
    ),
  });
}

async function showPlan(db: pg.Client): Promise<void> {
  step(1, 'The plan');
  const policyCount = access.tables.reduce((n, t) => n + (t.options.policies?.length ?? 0), 0);
  say(`demo/access.ts declares ${access.tables.length} tables, ${policyCount} policies and their grants for the roles ${access.roles.map((r) => r.name).join(' and ')}, which it creates.`);
  say(`plan() reads the catalogs, has PostgreSQL normalize every policy expression, and diffs. It changes nothing.`);
  const planned = await plan(db, access);
  subheading(`${planned.operations.length} operations:`);
  planned.operations.forEach((o, i) => say(`  ${String(i + 1).padStart(2)}. ${o.description}`));
  subheading('Up (what apply runs, in one transaction):');
  showSql(planned.up, pc.green);
  subheading('Down (the exact inverse, for a migration\'s downgrade):');
  showSql(planned.down, pc.yellow);
  for (const d of planned.diagnostics) say(pc.dim(`  [${d.severity}] ${d.message}`));
  say('');
  const creates = planned.operations.filter((o) => o.op.kind === 'create-policy').length;
  expectThat(creates === 6, `the plan creates the 6 declared policies (found ${creates})`);
  expectThat(planned.down.length > 0 && planned.operations.every((o) => o.inverseSql.length > 0), 'every operation has an inverse in the down SQL');
}

async function applyIt(db: pg.Client): Promise<void> {
  step(2, 'Apply it');
  const started = performance.now();
  const { plan: applied, records } = await apply(db, access);
  const statements = applied.operations.flatMap((o) => o.sql).length;
  say(
    `apply() ran ${statements} statements in one transaction in ${Math.round(performance.now() - started)} ms (under an advisory lock, planned inside the transaction and read again before committing), ` +
      `then recorded how ${records.written} policies normalize in their comments.`,
  );
  const again = await plan(db, access);
  expectThat(again.isEmpty, 'planning again finds nothing to do');
}

async function enforce(db: pg.Client): Promise<void> {
  step(3, 'What PostgreSQL enforces now');
  say(`The application runs as app_user and sets app.user_id / app.tenant_id per transaction.`);
  say(pc.dim(`Each example below runs in its own transaction, rolled back afterwards.`));
  const alice = { 'app.user_id': '1' };

  subheading('Alice (user 1) lists documents: only her own.');
  const own = await runAs(db, 'app_user', alice, 'SELECT id, owner_id, title FROM documents ORDER BY id');
  expectThat(own.ok && own.rows.length === 2 && own.rows.every((r) => r.owner_id === 1), 'alice sees exactly her 2 documents out of 5');

  subheading('Alice writes a document of her own: allowed.');
  const mine = await runAs(db, 'app_user', alice, `INSERT INTO documents (owner_id, title) VALUES (1, 'Alice: notes')`);
  expectThat(mine.ok && mine.rowCount === 1, 'her own row goes in (the serial column\'s sequence USAGE was granted with INSERT)');

  subheading('Alice tries to create a document in Bob\'s name: refused by the owner_inserts policy.');
  const forged = await runAs(db, 'app_user', alice, `INSERT INTO documents (owner_id, title) VALUES (2, 'Bob: I resign')`);
  expectThat(refused(forged, /new row violates row-level security policy for table "documents"/), 'PostgreSQL rejects the row');

  subheading('Alice tries to rename Bob\'s documents: his rows are invisible to her, so nothing is updated.');
  const hijack = await runAs(db, 'app_user', alice, `UPDATE documents SET title = 'mine now' WHERE owner_id = 2`);
  expectThat(hijack.ok && hijack.rowCount === 0, 'UPDATE 0: no row of Bob\'s is touched');

  subheading('Alice tries to delete: app_user was never granted DELETE on documents.');
  const wipe = await runAs(db, 'app_user', alice, 'DELETE FROM documents');
  expectThat(refused(wipe, /permission denied for table documents/), 'PostgreSQL refuses the statement');

  subheading('Tenants: a session of tenant 10 sees tenant 10\'s projects and invoices, and cannot write into tenant 20.');
  const acme = { 'app.tenant_id': '10' };
  const projects = await runAs(db, 'app_user', acme, 'SELECT id, tenant_id, name FROM projects ORDER BY id');
  expectThat(projects.ok && projects.rows.length === 2 && projects.rows.every((r) => r.tenant_id === 10), 'only the 2 projects of tenant 10');
  const crossTenant = await runAs(db, 'app_user', acme, `INSERT INTO projects (tenant_id, name) VALUES (20, 'sneaky')`);
  expectThat(refused(crossTenant, /new row violates row-level security policy for table "projects"/), 'a row for tenant 20 is rejected');
  const invoices = await runAs(db, 'app_user', acme, 'SELECT id, tenant_id, amount_cents, status FROM billing.invoices ORDER BY id');
  expectThat(invoices.ok && invoices.rows.length === 2 && invoices.rows.every((r) => r.tenant_id === 10), 'billing.invoices: the 2 invoices of tenant 10');

  subheading('The read-only role in tenant 10: the restrictive policy hides drafts, and it may not write.');
  const report = await runAs(db, 'app_readonly', acme, 'SELECT id, tenant_id, amount_cents, status FROM billing.invoices ORDER BY id');
  expectThat(report.ok && report.rows.length === 1 && report.rows[0]!.status === 'paid', 'app_readonly sees the paid invoice, not the draft');
  const markPaid = await runAs(db, 'app_readonly', acme, `UPDATE billing.invoices SET status = 'paid'`);
  expectThat(refused(markPaid, /permission denied for table invoices/), 'PostgreSQL refuses the update');
}

// Step 4's edit: documents marked public become readable by every user.
const edited = withPolicy(
  access,
  'public.documents',
  policy('owner_reads', {
    for: 'SELECT',
    to: 'app_user',
    using: (t) => `${t.owner_id} = ${currentUserId} OR ${t.is_public}`,
  }),
);

async function editOnePolicy(db: pg.Client): Promise<void> {
  step(4, 'Edit one policy');
  say(`The edit (made in code in demo/run-demo.ts, as you would in demo/access.ts): documents marked public become readable by every user.`);
  showSql([`policy('owner_reads', { for: 'SELECT', to: 'app_user', using: (t) => \`\${t.owner_id} = \${currentUserId} OR \${t.is_public}\` })`], pc.white);
  const planned = await plan(db, edited);
  const access = planned.operations.flatMap((o) => o.sql);
  const down = planned.downOperations.flatMap((o) => o.sql);
  subheading('The plan:');
  showSql(access, pc.green);
  subheading('Down:');
  showSql(down, pc.yellow);
  say(pc.dim(`(Also ${planned.records.length} COMMENT ON POLICY: pg-access records how the new text normalizes, so the next check needs no work on the server.)`));
  say('');
  const kinds = planned.operations.map((o) => o.op.kind).join(', ');
  expectThat(
    kinds === 'drop-policy, create-policy' && access[0]!.startsWith('DROP POLICY "owner_reads"') && access[1]!.startsWith('CREATE POLICY "owner_reads"'),
    'the old version dropped, the new one created: one transaction for apply; run without one, never wider than the old or the new state',
    access.join(';\n'),
  );
  expectThat(down[0]!.startsWith('DROP POLICY "owner_reads"') && down.some((s) => s.startsWith('CREATE POLICY "owner_reads"')), 'its inverse restores the old expression');

  await apply(db, edited);
  say('Applied.');
  subheading('Alice lists documents again: her own, and Bob\'s public handbook.');
  const now = await runAs(db, 'app_user', { 'app.user_id': '1' }, 'SELECT id, owner_id, title, is_public FROM documents ORDER BY id');
  expectThat(now.ok && now.rows.length === 3 && now.rows.some((r) => r.owner_id === 2 && r.is_public === true), 'alice now also sees the public document');
}

async function checkIt(db: pg.Client): Promise<void> {
  step(5, 'Check');
  say(`check() is what CI runs (pg-access check): the database is in sync when the plan is empty.`);
  const clean = await check(db, edited);
  say(pc.green(`  ${clean.report}`));
  expectThat(clean.inSync, 'the database matches the edited declaration');
  subheading('What drift looks like: checking against the declaration before the edit.');
  const drift = await check(db, access);
  say(pc.yellow(drift.report.replaceAll(/^/gm, '  ')));
  expectThat(
    !drift.inSync && drift.plan.operations.map((o) => o.op.kind).join(', ') === 'drop-policy, create-policy',
    'check reports the one difference (the policy, its old version to replace) and the SQL that fixes it',
  );
}

async function createExampleApp(server: RunningPostgres): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE demo TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = '/demo';
  const db = new pg.Client({ connectionString: url.toString(), application_name: 'pg-access-demo' });
  await db.connect();
  await db.query(EXAMPLE_SCHEMA_SQL);
  return db;
}

async function main(): Promise<number> {
  say(pc.bold('pg-access demo: declarative row-level security and grants'));
  const server = await startEmbeddedPostgres();
  let db: pg.Client | undefined;
  try {
    say(pc.dim(`PostgreSQL ${server.majorVersion} started on 127.0.0.1:${server.port} (throwaway; removed at the end).`));
    db = await createExampleApp(server);
    say(pc.dim(`Example app created: users, documents (owned by users), projects (multi-tenant), billing.invoices; no roles, grants or policies yet.`));
    say(pc.dim(`pg-access connects as the tables' owner (here the superuser postgres).`));

    await showPlan(db);
    await applyIt(db);
    await enforce(db);
    await editOnePolicy(db);
    await checkIt(db);

    say(`\n${pc.bold(pc.green('All steps behaved as expected.'))} Copy demo/access.ts as a starting point for your own declaration.`);
    return 0;
  } catch (error) {
    if (error instanceof ExpectationFailed) say(`\n${pc.red(pc.bold(error.message))}`);
    else say(`\n${pc.red(error instanceof Error ? (error.stack ?? error.message) : String(error))}`);
    return 1;
  } finally {
    await db?.end().catch(() => undefined);
    await server.stop();
  }
}

process.exitCode = await main();
