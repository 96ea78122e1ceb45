/**
 * `check` against a hot standby: a streaming replica made with pg_basebackup
 * from the system PostgreSQL 15 (where the machine has it; CI does). An
 * in-sync check of policies pg-access applied on the primary reads only the
 * catalogs, so it works on the standby; one that would have to normalize
 * expressions (which takes temporary tables) fails with one sentence saying
 * why and what to run instead, through the library and the CLI.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, check, defineAccess, grant, plan, policy, table, type AccessDeclaration } from '../src/index.js';
import { startEmbeddedPostgres, startStandbyOf, type RunningPostgres } from '../support/pg-server.js';
import { runNodeProcess } from './support/run-process.js';

const BIN_DIR = process.env.PG_ACCESS_STANDBY_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const available = existsSync(path.join(BIN_DIR, 'pg_basebackup')) && existsSync(path.join(BIN_DIR, 'postgres'));
const repo = path.resolve(fileURLToPath(import.meta.url), '../..');

let primary: RunningPostgres | undefined;
let standby: RunningPostgres | undefined;
let primaryDb: pg.Client;
let standbyDb: pg.Client;

const declaration = (variant: 'applied' | 'changed'): AccessDeclaration =>
  defineAccess({
    roles: ['standby_app'],
    tables: [
      table('notes', {
        policies: [policy('own', { for: 'SELECT', to: 'standby_app', using: variant === 'applied' ? `owner_id = current_setting('app.uid')::int` : `owner_id = current_setting('app.uid')::int AND id > 0` })],
        grants: [grant('SELECT', { to: 'standby_app' })],
      }),
    ],
  });

function urlOf(server: RunningPostgres, database: string): string {
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Until the standby has replayed everything the primary has written so far (polling its replay position). */
async function caughtUp(): Promise<void> {
  // The test server runs with synchronous_commit off: a transaction committed with it on flushes the WAL
  // before it (its own commit record included), so the flush position is the end of a record the standby replays.
  await primaryDb.query('SET synchronous_commit = on');
  await primaryDb.query('SELECT txid_current()');
  const { rows } = await primaryDb.query('SELECT pg_current_wal_flush_lsn()::text AS lsn');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const replayed = await standbyDb.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [rows[0].lsn]);
    if (replayed.rows[0].done) return;
    if (Date.now() > deadline) throw new Error('the standby did not catch up within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!available)(`check against a hot standby (pg_basebackup from ${BIN_DIR})`, () => {
  beforeAll(async () => {
    primary = await startEmbeddedPostgres({ binDir: BIN_DIR });
    const admin = new pg.Client({ connectionString: primary.url });
    await admin.connect();
    await admin.query(`CREATE ROLE standby_app NOLOGIN`);
    await admin.query(`CREATE DATABASE standby_app_db`);
    await admin.end();
    primaryDb = new pg.Client({ connectionString: urlOf(primary, 'standby_app_db') });
    await primaryDb.connect();
    await primaryDb.query(`CREATE TABLE notes (id int PRIMARY KEY, owner_id int NOT NULL)`);
    standby = await startStandbyOf(primary, { binDir: BIN_DIR });
    standbyDb = new pg.Client({ connectionString: urlOf(standby, 'standby_app_db') });
    await standbyDb.connect();
  }, 120_000);
  afterAll(async () => {
    await standbyDb?.end();
    await primaryDb?.end();
    await standby?.stop();
    await primary?.stop();
  });

  it('is a standby', async () => {
    expect((await standbyDb.query('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(true);
  });

  it('before anything is applied, check says in one sentence that it needs the primary', async () => {
    await caughtUp();
    await expect(check(standbyDb, declaration('applied'))).rejects.toMatchObject({
      code: 'READ_ONLY_SERVER',
      message: expect.stringMatching(/^This server is a hot standby: 1 declared policy is not settled by the catalogs .* Run it against the primary; once pg-access has applied the declaration there, check works on the standby too\.$/),
    });
  });

  it('after apply on the primary, check on the standby is in sync without normalizing; a changed declaration is the same clear error', async () => {
    await apply(primaryDb, declaration('applied'));
    await caughtUp();
    const inSync = await check(standbyDb, declaration('applied'));
    expect(inSync.inSync).toBe(true);
    expect(inSync.plan.stats.normalizedPolicies).toBe(0);
    await expect(plan(standbyDb, declaration('changed'))).rejects.toMatchObject({ code: 'READ_ONLY_SERVER', message: expect.stringContaining('"own" on public.notes') });
    // Drift that needs no normalization (a grant revoked on the primary) is reported from the standby.
    await primaryDb.query('REVOKE SELECT ON notes FROM standby_app');
    await caughtUp();
    const drift = await check(standbyDb, declaration('applied'));
    expect(drift.plan.operations.map((o) => o.description)).toEqual(['grant SELECT on table public.notes to standby_app']);
    await primaryDb.query('GRANT SELECT ON notes TO standby_app');
  });

  it('a large declaration on the standby: the second connection shares the session snapshot there too', async () => {
    await primaryDb.query(`CREATE SCHEMA many; DO $$ BEGIN FOR i IN 0..999 LOOP EXECUTE format('CREATE TABLE many.%I (id int, owner_id int)', 't' || i); END LOOP; END $$`);
    const access = defineAccess({
      roles: ['standby_app'],
      tables: Array.from({ length: 1000 }, (_, i) => table(`many.t${i}`, { policies: [policy('own', { for: 'SELECT', to: 'standby_app', using: `owner_id = ${i}` })] })),
    });
    await apply(primaryDb, access);
    await caughtUp();
    const ran: string[] = [];
    const extraConnection = async () => {
      const client = new pg.Client({ connectionString: urlOf(standby!, 'standby_app_db') });
      await client.connect();
      return {
        query: ((sql: string, params?: unknown[]) => {
          ran.push(sql.startsWith('SET TRANSACTION SNAPSHOT') ? 'import' : /JOIN pg_policy p /.test(sql) ? 'policies' : 'other');
          return client.query(sql, params);
        }) as pg.Client['query'],
        release: () => client.end(),
      };
    };
    const result = await plan(standbyDb, access, { extraConnection });
    expect(result.isEmpty).toBe(true);
    expect(ran.filter((q) => q !== 'other')).toEqual(['import', 'policies']);
    expect(result.stats.policies).toBe(1000);
    expect(result.stats.normalizedPolicies).toBe(0);
  });

  it('the CLI on the standby: exit 0 in sync; exit 2 and one line naming the fix when it cannot judge', async () => {
    await caughtUp();
    const dir = path.join(repo, '.pg-access-tmp', `standby-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const rel = (file: string) => JSON.stringify(path.relative(dir, path.join(repo, file)).split(path.sep).join('/'));
      const body = (variant: string) =>
        `import { defineAccess, grant, policy, table } from ${rel('src/index.ts')};\nexport default defineAccess({ roles: ['standby_app'], tables: [table('notes', { policies: [policy('own', { for: 'SELECT', to: 'standby_app', using: ${JSON.stringify(variant)} })], grants: [grant('SELECT', { to: 'standby_app' })] })] });\n`;
      writeFileSync(path.join(dir, 'pg-access.config.ts'), `import { defineConfig } from ${rel('src/config.ts')};\nexport default defineConfig({ access: './access.ts', url: ${JSON.stringify(urlOf(standby!, 'standby_app_db'))} });\n`);
      const env: NodeJS.ProcessEnv = { ...process.env, PG_ACCESS_FROM_SOURCE: '1' };
      delete env.DATABASE_URL;
      const run = () => runNodeProcess(dir, [path.join(repo, 'bin/pg-access.js'), 'check'], env);
      writeFileSync(path.join(dir, 'access.ts'), body(`owner_id = current_setting('app.uid')::int`));
      const inSync = await run();
      expect(inSync.code, inSync.stderr).toBe(0);
      writeFileSync(path.join(dir, 'access.ts'), body(`owner_id = current_setting('app.uid')::int AND id > 0`));
      const refused = await run();
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^pg-access: error: This server is a hot standby: .* Run it against the primary; .*\n$/);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
