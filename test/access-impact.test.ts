/**
 * The access impact of a plan (issue 11): who gains and loses access,
 * predicted before the plan runs, checked against an audit of the database
 * after `apply` (an audit is checked against PostgreSQL itself in
 * audit.test.ts). For every role the declaration names and PUBLIC, every
 * declared table and every command: a cell the impact lists changed from
 * exactly its `before` to exactly its `after`, and every other cell did not
 * change. On the corpus in both directions (a stripped copy given the
 * original's access: widening; the original given a stripped declaration:
 * narrowing), and on a hand-made change of each kind.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, audit, defineAccess, grant, plan, policy, pull, table, type AccessDeclaration } from '../src/index.js';
import { impactMismatches } from './support/audit-oracle.js';
import { loadPulledModule } from './support/pulled-module.js';
import { parseTableName } from '../src/declare/table-name.js';
import { renderPlainSqlMigration } from '../src/render/plain/plain-sql-migration.js';
import { corpusDir, CORPUS_FILES, loadCorpus, stripAccess } from './support/corpus.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../..');
const root = path.join(repo, '.pg-access-tmp', `impact-${randomBytes(4).toString('hex')}`);
const opened: TestDatabase[] = [];
beforeAll(() => mkdirSync(root, { recursive: true }));
afterAll(async () => {
  for (const db of opened) await db.close();
  rmSync(root, { recursive: true, force: true });
});

const loadPulled = async (name: string, source: string) => (await loadPulledModule(root, name, source)).declaration;

/** Plans with impact, applies, and checks every named role × declared table × command against audits before and after. */
async function expectImpactMatchesAudits(db: TestDatabase, declaration: AccessDeclaration, roles: readonly string[]): Promise<{ widened: number; narrowed: number; changed: number }> {
  const before = await audit(db.pool);
  const planned = await plan(db.pool, declaration, { impact: true });
  expect(planned.impact).toBeDefined();
  await apply(db.pool, declaration);
  const after = await audit(db.pool);
  const tables = declaration.tables.map((t) => {
    const parsed = parseTableName(t.table as string)!;
    return { schema: parsed.schema ?? 'public', table: parsed.name };
  });
  const wrong = impactMismatches(before, after, planned.impact!, ['public', ...roles], tables);
  expect(wrong).toEqual([]);
  const count = (kind: string) => planned.impact!.filter((c) => c.kind === kind).length;
  return { widened: count('widened'), narrowed: count('narrowed'), changed: count('changed') };
}

/** The roles a pulled declaration names (plain names and existingRole/role objects). */
function namedRoles(declaration: AccessDeclaration): string[] {
  return declaration.roles.map((r) => (typeof r === 'string' ? r : (r as { name: string }).name));
}

describe.skipIf(!existsSync(corpusDir))('the access impact of a plan, on the corpus, against audits', () => {
  for (const file of CORPUS_FILES) {
    it(`${file}: a stripped copy given the original's access widens exactly as predicted; the original given none narrows exactly as predicted`, async () => {
      const original = await loadCorpus(file);
      const copy = await loadCorpus(file);
      opened.push(original, copy);
      await stripAccess(copy);
      const full = await loadPulled(`${path.basename(file, '.sql')}-full`, (await pull(original.pool)).source);
      const bare = await loadPulled(`${path.basename(file, '.sql')}-bare`, (await pull(copy.pool)).source);
      const roles = namedRoles(full);

      const widening = await expectImpactMatchesAudits(copy, full, roles);
      expect(widening.narrowed).toBe(0);
      expect(widening.widened).toBeGreaterThan(0);
      // The bare declaration names fewer roles: the narrowing is checked for the original's roles, which it still reaches through PUBLIC.
      const narrowing = await expectImpactMatchesAudits(original, { ...bare, roles: [...bare.roles, ...full.roles.filter((r) => !namedRoles(bare).includes(typeof r === 'string' ? r : (r as { name: string }).name))] }, roles);
      expect(narrowing.widened).toBe(0);
      expect(narrowing.narrowed).toBeGreaterThan(0);
    });
  }
});

describe('the access impact of hand-made changes', () => {
  let db: TestDatabase;
  let r: Awaited<ReturnType<typeof createRoles<'im_app' | 'im_group' | 'im_reader'>>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    opened.push(db);
    r = await createRoles('im_app', 'im_group', 'im_reader');
    await db.query(`CREATE TABLE docs (id int, owner_id int, note text); GRANT ${quoteIdent(r.im_group)} TO ${quoteIdent(r.im_app)}`);
  });
  afterAll(async () => {
    await db.close();
    await r.drop();
  });

  const declare = (variant: 1 | 2 | 3) =>
    defineAccess({
      roles: [r.im_app, r.im_group, r.im_reader],
      tables: [
        table('docs', {
          policies: [
            policy('own', { for: 'SELECT', to: r.im_group, using: variant === 3 ? 'owner_id > 0' : 'owner_id = 1' }),
            ...(variant >= 2 ? [policy('deletes', { for: 'DELETE', to: r.im_app, using: 'owner_id = 1' })] : []),
          ],
          grants: [
            grant('SELECT', { to: r.im_group }),
            ...(variant >= 2 ? [grant('DELETE', { to: r.im_app })] : [grant('SELECT', { to: r.im_reader, columns: ['id', 'note'] })]),
          ],
        }),
      ],
    });

  it('says who gains and loses what, through a group, column grants and a changed condition, and the audits agree', async () => {
    const roles = [r.im_app, r.im_group, r.im_reader];
    const first = await expectImpactMatchesAudits(db, declare(1), roles);
    expect(first).toEqual({ widened: 3, narrowed: 0, changed: 0 });

    const second = await plan(db.pool, declare(2), { impact: true });
    expect(second.impact!.map((c) => `${c.kind}: ${c.role === r.im_app ? 'app' : c.role === r.im_reader ? 'reader' : c.role} ${c.command}`).sort()).toEqual([
      'narrowed: reader SELECT',
      'widened: app DELETE',
    ]);
    const { describeChange } = await import('../src/audit/access-impact.js');
    expect(second.impact!.map(describeChange).sort()).toEqual([
      `${r.im_app} can now DELETE on public.docs: rows where (owner_id = 1)`,
      `${r.im_reader} can no longer SELECT on public.docs (was: no rows (columns id, note))`,
    ]);
    await expectImpactMatchesAudits(db, declare(2), roles);

    const third = await expectImpactMatchesAudits(db, declare(3), roles);
    // The group's condition and its member's, who reads through it.
    expect(third).toEqual({ widened: 0, narrowed: 0, changed: 2 });
  });

  it('a migration says who gains and loses what at the top: the up file the plan, the down file the same changes the other way', async () => {
    // The database is as declare(3) left it; this adds INSERT for im_app, which has no INSERT policy.
    const now = declare(3);
    const inserts = defineAccess({ ...now, tables: [table('docs', { ...now.tables[0]!.options, grants: [...(now.tables[0]!.options.grants ?? []), grant('INSERT', { to: r.im_app })] })] });
    const planned = await plan(db.pool, inserts, { impact: true });
    const { upSql, downSql } = renderPlainSqlMigration({ name: 'inserts', plan: planned, now: new Date('2026-01-02T03:04:05Z') });
    const header = (sql: string) => sql.slice(0, sql.indexOf('BEGIN;'));
    expect(header(upSql)).toContain(`-- Access impact (1 widened, 0 changed, 0 narrowed):\n--   + widened   ${r.im_app} can now INSERT on public.docs: no rows\n`);
    expect(header(downSql)).toContain(`-- Access impact (0 widened, 0 changed, 1 narrowed):\n--   - narrowed  ${r.im_app} can no longer INSERT on public.docs (was: no rows)\n`);
  });

  it('an in-sync plan has an empty impact, and without the option none is computed', async () => {
    expect((await plan(db.pool, declare(3), { impact: true })).impact).toEqual([]);
    expect((await plan(db.pool, declare(1))).impact).toBeUndefined();
  });
});
