/**
 * A connection killed in the middle of apply (pg_terminate_backend from
 * another session) loses nothing, leaves no lock behind, and a rerun on a
 * fresh connection completes.
 *
 * No timing guesses: another session holds ACCESS SHARE on one declared
 * table, so the operation under test waits at a known point; the test polls
 * pg_stat_activity until it sees that backend blocked by the holder
 * (pg_blocking_pids), checks in pg_locks how far it got, and terminates it,
 * waiting until the backend is gone (pg_terminate_backend's timeout,
 * PostgreSQL 14+). Backends are told apart by application_name.
 *
 * The operations run in this process through a pg Client (with the 'error'
 * listener node-postgres requires of every client), through a pg Pool in a
 * child process (a crash there must not take the test runner with it), and
 * as the `pg-access apply` command.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apply, defineAccess, grant, plan, policy, table, type AccessDeclaration } from '../src/index.js';
import { ADVISORY_LOCK_KEY } from '../src/plan/apply.js';
import { accessSnapshot, policiesOf, type AccessSnapshot } from './support/catalog.js';
import { asRole, createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';
import { runNodeProcess, type ProcessRun } from './support/run-process.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
const bin = path.join(repo, 'bin/pg-access.js');
const tmp = path.join(repo, '.pg-access-tmp', `connection-faults-${randomBytes(4).toString('hex')}`);

/** Enough tables that the killed transaction has done real work first (per table: a revoke, a drop, three creates, RLS, grants). */
const TABLES = Array.from({ length: 24 }, (_, i) => `t${String(i).padStart(2, '0')}`);
/**
 * Declared `rls: false` while RLS is on, with no policies: nothing locks it
 * while planning, and its DISABLE is the last statement of the plan (RLS is
 * disabled after every other step, its own GRANT included: from PostgreSQL
 * 18 on, a GRANT takes ACCESS SHARE on its table).
 */
const LAST = 'zz_last';
const LAST_STATEMENT_THAT_LOCKS = `ALTER TABLE "public"."${LAST}" DISABLE ROW LEVEL SECURITY`;
/**
 * A table with policies in the middle of the list whose read policy has a
 * sub-select on LOOKUP (not declared): normalizing expressions takes no lock
 * on declared tables, only ACCESS SHARE on tables a sub-select reads, so it
 * is made to wait by holding LOOKUP in ACCESS EXCLUSIVE mode.
 */
const BUSY_WHILE_PLANNING = 't07';
const LOOKUP = 'lookup';
/** What PostgreSQL says to a terminated backend (SQLSTATE 57P01). */
const TERMINATED = 'terminating connection due to administrator command';

let roles: Awaited<ReturnType<typeof createRoles<'cf_app'>>>;
const databases: TestDatabase[] = [];

/** Errors nobody handled in this process: an 'error' event without a listener, a rejection left unhandled. */
const stray: unknown[] = [];
const onStray = (error: unknown) => stray.push(error);

beforeAll(async () => {
  roles = await createRoles('cf_app');
  mkdirSync(tmp, { recursive: true });
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
});
afterEach(() => {
  const escaped = stray.splice(0);
  expect(escaped, 'an error escaped: uncaught exception or unhandled rejection').toEqual([]);
});
afterAll(async () => {
  process.off('uncaughtException', onStray);
  process.off('unhandledRejection', onStray);
  rmSync(tmp, { recursive: true, force: true });
  for (const db of databases) await db.close();
  await roles?.drop();
});

// ---------------------------------------------------------------- the scenario

/**
 * A database whose access differs from the declaration on every table: RLS
 * off on half of them, a `legacy` policy to drop, DELETE to revoke, no
 * declared policy or grant yet; zz_last has RLS on and must lose it.
 */
async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  const app = quoteIdent(roles.cf_app);
  const setup = TABLES.map(
    (t, i) => `CREATE TABLE ${t} (id int PRIMARY KEY, owner_id int NOT NULL);
      GRANT SELECT, DELETE ON ${t} TO ${app};
      CREATE POLICY legacy ON ${t} TO ${app} USING (true);
      ${i % 2 === 0 ? `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;` : ''}`,
  );
  await db.query(`${setup.join('\n')}
    CREATE TABLE ${LAST} (id int);
    CREATE TABLE ${LOOKUP} (id int);
    ALTER TABLE ${LAST} ENABLE ROW LEVEL SECURITY;
    INSERT INTO t00 VALUES (1, 1), (2, 1), (3, 2);
    INSERT INTO ${LAST} VALUES (1), (2)`);
  return db;
}

/** The body of defineAccess(...), as source: evaluated here, and written into the CLI's and the child process's access.ts. */
function declarationBody(): string {
  const app = JSON.stringify(roles.cf_app);
  const mine = JSON.stringify(`owner_id = current_setting('app.user_id')::int`);
  const busy = JSON.stringify(`owner_id = current_setting('app.user_id')::int AND NOT EXISTS (SELECT 1 FROM ${LOOKUP} WHERE id < 0)`);
  return `{
  roles: [${app}],
  tables: [
    ...${JSON.stringify(TABLES)}.map((t) =>
      table(t, {
        policies: [
          policy('owner_read', { for: 'SELECT', to: ${app}, using: t === ${JSON.stringify(BUSY_WHILE_PLANNING)} ? ${busy} : ${mine} }),
          policy('owner_write', { for: ['INSERT', 'UPDATE'], to: ${app}, withCheck: ${mine} }),
        ],
        grants: [grant(['SELECT', 'INSERT', 'UPDATE'], { to: ${app} })],
      }),
    ),
    table(${JSON.stringify(LAST)}, { rls: false, grants: [grant('SELECT', { to: ${app} })] }),
  ],
}`;
}

function declaration(): AccessDeclaration {
  return new Function('defineAccess', 'grant', 'policy', 'table', `return defineAccess(${declarationBody()});`)(defineAccess, grant, policy, table) as AccessDeclaration;
}

/** The catalogs say what was declared, and the application role gets exactly that. */
async function expectDeclaredAndEnforced(db: TestDatabase): Promise<void> {
  const snapshot = await accessSnapshot(db.pool);
  for (const t of TABLES) {
    expect(policiesOf(snapshot, 'public', t).map((p) => p.name)).toEqual(['owner_read', 'owner_write_insert', 'owner_write_update']);
  }
  expect(snapshot.relations.find((r) => r.name === LAST)?.rls).toBe(false);
  const app = roles.cf_app;
  const ids = (userId: string, relation: string) =>
    asRole(db.pool, app, { 'app.user_id': userId }, async (c) => (await c.query(`SELECT id FROM ${relation} ORDER BY id`)).rows.map((r) => r.id));
  expect(await ids('1', 't00')).toEqual([1, 2]);
  expect(await ids('2', 't00')).toEqual([3]);
  expect(await ids('1', LAST)).toEqual([1, 2]); // RLS is off there now
  await expect(asRole(db.pool, app, { 'app.user_id': '1' }, (c) => c.query('DELETE FROM t00'))).rejects.toThrow(/permission denied for table t00/);
  await expect(asRole(db.pool, app, { 'app.user_id': '1' }, (c) => c.query('INSERT INTO t00 VALUES (9, 2)'))).rejects.toThrow(/new row violates row-level security policy/);
}

// ---------------------------------------------------------------- waiting, killing, looking at locks

interface Waiting {
  pid: number;
  query: string;
}

/**
 * Runs `start` while another session holds ACCESS SHARE on `lockedTable`,
 * polls pg_stat_activity until the backend named `applicationName` is blocked
 * by that session (and `ready` agrees), calls `beforeKill`, terminates the
 * backend, and returns how the operation ended. The holder has a client of
 * its own, so the kill cannot touch it; it lets go only after the kill.
 */
async function killWhileWaiting<T>(
  db: TestDatabase,
  options: {
    lockedTable: string;
    /** How the holder locks it. Default ACCESS SHARE (blocks table-changing statements only). */
    lockMode?: 'ACCESS SHARE' | 'ACCESS EXCLUSIVE';
    applicationName: string;
    start: () => Promise<T>;
    ready?: (waiting: Waiting) => Promise<boolean>;
    beforeKill: (waiting: Waiting) => Promise<void>;
  },
): Promise<{ pid: number; outcome: { value: T } | { error: unknown } }> {
  const holder = new pg.Client({ connectionString: db.url, application_name: 'connection-faults-holder' });
  await holder.connect();
  try {
    await holder.query(`BEGIN; LOCK TABLE ${quoteIdent(options.lockedTable)} IN ${options.lockMode ?? 'ACCESS SHARE'} MODE`);
    const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    let settled = false;
    const outcome = options.start().then(
      (value) => ((settled = true), { value }),
      (error: unknown) => ((settled = true), { error }),
    );
    const deadline = Date.now() + 30_000;
    let waiting: Waiting | undefined;
    while (!waiting) {
      const { rows } = await db.admin.query<Waiting>(
        `SELECT pid, query FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND $3 = ANY (pg_blocking_pids(pid))`,
        [db.name, options.applicationName, holderPid],
      );
      // pg_stat_activity is read once per statement, before pg_blocking_pids runs: the query seen may be the one
      // before the blocked statement. Blocked, the backend cannot move on, so a second read names the right one.
      if (rows.length === 1) rows[0]!.query = (await db.admin.query(`SELECT query FROM pg_stat_activity WHERE pid = $1`, [rows[0]!.pid])).rows[0].query;
      if (rows.length === 1 && (await (options.ready ?? (async () => true))(rows[0]!))) waiting = rows[0]!;
      else if (settled) throw new Error(`the ${options.applicationName} session ended before it was seen waiting for ${options.lockedTable}: ${JSON.stringify(await outcome, errorFields)}`);
      else if (Date.now() > deadline) {
        const seen = rows.length ? `; it was blocked, holding ${JSON.stringify(await relationLocks(db, rows[0]!.pid))}` : '';
        throw new Error(`no ${options.applicationName} session was seen waiting as expected for ${options.lockedTable} within 30 s${seen}`);
      }
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await options.beforeKill(waiting);
    const { rows } = await db.admin.query('SELECT pg_terminate_backend($1, 10000) AS gone', [waiting.pid]);
    expect(rows[0].gone, `backend ${waiting.pid} did not exit within 10 s`).toBe(true);
    return { pid: waiting.pid, outcome: await outcome };
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
  }
}

function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, code: (value as { code?: unknown }).code } : value;
}

/** Relation locks of `pid` on this database's public tables, as "<mode> <table>[ (waiting)]". */
async function relationLocks(db: TestDatabase, pid: number): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT l.mode || ' ' || c.relname || CASE WHEN l.granted THEN '' ELSE ' (waiting)' END AS lock
     FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE l.pid = $1 AND n.nspname = 'public' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY 1`,
    [pid],
  );
  return rows.map((r) => r.lock as string);
}

/** Every lock in this database (relations, advisory locks, ...) of a backend other than the asking one; optionally only `pid`'s. */
async function locksOf(db: TestDatabase, pid?: number): Promise<unknown[]> {
  const { rows } = await db.admin.query(
    `SELECT l.pid, l.locktype, l.mode, l.relation FROM pg_locks l
     WHERE l.database = (SELECT oid FROM pg_database WHERE datname = $1)
       AND l.pid IS DISTINCT FROM pg_backend_pid() AND ($2::int IS NULL OR l.pid = $2)`,
    [db.name, pid ?? null],
  );
  return rows;
}

/** Who holds pg-access's advisory lock; pg_locks shows a bigint key as classid = high 32 bits, objid = low 32 bits, objsubid = 1. */
async function advisoryLockHolders(db: TestDatabase): Promise<number[]> {
  const { rows } = await db.admin.query(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = $1)
       AND classid::bigint = $2 AND objid::bigint = $3 AND objsubid = 1`,
    [db.name, (ADVISORY_LOCK_KEY >> 32n).toString(), (ADVISORY_LOCK_KEY & 0xffffffffn).toString()],
  );
  return rows.map((r) => r.pid as number);
}

async function temporaryPolicies(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.query(`SELECT polname FROM pg_policy WHERE polname LIKE 'pg\\_access\\_%'`);
  return rows.map((r) => r.polname as string);
}

function rejectionOf(outcome: { value: unknown } | { error: unknown }): Error & { code?: string } {
  expect(outcome, 'the operation should have failed when its connection was killed').toHaveProperty('error');
  const error = (outcome as { error: unknown }).error;
  expect(error).toBeInstanceOf(Error);
  return error as Error & { code?: string };
}

/**
 * Normalization waits for ACCESS SHARE on LOOKUP, which BUSY_WHILE_PLANNING's
 * policy reads: and that is all it holds or awaits in the public schema. No
 * declared table is locked (their clones live in pg_temp), so the
 * application is never stalled by a plan.
 */
function waitingOnlyForLookup(db: TestDatabase): (waiting: Waiting) => Promise<boolean> {
  return async (waiting) => JSON.stringify(await relationLocks(db, waiting.pid)) === JSON.stringify([`AccessShareLock ${LOOKUP} (waiting)`]);
}

/** Waiting at the last table-locking statement: every revoke (ACCESS SHARE) and RLS or policy statement (ACCESS EXCLUSIVE) before it has run. */
async function expectMidApply(db: TestDatabase, waiting: Waiting): Promise<void> {
  expect(waiting.query).toBe(LAST_STATEMENT_THAT_LOCKS);
  const grantLocks = (await db.query(`SELECT current_setting('server_version_num')::int >= 180000 AS locks`)).rows[0].locks as boolean;
  expect(await relationLocks(db, waiting.pid)).toEqual([
    ...TABLES.map((t) => `AccessExclusiveLock ${t}`),
    `AccessExclusiveLock ${LAST} (waiting)`,
    `AccessShareLock ${LOOKUP}`, // read by BUSY_WHILE_PLANNING's new policy
    ...TABLES.map((t) => `AccessShareLock ${t}`),
    ...(grantLocks ? [`AccessShareLock ${LAST}`] : []), // its GRANT, before the DISABLE
  ]);
  expect(await advisoryLockHolders(db)).toEqual([waiting.pid]);
}

/**
 * After a kill: the catalogs are exactly as before, no lock of any kind is
 * left in the database, no temporary policy remains; then a fresh connection
 * applies the declaration completely (failing within 2 s, not hanging, if the
 * advisory lock were still held), the next plan is empty, and it is enforced.
 */
async function expectNothingLostAndRerunCompletes(db: TestDatabase, before: AccessSnapshot, killedPid: number): Promise<void> {
  expect(await locksOf(db, killedPid)).toEqual([]);
  expect(await locksOf(db)).toEqual([]);
  expect(await advisoryLockHolders(db)).toEqual([]);
  expect(await temporaryPolicies(db)).toEqual([]);
  expect(await accessSnapshot(db.pool)).toStrictEqual(before);

  const fresh = new pg.Client({ connectionString: db.url });
  fresh.on('error', () => undefined);
  await fresh.connect();
  try {
    const rerun = await apply(fresh, declaration(), { runLockTimeoutMs: 2000, lockTimeoutMs: 2000 });
    expect(rerun.plan.isEmpty).toBe(false);
    expect((await plan(fresh, declaration())).isEmpty).toBe(true);
  } finally {
    await fresh.end();
  }
  await expectDeclaredAndEnforced(db);
  expect(await temporaryPolicies(db)).toEqual([]);
}

/** A connected pg Client named `name` in pg_stat_activity, with the 'error' listener node-postgres requires of its users. */
async function namedClient(db: TestDatabase, name: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url, application_name: name });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

const uniqueApplicationName = () => `connection-faults-${randomBytes(4).toString('hex')}`;

// ---------------------------------------------------------------- library, in this process

describe('the library, through a pg Client whose connection is killed', () => {
  it('apply, while it executes its statements: rejects with PostgreSQL\'s message and the statement; nothing lost, no lock left; a rerun completes', async () => {
    const db = await freshDatabase();
    const before = await accessSnapshot(db.pool);
    const name = uniqueApplicationName();
    const client = await namedClient(db, name);
    let killed;
    try {
      killed = await killWhileWaiting(db, {
        lockedTable: LAST,
        applicationName: name,
        start: () => apply(client, declaration(), { lockTimeoutMs: 60_000 }),
        beforeKill: (waiting) => expectMidApply(db, waiting),
      });
    } finally {
      await client.end().catch(() => undefined);
    }
    const error = rejectionOf(killed.outcome);
    expect(error.name).toBe('PgAccessError');
    expect(error.message).toContain(TERMINATED);
    expect(error.message).toContain(LAST_STATEMENT_THAT_LOCKS);
    await expectNothingLostAndRerunCompletes(db, before, killed.pid);
  });

  describe.each(['plan', 'apply'] as const)('%s, while it normalizes expressions (temporary policies in a subtransaction it rolls back)', (operation) => {
    it('rejects with PostgreSQL\'s message; no temporary policy, no lock left, nothing changed; a rerun completes', async () => {
      const db = await freshDatabase();
      const before = await accessSnapshot(db.pool);
      const name = uniqueApplicationName();
      const client = await namedClient(db, name);
      const options = { lockTimeoutMs: 60_000 };
      let killed;
      try {
        killed = await killWhileWaiting(db, {
          lockedTable: LOOKUP,
          lockMode: 'ACCESS EXCLUSIVE',
          applicationName: name,
          start: (): Promise<unknown> => (operation === 'plan' ? plan(client, declaration(), options) : apply(client, declaration(), options)),
          ready: waitingOnlyForLookup(db),
          beforeKill: async (waiting) => {
            expect(waiting.query).toMatch(/^DO \$pg_access\$/);
            expect(await advisoryLockHolders(db)).toEqual(operation === 'apply' ? [waiting.pid] : []);
          },
        });
      } finally {
        await client.end().catch(() => undefined);
      }
      expect(rejectionOf(killed.outcome).message).toContain(TERMINATED);
      await expectNothingLostAndRerunCompletes(db, before, killed.pid);
    });
  });
});

// ---------------------------------------------------------------- a project: access.ts, and the CLI's config

/** Runs node with `args` from `cwd`, with a clean environment (see test/cli.test.ts). */
function runNode(cwd: string, args: string[], env: Record<string, string> = {}): Promise<ProcessRun> {
  const base: Record<string, string | undefined> = { ...process.env, PG_ACCESS_FROM_SOURCE: '1', CI: '1', ...env };
  for (const key of ['DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG']) delete base[key];
  return runNodeProcess(cwd, args, base);
}

/** A folder with access.ts (this file's declaration) and pg-access.config.ts pointing at `db`. */
function project(db: TestDatabase): string {
  const dir = path.join(tmp, randomBytes(4).toString('hex'));
  mkdirSync(dir, { recursive: true });
  const rel = (file: string) => JSON.stringify(path.relative(dir, path.join(repo, file)).split(path.sep).join('/'));
  writeFileSync(path.join(dir, 'pg-access.config.ts'), `import { defineConfig } from ${rel('src/config.ts')};\n\nexport default defineConfig(${JSON.stringify({ access: './access.ts', url: db.url })});\n`);
  writeFileSync(path.join(dir, 'access.ts'), `import { defineAccess, grant, policy, table } from ${rel('src/index.ts')};\n\nexport default defineAccess(${declarationBody()});\n`);
  return dir;
}

// ---------------------------------------------------------------- library, through a pg Pool in a child process

/**
 * An application's use of apply through a pg Pool, with the pool 'error'
 * listener node-postgres requires and nothing else. Prints how apply ended
 * as one JSON line.
 */
function poolApplication(dir: string, applicationName: string, url: string): string {
  const file = path.join(dir, 'apply-through-pool.ts');
  const rel = (target: string) => JSON.stringify(path.relative(dir, target).split(path.sep).join('/'));
  writeFileSync(
    file,
    `import pg from 'pg';
import { apply } from ${rel(path.join(repo, 'src/index.ts'))};
import access from './access.ts';

const pool = new pg.Pool({ connectionString: ${JSON.stringify(url)}, application_name: ${JSON.stringify(applicationName)}, max: 1 });
pool.on('error', () => undefined);
try {
  const { plan } = await apply(pool, access, { lockTimeoutMs: 60000 });
  console.log(JSON.stringify({ applied: plan.operations.length }));
} catch (error) {
  console.log(JSON.stringify({ rejected: { name: error.name, code: error.code, message: error.message } }));
}
await pool.end();
`,
  );
  return file;
}

describe('the library, through a pg Pool whose connection is killed while apply executes its statements', () => {
  async function killedPoolApplication(db: TestDatabase): Promise<{ pid: number; run: ProcessRun }> {
    const dir = project(db);
    const name = uniqueApplicationName();
    const script = poolApplication(dir, name, db.url);
    const killed = await killWhileWaiting(db, {
      lockedTable: LAST,
      applicationName: name,
      start: () => runNode(dir, ['--import', 'tsx', script]),
      beforeKill: (waiting) => expectMidApply(db, waiting),
    });
    expect(killed.outcome, 'the child process could not be run').toHaveProperty('value');
    return { pid: killed.pid, run: (killed.outcome as { value: ProcessRun }).value };
  }

  it('nothing lost, no lock left; a rerun completes', async () => {
    const db = await freshDatabase();
    const before = await accessSnapshot(db.pool);
    const { pid } = await killedPoolApplication(db);
    await expectNothingLostAndRerunCompletes(db, before, pid);
  });

  // Was a bug: the process died of an uncaught "Error: Connection terminated
  // unexpectedly" before apply settled, because a checked-out pg client has
  // no 'error' listener; withSession now listens while it holds the client.
  it('the process survives, and apply rejects with PostgreSQL\'s message', async () => {
    const db = await freshDatabase();
    const { run } = await killedPoolApplication(db);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as { rejected?: { name: string; message: string } };
    expect(outcome.rejected?.name).toBe('PgAccessError');
    expect(outcome.rejected?.message).toContain(TERMINATED);
  });
});

// ---------------------------------------------------------------- CLI

describe('pg-access apply whose connection is killed', () => {
  /** The CLI connects with application_name 'pg-access'; the database is this test's alone. */
  async function killedCli(
    db: TestDatabase,
    lockedTable: string,
    beforeKill: (waiting: Waiting) => Promise<void>,
    ready?: (waiting: Waiting) => Promise<boolean>,
    lockMode?: 'ACCESS SHARE' | 'ACCESS EXCLUSIVE',
  ): Promise<{ pid: number; run: ProcessRun }> {
    const dir = project(db);
    const start = () => runNode(dir, [bin, 'apply', '--lock-timeout', '60000']);
    const killed = await killWhileWaiting(db, { lockedTable, applicationName: 'pg-access', start, beforeKill, ...(ready ? { ready } : {}), ...(lockMode ? { lockMode } : {}) });
    expect(killed.outcome, 'the CLI could not be run').toHaveProperty('value');
    return { pid: killed.pid, run: (killed.outcome as { value: ProcessRun }).value };
  }

  // A lost connection is retryable (exit 4): nothing was committed, and running it again may succeed.
  it('while it executes its statements: exit code 4, a message without a stack; nothing lost, a rerun completes', async () => {
    const db = await freshDatabase();
    const before = await accessSnapshot(db.pool);
    const { pid, run } = await killedCli(db, LAST, (waiting) => expectMidApply(db, waiting));
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/^pg-access: error: /);
    expect(run.stderr).toContain(TERMINATED);
    expect(run.stderr).toContain(LAST_STATEMENT_THAT_LOCKS);
    expect(run.stderr).not.toContain('    at ');
    expect(run.stdout).toBe('');
    await expectNothingLostAndRerunCompletes(db, before, pid);
  });

  const whileNormalizing = (db: TestDatabase) =>
    killedCli(db, LOOKUP, async (waiting) => expect(waiting.query).toMatch(/^DO \$pg_access\$/), waitingOnlyForLookup(db), 'ACCESS EXCLUSIVE');

  it('while it normalizes expressions: a non-zero exit naming the cause; nothing lost, a rerun completes', async () => {
    const db = await freshDatabase();
    const before = await accessSnapshot(db.pool);
    const { pid, run } = await whileNormalizing(db);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(TERMINATED);
    expect(run.stdout).toBe('');
    await expectNothingLostAndRerunCompletes(db, before, pid);
  });

  // Was exit 3 with a stack ("internal error"): a lost connection is now a
  // CONNECTION_LOST PgAccessError wherever it happens, and retryable: exit 4.
  it('while it normalizes expressions: exit code 4 and a message without a stack', async () => {
    const db = await freshDatabase();
    const { run } = await whileNormalizing(db);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/^pg-access: error: /);
    expect(run.stderr).toContain(TERMINATED);
    expect(run.stderr).not.toContain('    at ');
  });
});
