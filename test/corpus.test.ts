/**
 * Real access-control schemas nobody here wrote (../shared/corpus: PostgreSQL's
 * own regression tests, Supabase examples, Basejump), read at run time.
 * 1. Declaring exactly what a corpus database holds plans nothing to do
 *    (policy text from pg_policies survives normalization unchanged).
 * 2. Applying that declaration to a copy stripped of its policies, RLS flags
 *    and grants recreates them: pg_policies and the ACLs come out identical.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, plan } from '../src/index.js';
import { accessSnapshot } from './support/catalog.js';
import { corpusDir, CORPUS_FILES, loadCorpus as loadCorpusDatabase } from './support/corpus.js';
import type { TestDatabase } from './support/database.js';
import { describeCatalog } from './support/declaration-from-catalog.js';

if (!existsSync(corpusDir)) console.warn(`corpus tests skipped: no corpus at ${corpusDir} (set PG_ACCESS_CORPUS_DIR)`);
const opened: TestDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
});

async function loadCorpus(file: string): Promise<TestDatabase> {
  const db = await loadCorpusDatabase(file);
  opened.push(db);
  return db;
}

/** Removes every policy, RLS flag and non-owner table and column grant (extension members excepted: they are not declared). */
async function strip(db: TestDatabase): Promise<void> {
  await db.query(`DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT schemaname, tablename, policyname FROM pg_policies LOOP
      EXECUTE format('DROP POLICY %I ON %I.%I', r.policyname, r.schemaname, r.tablename);
    END LOOP;
    -- REVOKE ALL ON TABLE also removes the grantee's column privileges.
    FOR r IN SELECT DISTINCT n.nspname, c.relname, c.relkind, a.grantee FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
               LATERAL (SELECT x.grantee FROM aclexplode(c.relacl) x UNION SELECT x.grantee FROM pg_attribute t, aclexplode(t.attacl) x WHERE t.attrelid = c.oid AND t.attnum > 0) a
             WHERE c.relkind IN ('r','p','v','m','f') AND a.grantee <> c.relowner AND n.nspname NOT IN ('pg_catalog','information_schema')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') LOOP
      EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM %s CASCADE', r.nspname, r.relname, CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
    END LOOP;
    FOR r IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND (c.relrowsecurity OR c.relforcerowsecurity) LOOP
      EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY', r.nspname, r.relname);
    END LOOP;
  END $$`);
}

/** Table-level access only (policies, RLS flags, table and column ACLs): the part a declaration of tables manages. */
function tableAccess(s: Awaited<ReturnType<typeof accessSnapshot>>) {
  return { policies: s.policies, relations: s.relations.filter((r) => r.kind !== 'S').map(({ schema, name, rls, force, acl, columnAcl }) => ({ schema, name, rls, force, acl, columnAcl })) };
}

describe.skipIf(!existsSync(corpusDir))('corpus', () => {
  for (const file of CORPUS_FILES) {
    it(`${file}: declaring what is there plans nothing but implied USAGE grants, and applying it to a stripped copy recreates it`, async () => {
      const original = await loadCorpus(file);
      const { declaration } = await describeCatalog(original.pool);
      const inSync = await plan(original.pool, declaration);
      const unexpected = inSync.operations.filter((o) => !(o.op.kind === 'grant' && o.op.privileges.join() === 'USAGE' && o.op.target.kind !== 'table'));
      expect(unexpected.map((o) => o.description)).toEqual([]);
      await apply(original.pool, declaration);
      expect((await plan(original.pool, declaration)).isEmpty).toBe(true);
      const expected = tableAccess(await accessSnapshot(original.pool));

      const copy = await loadCorpus(file);
      await strip(copy);
      expect(tableAccess(await accessSnapshot(copy.pool)).policies).toEqual([]);
      await apply(copy.pool, declaration);
      expect(tableAccess(await accessSnapshot(copy.pool))).toEqual(expected);
      expect((await plan(copy.pool, declaration)).isEmpty).toBe(true);
    });
  }
});
