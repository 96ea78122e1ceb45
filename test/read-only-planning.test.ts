/**
 * plan and check are safe on a production database: they take no lock
 * stronger than ACCESS SHARE on any user table (so a long reader never turns
 * them into a queue that stalls the application), create nothing on user
 * objects, work as a role that owns nothing, and write nothing at all when
 * the database is in sync. Expressions are still judged by PostgreSQL, and a
 * policy changed by hand is always found.
 *
 * No sleeps: where a test needs the plan to be mid-way, it makes the plan
 * wait for a lock held by the test (a table a policy's sub-select reads) and
 * polls pg_blocking_pids until it sees it waiting.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, check, defineAccess, grant, plan, policy, table, type AccessDeclaration, type PolicyDeclaration } from '../src/index.js';
import { accessSnapshot, changedPolicy, policiesOf } from './support/catalog.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'ro_app' | 'ro_checker'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('ro_app', 'ro_checker');
  await db.admin.query(`ALTER ROLE ${quoteIdent(r.ro_checker)} LOGIN`);
  await db.query(`CREATE SCHEMA app;
    CREATE TABLE public.docs (id int PRIMARY KEY, owner_id int NOT NULL, tag varchar(10));
    CREATE TABLE app.docs (id int PRIMARY KEY, org_id int NOT NULL);
    CREATE TABLE public.members (org_id int, user_id int);
    CREATE TABLE public.gate (id int);
    CREATE FUNCTION app.uid() RETURNS int LANGUAGE sql STABLE AS $$ SELECT current_setting('app.uid')::int $$;
    INSERT INTO public.docs VALUES (1, 1, 'a'), (2, 2, 'b');
    INSERT INTO app.docs VALUES (1, 10), (2, 20);
    INSERT INTO public.members VALUES (10, 1);
    -- The checking role: CONNECT (PUBLIC has it), schema USAGE and SELECT; it owns nothing.
    GRANT USAGE ON SCHEMA app TO ${quoteIdent(r.ro_checker)};
    GRANT SELECT ON ALL TABLES IN SCHEMA public, app TO ${quoteIdent(r.ro_checker)};`);
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

function declaration(variant: 'v1' | 'v2' = 'v1', extra: PolicyDeclaration[] = []): AccessDeclaration {
  const app = r.ro_app;
  return defineAccess({
    roles: [app],
    tables: [
      table('docs', {
        policies: [
          policy('own', { for: 'SELECT', to: app, using: variant === 'v1' ? `owner_id = current_setting('app.uid')::int` : `owner_id = app.uid()` }),
          // A sub-select reading its own table, by bare and by qualified name.
          policy('self', { for: 'SELECT', to: app, using: `id IN (SELECT d.id FROM docs d) AND owner_id IN (SELECT owner_id FROM public.docs)` }),
          policy('tagged', { for: 'UPDATE', to: app, using: `tag = 'a'`, withCheck: `tag <> 'z'` }),
          ...extra,
        ],
        grants: [grant(['SELECT', 'UPDATE'], { to: app })],
      }),
      // Same name, another schema; a function of another schema; a sub-select on another table.
      table('app.docs', {
        policies: [
          policy('member', {
            for: 'SELECT',
            to: app,
            using: `EXISTS (SELECT 1 FROM members m WHERE m.org_id = docs.org_id AND m.user_id = app.uid())`,
          }),
        ],
        grants: [grant('SELECT', { to: app })],
      }),
    ],
  });
}

/** A pg client logged in as `role`. */
async function clientAs(role: string): Promise<pg.Client> {
  const url = new URL(db.url);
  url.username = role;
  url.password = '';
  const client = new pg.Client({ connectionString: url.toString(), application_name: `ro-${role}` });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** User-table locks (schemas public and app) of `pid`: "<mode> <schema>.<table>[ (waiting)]". */
async function userTableLocks(pid: number): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT l.mode || ' ' || n.nspname || '.' || c.relname || CASE WHEN l.granted THEN '' ELSE ' (waiting)' END AS lock
     FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE l.pid = $1 AND n.nspname IN ('public', 'app') ORDER BY 1`,
    [pid],
  );
  return rows.map((row) => row.lock as string);
}

/** Polls until backend `applicationName` is blocked by `blocker`; returns its pid. */
async function waitUntilBlocked(applicationName: string, blocker: number, done: () => boolean): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await db.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND $2 = ANY (pg_blocking_pids(pid))`, [applicationName, blocker]);
    if (rows.length) return rows[0].pid as number;
    if (done()) throw new Error(`${applicationName} finished without waiting for backend ${blocker}`);
    if (Date.now() > deadline) throw new Error(`${applicationName} was not seen waiting for backend ${blocker} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('plan and check never stall the application', () => {
  it('a long reader holds a declared table; check normalizes changed policies, takes no lock stronger than ACCESS SHARE, and a new reader is not delayed', async () => {
    await db.query(`DROP POLICY IF EXISTS "own" ON public.docs`);
    const longReader = await clientAs(r.ro_checker);
    const gateHolder = new pg.Client({ connectionString: db.url });
    await gateHolder.connect();
    const checker = await clientAs(r.ro_checker);
    try {
      // The long reader: an open transaction that has read the declared tables.
      await longReader.query('BEGIN');
      await longReader.query('SELECT count(*) FROM public.docs');
      await longReader.query('SELECT count(*) FROM app.docs');
      // The gate: held in ACCESS EXCLUSIVE, it makes the check wait where it reads `gate`, so its locks can be looked at.
      await gateHolder.query('BEGIN; LOCK TABLE public.gate IN ACCESS EXCLUSIVE MODE');
      const gatePid = (await gateHolder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const gated = defineAccess({
        ...declaration(),
        tables: [...declaration().tables, table('members', { policies: [policy('gated', { using: 'NOT EXISTS (SELECT 1 FROM gate WHERE id < 0)' })] })],
      });
      let finished = false;
      const checking = check(checker, gated, { lockTimeoutMs: 30_000 }).finally(() => (finished = true));
      const pid = await waitUntilBlocked(`ro-${r.ro_checker}`, gatePid, () => finished);
      // Mid-normalization: the only user-table lock it holds or awaits is ACCESS SHARE.
      const locks = await userTableLocks(pid);
      expect(locks).toContain('AccessShareLock public.gate (waiting)');
      for (const lock of locks) expect(lock).toMatch(/^AccessShareLock /);
      // A new reader of every declared table gets its rows at once (a 2 s lock_timeout turns a wait into a failure).
      const reader = await clientAs(r.ro_checker);
      try {
        await reader.query(`SET lock_timeout = '2s'`);
        expect((await reader.query('SELECT count(*)::int AS n FROM public.docs')).rows[0].n).toBe(2);
        expect((await reader.query('SELECT count(*)::int AS n FROM app.docs')).rows[0].n).toBe(2);
        expect((await reader.query('SELECT count(*)::int AS n FROM public.members')).rows[0].n).toBe(1);
      } finally {
        await reader.end();
      }
      await gateHolder.query('ROLLBACK');
      const result = await checking;
      expect(result.inSync).toBe(false);
      expect(result.plan.stats.normalizedPolicies).toBeGreaterThan(0);
      // Still inside its transaction, the long reader was never disturbed.
      expect((await longReader.query('SELECT count(*)::int AS n FROM public.docs')).rows[0].n).toBe(2);
    } finally {
      await longReader.query('ROLLBACK').catch(() => undefined);
      await gateHolder.query('ROLLBACK').catch(() => undefined);
      await longReader.end();
      await gateHolder.end();
      await checker.end();
    }
  });
});

describe('a declared table held exclusively by another session (a migration running)', () => {
  it('check waits at most its lock timeout while reading the catalogs, then fails retryably', async () => {
    // A policy on the held table: reading it back (pg_get_expr) opens the table.
    await db.query(`CREATE POLICY held_probe ON app.docs USING (true)`);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const checker = await clientAs(r.ro_checker);
    try {
      await holder.query('BEGIN; LOCK TABLE app.docs IN ACCESS EXCLUSIVE MODE');
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      let finished = false;
      const checking = check(checker, declaration(), { lockTimeoutMs: 30_000 }).finally(() => (finished = true));
      // Seen waiting on the held table while it reads the catalogs (pg_get_expr opens each declared table).
      const pid = await waitUntilBlocked(`ro-${r.ro_checker}`, holderPid, () => finished);
      expect(await userTableLocks(pid)).toContain('AccessShareLock app.docs (waiting)');
      await holder.query('ROLLBACK');
      expect((await checking).report).toContain('held_probe');
      // Held again, with a short timeout: a clear, retryable error instead of an endless wait.
      await holder.query('BEGIN; LOCK TABLE app.docs IN ACCESS EXCLUSIVE MODE');
      await expect(check(checker, declaration(), { lockTimeoutMs: 200 })).rejects.toMatchObject({
        code: 'LOCK_TIMEOUT',
        message: expect.stringContaining('while reading the catalogs'),
      });
      // Its read transaction ended with the error: the checker's connection is usable and idle.
      expect((await checker.query(`SELECT current_setting('transaction_isolation') AS iso, pg_current_xact_id_if_assigned() AS xid`)).rows[0]).toEqual({ iso: 'read committed', xid: null });
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await checker.end();
      await db.query(`DROP POLICY IF EXISTS held_probe ON app.docs`);
    }
  });
});

describe('a table a policy reads held exclusively while its expressions are normalized', () => {
  it('check waits for it once, for its lock timeout, and fails retryably (no second wait in a statement-by-statement redo)', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const checker = await clientAs(r.ro_checker);
    const watcher = new pg.Client({ connectionString: db.url });
    await watcher.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE public.gate IN ACCESS EXCLUSIVE MODE');
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const checkerPid = (await checker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const gated = defineAccess({
        roles: [r.ro_app],
        tables: Array.from({ length: 3 }, (_, i) =>
          table(i === 0 ? 'members' : i === 1 ? 'public.docs' : 'app.docs', { policies: [policy('gated', { using: `NOT EXISTS (SELECT 1 FROM public.gate WHERE id < ${i})` })] }),
        ),
      });
      let finished = false;
      const checking = check(checker, gated, { lockTimeoutMs: 300 }).then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );
      void checking.then(() => (finished = true));
      // Every stretch of time the checker spends blocked by the holder is one wait.
      let waits = 0;
      let waiting = false;
      while (!finished) {
        const { rows } = await watcher.query(`SELECT $1 = ANY (pg_blocking_pids($2)) AS blocked`, [holderPid, checkerPid]);
        if (rows[0].blocked && !waiting) waits++;
        waiting = rows[0].blocked as boolean;
      }
      const { error } = await checking;
      expect(error).toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(waits).toBe(1);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await Promise.all([holder.end(), checker.end(), watcher.end()]);
    }
  });
});

describe('as a role that owns nothing (CONNECT, USAGE, SELECT)', () => {
  it('plan and check work before and after apply; in sync, check normalizes nothing and writes nothing (no transaction ID)', async () => {
    const checker = await clientAs(r.ro_checker);
    try {
      const before = await plan(checker, declaration());
      expect(before.isEmpty).toBe(false);
      expect(before.stats.normalizedPolicies).toBe(4);
      // The owner applies; the checker then sees the database in sync.
      await apply(db.pool, declaration());
      const after = await check(checker, declaration());
      expect(after.report).toBe('In sync: the database matches the access declaration.');
      expect(after.plan.stats.normalizedPolicies).toBe(0);
      // Nothing written: inside a transaction of its own, the check leaves it without a transaction ID.
      await checker.query('BEGIN');
      const inTransaction = await plan(checker, declaration(), { inTransaction: true });
      expect(inTransaction.isEmpty).toBe(true);
      expect((await checker.query('SELECT pg_current_xact_id_if_assigned() AS xid')).rows[0].xid).toBeNull();
      await checker.query('ROLLBACK');
      // --verify normalizes everything and agrees.
      const verified = await check(checker, declaration(), { verify: true });
      expect(verified.inSync).toBe(true);
      expect(verified.plan.stats.normalizedPolicies).toBe(4);
    } finally {
      await checker.end();
    }
  });

  it('without the TEMPORARY privilege, a check that must normalize says which privilege it needs; an in-sync one still works', async () => {
    await apply(db.pool, declaration());
    await db.admin.query(`REVOKE TEMPORARY ON DATABASE ${quoteIdent(db.name)} FROM PUBLIC`);
    const checker = await clientAs(r.ro_checker);
    try {
      expect((await check(checker, declaration())).inSync).toBe(true);
      await expect(check(checker, declaration('v2'))).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('TEMPORARY privilege on the database') });
    } finally {
      await checker.end();
      await db.admin.query(`GRANT TEMPORARY ON DATABASE ${quoteIdent(db.name)} TO PUBLIC`);
    }
  });

  it('a read-only transaction (as on a hot standby): in sync works, a change that needs normalizing is one clear sentence', async () => {
    await apply(db.pool, declaration());
    const checker = await clientAs(r.ro_checker);
    try {
      await checker.query('SET default_transaction_read_only = on');
      expect((await check(checker, declaration())).inSync).toBe(true);
      await expect(check(checker, declaration('v2'))).rejects.toMatchObject({ code: 'READ_ONLY_SERVER', message: expect.stringContaining('Run it against the primary') });
    } finally {
      await checker.end();
    }
  });
});

describe('records never hide drift', () => {
  it('a policy changed by hand (ALTER POLICY ... USING (true)) is found even though its comment still holds the record', async () => {
    await apply(db.pool, declaration());
    const comment = async () => (await db.query(`SELECT obj_description(oid, 'pg_policy') AS c FROM pg_policy WHERE polname = 'own' AND polrelid = 'public.docs'::regclass`)).rows[0].c;
    expect(await comment()).toMatch(/^pg-access normalized v1 [0-9a-f]{64}$/);
    await db.query(`ALTER POLICY "own" ON public.docs USING (true)`);
    expect(await comment()).toMatch(/^pg-access normalized v1 /); // the record stays, but no longer matches
    const drift = await check(db.pool, declaration());
    expect(drift.inSync).toBe(false);
    expect(drift.plan.operations.map((o) => o.description)).toEqual(changedPolicy('own', 'public.docs'));
    await apply(db.pool, declaration());
    expect((await check(db.pool, declaration())).inSync).toBe(true);
  });

  it('a function the policy calls renamed or moved by hand is found', async () => {
    await apply(db.pool, declaration());
    await db.query(`ALTER FUNCTION app.uid() RENAME TO uid_old; CREATE FUNCTION app.uid() RETURNS int LANGUAGE sql STABLE AS $$ SELECT 0 $$`);
    try {
      const drift = await check(db.pool, declaration());
      expect(drift.plan.operations.map((o) => o.description)).toEqual(changedPolicy('member', 'app.docs'));
      await apply(db.pool, declaration());
      const s = await accessSnapshot(db.pool);
      expect(policiesOf(s, 'app', 'docs')[0]!.qual).toContain('app.uid()');
      expect((await check(db.pool, declaration())).inSync).toBe(true);
    } finally {
      await db.query(`DROP POLICY IF EXISTS "member" ON app.docs; DROP FUNCTION app.uid(); ALTER FUNCTION app.uid_old() RENAME TO uid`);
    }
  });

  it("a column's type cannot change under a policy; recreated by hand after a type change, the policy has no record and is judged afresh", async () => {
    await apply(db.pool, declaration());
    await expect(db.query(`ALTER TABLE public.docs ALTER COLUMN tag TYPE text`)).rejects.toThrow(/used in a policy definition/);
    await db.query(`DROP POLICY "tagged" ON public.docs; ALTER TABLE public.docs ALTER COLUMN tag TYPE text;
      CREATE POLICY "tagged" ON public.docs FOR UPDATE TO ${quoteIdent(r.ro_app)} USING (tag = 'a') WITH CHECK (tag <> 'y')`);
    try {
      const drift = await check(db.pool, declaration());
      expect(drift.plan.operations.map((o) => o.description)).toEqual(changedPolicy('tagged', 'public.docs'));
      expect(drift.plan.stats.normalizedPolicies).toBe(1);
      await apply(db.pool, declaration());
      expect((await check(db.pool, declaration())).inSync).toBe(true);
    } finally {
      await db.query(`DROP POLICY "tagged" ON public.docs; ALTER TABLE public.docs ALTER COLUMN tag TYPE varchar(10)`);
      await apply(db.pool, declaration());
    }
  });

  it("a user's own comment on a declared policy is kept beside the record, and the downgrade restores it", async () => {
    await apply(db.pool, declaration());
    await db.query(`COMMENT ON POLICY "own" ON public.docs IS 'reviewed by security'`);
    const p = await plan(db.pool, declaration('v2'));
    expect(p.records.flatMap((o) => o.sql)).toContainEqual(expect.stringMatching(/^COMMENT ON POLICY "own" ON "public"."docs" IS 'reviewed by security\npg-access normalized v1 [0-9a-f]{64}'$/));
    for (const s of p.up) await db.query(s);
    expect((await check(db.pool, declaration('v2'))).plan.stats.normalizedPolicies).toBe(0);
    for (const s of p.down) await db.query(s);
    const { rows } = await db.query(`SELECT obj_description(oid, 'pg_policy') AS c FROM pg_policy WHERE polname = 'own' AND polrelid = 'public.docs'::regclass`);
    expect(rows[0].c).toBe('reviewed by security');
  });
});

describe('name resolution is judged as on the real table', () => {
  it('sub-selects on the same table by bare and qualified name, two tables of the same name, another schema\'s function: in sync after apply with and without --verify', async () => {
    await apply(db.pool, declaration());
    const verified = await check(db.pool, declaration(), { verify: true });
    expect(verified.report).toBe('In sync: the database matches the access declaration.');
    const s = await accessSnapshot(db.pool);
    expect(policiesOf(s, 'public', 'docs').find((x) => x.name === 'self')!.qual).toContain('FROM docs docs_1');
  });

  it('a bare name that only a clone would make visible is rejected, as on the real table', async () => {
    // app.docs is not on the search_path by that name... but public.docs is; use a name only app has.
    await db.query(`CREATE TABLE app.only_here (id int)`);
    const access = defineAccess({ roles: [], tables: [table('app.only_here', { policies: [policy('p', { using: 'id IN (SELECT id FROM only_here)' })] })] });
    await expect(plan(db.pool, access)).rejects.toMatchObject({ code: 'INVALID_EXPRESSION', message: expect.stringContaining('relation "only_here" does not exist') });
    const qualified = defineAccess({ roles: [], tables: [table('app.only_here', { policies: [policy('p', { using: 'id IN (SELECT id FROM app.only_here)' })] })] });
    expect((await plan(db.pool, qualified)).isEmpty).toBe(false);
  });

  it('a search_path difference is judged by PostgreSQL: the same text means another function under another path', async () => {
    await db.query(`CREATE FUNCTION public.uid() RETURNS int LANGUAGE sql STABLE AS $$ SELECT -1 $$`);
    try {
      const access = defineAccess({ roles: [], tables: [table('members', { policies: [policy('mine', { using: 'user_id = uid()' })] })] });
      await apply(db.pool, access); // public.uid()
      const other = await clientAs(r.ro_checker);
      try {
        expect((await check(other, access)).inSync).toBe(true);
        await other.query('SET search_path = app, public');
        const drift = await check(other, access); // uid() is app.uid() here: not what the policy calls
        expect(drift.inSync).toBe(false);
        expect(drift.plan.operations.map((o) => o.description)).toEqual(changedPolicy('mine', 'public.members'));
      } finally {
        await other.end();
      }
    } finally {
      await db.query(`DROP POLICY IF EXISTS "mine" ON public.members; DROP FUNCTION public.uid()`);
    }
  });
});

describe('the clone route judges as a policy on the real table does', () => {
  /** Each text is created directly on the real table first; planning the same declared text must then find nothing to do. */
  const cases: [string, string][] = [
    ['casts', `owner_id = current_setting('app.uid')::int AND tag = 'a'`],
    ['varchar column', `tag::text LIKE 'a%' OR tag IS NULL`],
    ['self by bare name', `id IN (SELECT d.id FROM docs d WHERE d.owner_id = docs.owner_id)`],
    ['self qualified', `EXISTS (SELECT 1 FROM public.docs x WHERE x.id = docs.id)`],
    ['whole row', `row_to_json(docs) IS NOT NULL`],
    ['whole row to a function of the table type (judged through views)', `public.docs_visible(docs)`],
    ['drizzle-style qualified columns', `"public"."docs"."owner_id" > 0 AND "public"."docs"."tag" <> 'x'`],
    ['comment and quotes', `tag <> 'it''s -- not a comment' -- trailing comment`],
    ['another schema\'s function', `owner_id = app.uid()`],
    ['collation', `tag COLLATE "C" > 'a'`],
    ['arrays and ANY', `owner_id = ANY (ARRAY[1, 2, 3]) AND tag = ANY ('{a,b}'::text[])`],
    ['case and coalesce', `CASE WHEN tag IS NULL THEN false ELSE coalesce(owner_id, 0) > 0 END`],
  ];

  beforeAll(async () => {
    await db.query(`CREATE TABLE IF NOT EXISTS public.judged (LIKE public.docs);
      CREATE OR REPLACE FUNCTION public.docs_visible(d public.docs) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT d.id > 0 $$`);
  });

  it.each(cases)('%s', async (_label, text) => {
    await apply(db.pool, declaration());
    await db.query(`CREATE POLICY judged ON public.docs FOR SELECT USING (${text}\n)`);
    const direct = (await db.query(`SELECT pg_get_expr(polqual, polrelid) AS e FROM pg_policy WHERE polname = 'judged'`)).rows[0].e as string;
    const declared = (using: string) => declaration('v1', [policy('judged', { for: 'SELECT', using })]);
    try {
      // The same text, normalized on the clone (or through views): nothing to do.
      const same = await plan(db.pool, declared(text), { verify: true });
      expect(same.operations.map((o) => o.description)).toEqual([]);
      // A different text is a change, and applying it stores what PostgreSQL stores for it directly.
      const changed = await plan(db.pool, declared(`(${text}\n) AND id > 1`), { verify: true });
      expect(changed.operations.map((o) => o.description)).toEqual(changedPolicy('judged', 'public.docs'));
      await db.query(`DROP POLICY judged ON public.docs`);
      await db.query(`CREATE POLICY judged ON public.docs FOR SELECT USING ((${text}\n) AND id > 1)`);
      const directChanged = (await db.query(`SELECT pg_get_expr(polqual, polrelid) AS e FROM pg_policy WHERE polname = 'judged'`)).rows[0].e as string;
      expect((await plan(db.pool, declared(`(${text}\n) AND id > 1`), { verify: true })).isEmpty).toBe(true);
      expect(directChanged).not.toBe(direct);
    } finally {
      await db.query(`DROP POLICY IF EXISTS judged ON public.docs`);
    }
  });
});

describe('concurrent changes', () => {
  /**
   * Runs `operation` with a declaration whose first table's policy reads
   * `gate`, held here in ACCESS EXCLUSIVE mode: once the operation is seen
   * waiting for it (its catalogs read), `meanwhile` runs in another session,
   * the gate opens, and the operation's outcome is returned.
   */
  async function withChangeWhileWaiting(
    victim: string,
    operation: (client: pg.Client, access: AccessDeclaration) => Promise<unknown>,
    meanwhile: () => Promise<void>,
  ): Promise<unknown> {
    await db.query(`CREATE TABLE IF NOT EXISTS public.waits (id int); CREATE TABLE IF NOT EXISTS public.${victim} (id int)`);
    const access = defineAccess({
      roles: [r.ro_app],
      tables: [
        table('waits', { policies: [policy('gated', { using: 'NOT EXISTS (SELECT 1 FROM gate WHERE id < 0)' })] }),
        table(victim, { policies: [policy('p', { using: 'id > 0' })], grants: [grant('SELECT', { to: r.ro_app })] }),
      ],
    });
    const gateHolder = new pg.Client({ connectionString: db.url });
    await gateHolder.connect();
    const name = `concurrent-${victim}`;
    const url = new URL(db.url);
    url.searchParams.set('application_name', name);
    const client = new pg.Client({ connectionString: url.toString() });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await gateHolder.query('BEGIN; LOCK TABLE public.gate IN ACCESS EXCLUSIVE MODE');
      const gatePid = (await gateHolder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      let finished = false;
      const outcome = operation(client, access).then(
        (value) => ((finished = true), value),
        (error: unknown) => ((finished = true), error),
      );
      await waitUntilBlocked(name, gatePid, () => finished);
      await meanwhile();
      await gateHolder.query('ROLLBACK');
      return await outcome;
    } finally {
      await gateHolder.query('ROLLBACK').catch(() => undefined);
      await gateHolder.end();
      await client.end();
    }
  }

  it('a declared table dropped while a plan runs: CONCURRENT_CHANGE naming the table (retryable), not an internal error', async () => {
    const outcome = await withChangeWhileWaiting('dropped_meanwhile', (c, access) => plan(c, access), () => db.query('DROP TABLE public.dropped_meanwhile').then(() => undefined));
    expect(outcome).toMatchObject({ name: 'PgAccessError', code: 'CONCURRENT_CHANGE', message: expect.stringContaining('"public"."dropped_meanwhile" was dropped') });
  });

  it('a grant changed by another session after apply read the catalogs: nothing is committed, and a rerun applies exactly the declaration', async () => {
    const before = await accessSnapshot(db.pool);
    const outcome = await withChangeWhileWaiting(
      'granted_meanwhile',
      (c, access) => apply(c, access, { lockTimeoutMs: 30_000 }),
      () => db.query(`GRANT DELETE ON public.granted_meanwhile TO ${quoteIdent(r.ro_app)}`).then(() => undefined),
    );
    expect(outcome).toMatchObject({ name: 'PgAccessError', code: 'CONCURRENT_CHANGE', message: expect.stringContaining('revoke DELETE on table public.granted_meanwhile') });
    const after = await accessSnapshot(db.pool);
    expect(policiesOf(after, 'public', 'granted_meanwhile')).toEqual(policiesOf(before, 'public', 'granted_meanwhile'));
    expect(policiesOf(after, 'public', 'granted_meanwhile')).toEqual([]);
    // The rerun sees the grant and revokes it.
    const access = defineAccess({
      roles: [r.ro_app],
      tables: [
        table('waits', { policies: [policy('gated', { using: 'NOT EXISTS (SELECT 1 FROM gate WHERE id < 0)' })] }),
        table('granted_meanwhile', { policies: [policy('p', { using: 'id > 0' })], grants: [grant('SELECT', { to: r.ro_app })] }),
      ],
    });
    await apply(db.pool, access);
    expect((await check(db.pool, access)).inSync).toBe(true);
    const { rows } = await db.query(`SELECT has_table_privilege($1, 'public.granted_meanwhile', 'DELETE') AS d`, [r.ro_app]);
    expect(rows[0].d).toBe(false);
  });
});

describe('records are written after the access changes commit, in batches', () => {
  it('an apply creating 520 policies (more than one batch) records them all; the next check normalizes nothing', async () => {
    const names = Array.from({ length: 130 }, (_, i) => `many_${String(i).padStart(3, '0')}`);
    await db.query(names.map((n) => `CREATE TABLE public.${n} (id int, owner_id int)`).join(';\n'));
    const access = defineAccess({
      roles: [r.ro_app],
      tables: names.map((n) =>
        table(n, {
          policies: ['a', 'b', 'c', 'd'].map((p, k) => policy(p, { for: 'SELECT', to: r.ro_app, using: `owner_id = current_setting('app.uid')::int + ${k}` })),
        }),
      ),
    });
    const result = await apply(db.pool, access);
    expect(result.plan.records).toHaveLength(520);
    expect(result.records).toEqual({ written: 520 });
    const again = await check(db.pool, access);
    expect(again.inSync).toBe(true);
    expect(again.plan.stats.normalizedPolicies).toBe(0);
  });
});

describe('a text repeated on many tables is judged once per column shape', () => {
  const text = `owner_id::text = current_setting('app.uid')`;
  const tables = ['rep.a_int', 'rep.b_int', 'rep.c_text', 'rep.d_text', 'rep.e_int'];
  const declare = (using: (name: string) => string) =>
    defineAccess({
      roles: [r.ro_app],
      tables: tables.map((name) =>
        table(name, { policies: [policy('p', { for: 'SELECT', to: r.ro_app, using: using(name) }), policy('q', { for: 'INSERT', to: r.ro_app, withCheck: using(name) })] }),
      ),
    });

  beforeAll(async () => {
    await db.query(`CREATE SCHEMA rep;
      CREATE TABLE rep.a_int (owner_id int); CREATE TABLE rep.b_int (owner_id int); CREATE TABLE rep.e_int (owner_id int);
      CREATE TABLE rep.c_text (owner_id text); CREATE TABLE rep.d_text (owner_id text);`);
  });

  it('each table gets what PostgreSQL stores for its own column types, and a hand change to one is found', async () => {
    await apply(db.pool, declare(() => text));
    const stored = await db.query(`SELECT c.relname AS t, p.polname AS p, coalesce(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) AS e
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'rep'::regnamespace ORDER BY 1, 2`);
    const asInt = `((owner_id)::text = current_setting('app.uid'::text))`;
    const asText = `(owner_id = current_setting('app.uid'::text))`;
    expect(stored.rows).toEqual(
      ['a_int', 'b_int', 'c_text', 'd_text', 'e_int'].flatMap((t) => ['p', 'q'].map((p) => ({ t, p, e: t.endsWith('_int') ? asInt : asText }))),
    );
    expect((await check(db.pool, declare(() => text), { verify: true })).inSync).toBe(true);
    await db.query(`ALTER POLICY p ON rep.b_int USING (true)`);
    expect((await plan(db.pool, declare(() => text), { verify: true })).operations.map((o) => o.description)).toEqual(changedPolicy('p', 'rep.b_int'));
    await apply(db.pool, declare(() => text));
  });

  it('a rejected text repeated on tables of one shape is reported for each of them', async () => {
    const broken = (name: string) => (name.endsWith('_text') ? `owner_id + 1 = 2` : text);
    const error = await plan(db.pool, declare(broken), { verify: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_EXPRESSION' });
    const details = (error as { details: string[] }).details;
    expect(details).toHaveLength(4);
    for (const t of ['c_text', 'd_text']) for (const p of ['p', 'q']) expect(details.some((d) => d.startsWith(`policy "${p}" on "rep"."${t}": operator does not exist`))).toBe(true);
  });
});

describe('a large declaration reads its policies on two connections at once', () => {
  // 1,000 tables: where plan starts splitting the policy query (introspect/read-catalog).
  const count = 1000;
  const names = Array.from({ length: count }, (_, i) => `split.t${String(i).padStart(4, '0')}`);
  let access: () => AccessDeclaration;

  beforeAll(async () => {
    await db.query(`CREATE SCHEMA split; DO $$ BEGIN FOR i IN 0..${count - 1} LOOP
      EXECUTE format('CREATE TABLE split.%I (id int, owner_id int)', 't' || lpad(i::text, 4, '0')); END LOOP; END $$`);
    access = () =>
      defineAccess({
        roles: [r.ro_app],
        tables: names.map((name, i) =>
          table(name, { policies: [policy('own', { for: 'SELECT', to: r.ro_app, using: i % 2 ? `owner_id = ${i}` : `owner_id = current_setting('app.uid')::int` })] }),
        ),
      });
    await apply(db.pool, access());
  });

  /** A second connection of the test's own that counts what it ran; `beforeBegin` runs before it begins its transaction (after the session's first query). */
  function countingConnection(hooks: { beforeBegin?: () => Promise<void>; refuse?: RegExp } = {}): {
    open: () => Promise<{ query: pg.Client['query']; release(): Promise<void> }>;
    opened: () => number;
    policyQueries: () => number;
    normalizations: () => number;
  } {
    let opened = 0;
    let policyQueries = 0;
    let normalizations = 0;
    return {
      opened: () => opened,
      policyQueries: () => policyQueries,
      normalizations: () => normalizations,
      open: async () => {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        opened++;
        return {
          query: (async (sql: string, params?: unknown[]) => {
            if (hooks.refuse?.test(sql)) throw Object.assign(new Error('refused by the test'), { code: '0A000' });
            if (sql.startsWith('BEGIN')) await hooks.beforeBegin?.();
            if (/JOIN pg_policy p /.test(sql) && !sql.startsWith('DO')) policyQueries++;
            if (sql.startsWith('DO $pg_access$')) normalizations++;
            return client.query(sql, params);
          }) as pg.Client['query'],
          release: () => client.end(),
        };
      },
    };
  }

  it('reads the same policies through both as through one, and splits only from 1,000 tables', async () => {
    const single = new pg.Client({ connectionString: db.url });
    await single.connect();
    try {
      const extra = countingConnection();
      const alone = await plan(single, access());
      const split = await plan(single, access(), { extraConnection: extra.open });
      expect([extra.opened(), extra.policyQueries()]).toEqual([1, 1]);
      expect(alone.isEmpty).toBe(true);
      expect(split.isEmpty).toBe(true);
      expect(split.stats.policies).toBe(count);
      // A change on a table in either half is found.
      for (const changed of [names[3]!, names[count - 3]!]) {
        await db.query(`ALTER POLICY own ON ${changed} USING (true)`);
        expect((await plan(single, access(), { extraConnection: extra.open })).operations.map((o) => o.description), changed).toEqual([
          ...changedPolicy('own', changed),
        ]);
        await apply(db.pool, access());
      }
      // The second connection reads in the session's snapshot: a change committed after the session's first query is not half seen.
      const late = countingConnection({ beforeBegin: () => db.query(`ALTER POLICY own ON ${names[3]} USING (true)`).then(() => undefined) });
      expect((await plan(single, access(), { extraConnection: late.open })).isEmpty).toBe(true);
      expect(late.policyQueries()).toBe(1);
      expect((await plan(single, access())).operations.map((o) => o.description)).toEqual(changedPolicy('own', names[3]!));
      await apply(db.pool, access());
      // A second connection that cannot import the snapshot (a pooler, say) is no error: the session reads every policy itself.
      const refusing = countingConnection({ refuse: /^SET TRANSACTION SNAPSHOT/ });
      await db.query(`ALTER POLICY own ON ${names[3]} USING (true)`);
      expect((await plan(single, access(), { extraConnection: refusing.open })).operations.map((o) => o.description)).toEqual(changedPolicy('own', names[3]!));
      expect([refusing.opened(), refusing.policyQueries()]).toEqual([1, 0]);
      await apply(db.pool, access());
      // Below the threshold, no second connection is opened.
      const small = countingConnection();
      await plan(single, defineAccess({ roles: [r.ro_app], tables: names.slice(0, count - 1).map((n) => table(n)) }), { extraConnection: small.open });
      expect(small.opened()).toBe(0);
    } finally {
      await single.end();
    }
  });

  it('normalizes many changed policies in two halves at once, with the same result, the same errors and one connection', async () => {
    // Every policy's text changes, in a form PostgreSQL rewrites: 1,000 tables on shared clones are 5 batches.
    const changed = (broken?: number) =>
      defineAccess({
        roles: [r.ro_app],
        tables: names.map((name, i) =>
          table(name, {
            policies: [policy('own', { for: 'SELECT', to: r.ro_app, using: i === broken ? 'no_such_column = 1' : `owner_id = ${i} AND id > 0` })],
          }),
        ),
      });
    const single = new pg.Client({ connectionString: db.url });
    await single.connect();
    try {
      const alone = await plan(single, changed());
      const extra = countingConnection();
      const split = await plan(single, changed(), { extraConnection: extra.open });
      // One connection for both the catalog read and the normalization.
      expect([extra.opened(), extra.policyQueries(), extra.normalizations()]).toEqual([1, 1, 1]);
      expect(split.stats.normalizedPolicies).toBe(count);
      expect(split.up).toEqual(alone.up);
      expect(split.operations).toHaveLength(2 * count); // each old version dropped, its new one created
      // Run as it is, it makes the database match the declaration (every text as PostgreSQL stores it).
      for (const statement of split.up) await single.query(statement);
      expect((await plan(single, changed())).isEmpty).toBe(true);
      const stored = await single.query(`SELECT pg_get_expr(polqual, polrelid) AS q FROM pg_policy WHERE polrelid = 'split.t0001'::regclass`);
      expect(stored.rows).toEqual([{ q: '((owner_id = 1) AND (id > 0))' }]);
      // A rejected text is reported, whichever half it was in.
      for (const broken of [0, 1, count - 2, count - 1]) {
        await expect(plan(single, changed(broken), { extraConnection: countingConnection().open }), String(broken)).rejects.toMatchObject({
          code: 'INVALID_EXPRESSION',
          details: [expect.stringContaining(`"split"."t${String(broken).padStart(4, "0")}": column "no_such_column" does not exist`)],
        });
      }
      // Nothing was left behind on either connection: the session is idle, outside any transaction.
      expect((await single.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'pg\\_access\\_normalize%'`)).rows[0].n).toBe(0);
      await apply(db.pool, access());
    } finally {
      await single.end();
    }
  });

  it('a second connection that cannot be opened is no error: the session reads everything', async () => {
    const refused = () => Promise.reject(Object.assign(new Error('sorry, too many clients already'), { code: '53300' }));
    const p = await plan(db.pool, access(), { extraConnection: refused });
    expect(p.isEmpty).toBe(true);
    expect(p.stats.policies).toBe(count);
    // With a pool, the pool gives the second connection.
    expect((await plan(db.pool, access())).isEmpty).toBe(true);
  });
});
