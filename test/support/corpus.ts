/**
 * The corpus (../shared/corpus: real access-control schemas nobody here
 * wrote), read at run time, and ways to take the access out of a copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from './database.js';

// The corpus lives beside the checkout (../shared/corpus), as on the developers' machines and in CI.
export const corpusDir = process.env.PG_ACCESS_CORPUS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus');

// CI copies the corpus beside the clone: there a missing corpus is a failure, never a skip.
if (process.env.CI && !existsSync(corpusDir)) throw new Error(`No corpus at ${corpusDir}: CI must have ../shared/corpus beside the clone (or set PG_ACCESS_CORPUS_DIR).`);

export const CORPUS_FILES = [
  'pg_regress_rowsecurity.sql',
  'pg_regress_privileges.sql',
  'supabase_slack_clone.sql',
  'supabase_expo_push_notifications.sql',
  'supabase_supa_builder.sql',
  'basejump_multitenant.sql',
] as const;

/** Any number: the key of the advisory lock that serializes corpus loads across the test files running in parallel. */
const CORPUS_LOAD_LOCK = 730_117;

/**
 * A fresh database holding one corpus file; the caller closes it. The files
 * create and drop cluster-wide roles (CREATE ROLE after a NOT EXISTS check,
 * DROP ROLE of roles a copy may still use): two loads at once race, so loads
 * take turns under an advisory lock held in the `postgres` database, which
 * every test database's cluster shares.
 */
export async function loadCorpus(file: string): Promise<TestDatabase> {
  const db = await createTestDatabase();
  try {
    await runUnderCorpusLock(db, readFileSync(join(corpusDir, file), 'utf8'));
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** Runs SQL that creates cluster-wide roles when missing, taking turns with the corpus loads. */
export async function runUnderCorpusLock(db: TestDatabase, sql: string): Promise<void> {
  const lock = await db.admin.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [CORPUS_LOAD_LOCK]);
    await db.query(`SET client_min_messages = error; ${sql}`);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [CORPUS_LOAD_LOCK]).catch(() => undefined);
    lock.release();
  }
}

/**
 * The corpus's Supabase shim (the roles anon, authenticated, service_role,
 * the auth schema with auth.uid() and auth.jwt() reading the request's JWT
 * claims), as the Supabase files of the corpus prepend it.
 */
export function supabaseShim(): string {
  const text = readFileSync(join(corpusDir, 'supabase_slack_clone.sql'), 'utf8');
  const end = text.indexOf('-- ======================== end of SUPABASE SHIM');
  if (end < 0) throw new Error('supabase_slack_clone.sql: the end of the Supabase shim was not found');
  return text.slice(0, end);
}

// Objects an extension owns are the extension's, created by CREATE EXTENSION: left as they are.
const NOT_EXTENSION = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;
const USER_SCHEMA = (oid: string) => `${oid} IN (SELECT oid FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%')`;

/**
 * The database as it would be had none of its access statements run: no
 * policy, no RLS flag, and every ACL of the user schemas (schemas, tables,
 * columns, sequences, routines), the database's own and every default
 * privilege back to NULL, PostgreSQL's built-in defaults. No statement puts
 * an ACL back to NULL, so the catalogs are written directly (superuser;
 * the public schema gets the ACL CREATE DATABASE gives it, by version);
 * roles and memberships are the cluster's, shared with the original, and
 * kept.
 */
export async function stripAccess(db: TestDatabase): Promise<void> {
  await db.query(`DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT schemaname, tablename, policyname FROM pg_policies LOOP
      EXECUTE format('DROP POLICY %I ON %I.%I', r.policyname, r.schemaname, r.tablename);
    END LOOP;
    FOR r IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND (c.relrowsecurity OR c.relforcerowsecurity) LOOP
      EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY', r.nspname, r.relname);
    END LOOP;
  END $$`);
  await db.query(`
    UPDATE pg_attribute a SET attacl = NULL FROM pg_class c
      WHERE a.attrelid = c.oid AND a.attacl IS NOT NULL AND ${USER_SCHEMA('c.relnamespace')} AND ${NOT_EXTENSION('pg_class', 'c.oid')};
    UPDATE pg_class c SET relacl = NULL WHERE relacl IS NOT NULL AND ${USER_SCHEMA('c.relnamespace')} AND ${NOT_EXTENSION('pg_class', 'c.oid')};
    UPDATE pg_proc p SET proacl = NULL WHERE proacl IS NOT NULL AND ${USER_SCHEMA('p.pronamespace')} AND ${NOT_EXTENSION('pg_proc', 'p.oid')};
    UPDATE pg_namespace n SET nspacl = CASE WHEN n.nspname <> 'public' THEN NULL ELSE ARRAY[
        format('%s=UC/%s', quote_ident(pg_get_userbyid(n.nspowner)), quote_ident(pg_get_userbyid(n.nspowner)))::aclitem,
        format('=%s/%s', CASE WHEN current_setting('server_version_num')::int >= 150000 THEN 'U' ELSE 'UC' END, quote_ident(pg_get_userbyid(n.nspowner)))::aclitem] END
      WHERE nspacl IS NOT NULL AND ${USER_SCHEMA('n.oid')} AND ${NOT_EXTENSION('pg_namespace', 'n.oid')};
    DELETE FROM pg_default_acl;
    UPDATE pg_database SET datacl = NULL WHERE datname = current_database();`);
}
