/**
 * `audit` (issue 11): the effective access matrix, checked against what
 * PostgreSQL itself says and enforces, never against pg-access's own code.
 *
 * - On the corpus: for every role the schema names and PUBLIC, every table
 *   and view, every command, `denied` exactly when has_table_privilege (or
 *   has_any_column_privilege) with has_schema_privilege(USAGE) says no; the
 *   columns of a column-only grant exactly those has_column_privilege
 *   allows; row security applied (filtered or none) exactly when
 *   row_security_active() says so under SET ROLE.
 * - On a table with rows: under SET ROLE, each role sees exactly what its
 *   cell says (an error when denied, every row, no row, or the rows its
 *   predicate selects), through groups, NOINHERIT, FORCE, BYPASSRLS,
 *   restrictive policies and PUBLIC.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, cellOf, type AccessCell, type AuditResult } from '../src/index.js';
import { auditMismatches } from './support/audit-oracle.js';
import { corpusDir, CORPUS_FILES, loadCorpus } from './support/corpus.js';
import { createTestDatabase, quoteIdent, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

const opened: TestDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
});

/** Roles other test files create (a uniqueName suffix, after '_' or a space) come and go while this file runs: left out. */
const fromOtherTests = (name: string) => /[_ ][0-9a-f]{12}$/.test(name);

describe.skipIf(!existsSync(corpusDir))('audit on the corpus, against PostgreSQL', () => {
  for (const file of CORPUS_FILES) {
    it(`${file}: denied, columns and row security as has_*_privilege and row_security_active say`, async () => {
      const db = await loadCorpus(file);
      opened.push(db);
      const result = await audit(db.pool);
      const roles = ['public', ...result.roles.map((r) => r.name).filter((n) => !fromOtherTests(n))];
      const { mismatches, cells } = await auditMismatches(db.pool, result, roles);
      expect(mismatches).toEqual([]);
      // Not vacuous: the corpus has each kind of cell somewhere.
      if (file === 'pg_regress_rowsecurity.sql') expect(new Set(cells.map((c) => c.access))).toEqual(new Set(['denied', 'all', 'filtered', 'none']));
      if (file === 'pg_regress_privileges.sql') expect(cells.some((c) => c.columns !== null)).toBe(true);
    });
  }
});

describe('audit on a table with rows: what each role sees under SET ROLE is what its cell says', () => {
  let db: TestDatabase;
  let r: Awaited<ReturnType<typeof createRoles<'au_group' | 'au_member' | 'au_noinherit' | 'au_owner' | 'au_bypass' | 'au_stranger' | 'au_cols'>>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    opened.push(db);
    r = await createRoles('au_group', 'au_member', 'au_noinherit', 'au_owner', 'au_bypass', 'au_stranger', 'au_cols');
    const q = quoteIdent;
    await db.query(`CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO PUBLIC;
      CREATE TABLE app.docs (id int, team int, secret boolean, note text);
      INSERT INTO app.docs SELECT i, i % 3, i % 4 = 0, 'n' || i FROM generate_series(1, 12) i;
      ALTER TABLE app.docs OWNER TO ${q(r.au_owner)};
      ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
      GRANT ${q(r.au_group)} TO ${q(r.au_member)}; GRANT ${q(r.au_group)} TO ${q(r.au_noinherit)};
      ALTER ROLE ${q(r.au_noinherit)} NOINHERIT; ALTER ROLE ${q(r.au_bypass)} BYPASSRLS;
      GRANT SELECT, UPDATE ON app.docs TO ${q(r.au_group)}; GRANT SELECT ON app.docs TO ${q(r.au_bypass)}, ${q(r.au_noinherit)};
      GRANT SELECT (id, note) ON app.docs TO ${q(r.au_cols)};
      CREATE POLICY team_one ON app.docs FOR SELECT TO ${q(r.au_group)} USING (team = 1);
      CREATE POLICY team_two ON app.docs FOR ALL TO ${q(r.au_member)} USING (team = 2);
      CREATE POLICY no_secrets ON app.docs AS RESTRICTIVE FOR SELECT TO PUBLIC USING (NOT secret);
      CREATE POLICY for_cols ON app.docs FOR SELECT TO ${q(r.au_cols)} USING (id < 4)`);
    if ((await db.query(`SELECT current_setting('server_version_num')::int >= 160000 AS v16`)).rows[0].v16) {
      // From 16 the membership's INHERIT option decides, not the role's attribute (which only sets the default of new grants).
      await db.query(`REVOKE ${quoteIdent(r.au_group)} FROM ${quoteIdent(r.au_noinherit)}; GRANT ${quoteIdent(r.au_group)} TO ${quoteIdent(r.au_noinherit)} WITH INHERIT FALSE`);
    }
  });
  afterAll(async () => {
    await db.close();
    await r.drop();
  });

  it('SELECT: denied, all rows (owner, BYPASSRLS), none, and filtered rows, for members, NOINHERIT, FORCE and column grants', async () => {
    const result = await audit(db.pool, { schemas: ['app'] });
    const select = (role: string): AccessCell => cellOf(result, role, 'app', 'docs', 'SELECT');
    expect(select(r.au_stranger).access).toBe('denied');
    expect(select('public').access).toBe('denied');
    expect(select(r.au_owner)).toMatchObject({ access: 'all', bypass: 'owner' });
    expect(select(r.au_bypass)).toMatchObject({ access: 'all', bypass: 'bypassrls' });
    expect(select(r.au_noinherit)).toMatchObject({ access: 'none', policies: ['no_secrets'] });
    expect(select(r.au_group)).toMatchObject({ access: 'filtered', using: '(team = 1) AND (NOT secret)', policies: ['no_secrets', 'team_one'] });
    expect(select(r.au_member)).toMatchObject({ access: 'filtered', using: '((team = 1) OR (team = 2)) AND (NOT secret)' });
    expect(select(r.au_cols)).toMatchObject({ access: 'filtered', columns: ['id', 'note'], using: '(id < 4) AND (NOT secret)' });
    expect(result.cells.find((c) => c.role === r.au_member && c.command === 'UPDATE')).toMatchObject({ access: 'filtered', using: '(team = 2)', withCheck: '(team = 2)' });
    await expectSeen(result);

    await db.query(`ALTER TABLE app.docs FORCE ROW LEVEL SECURITY`);
    const forced = await audit(db.pool, { schemas: ['app'] });
    expect(cellOf(forced, r.au_owner, 'app', 'docs', 'SELECT')).toMatchObject({ access: 'none' });
    await expectSeen(forced);
  });

  /** Every SELECT cell of a role one can become, against the rows it sees (predicates evaluated as the superuser: they read no role). */
  async function expectSeen(result: AuditResult): Promise<void> {
    const all = Number((await db.query('SELECT count(*) AS n FROM app.docs')).rows[0].n);
    const ours = Object.values(r).filter((x): x is string => typeof x === 'string');
    for (const c of ours.map((role) => cellOf(result, role, 'app', 'docs', 'SELECT'))) {
      const column = c.columns?.[0] ?? '*';
      const seen = await db.pool.connect().then(async (client) => {
        try {
          await client.query(`BEGIN; SET LOCAL ROLE ${quoteIdent(c.role)}`);
          return Number((await client.query(`SELECT count(${column === '*' ? '*' : quoteIdent(column)}) AS n FROM app.docs`)).rows[0].n);
        } catch (error) {
          return (error as Error).message;
        } finally {
          await client.query('ROLLBACK');
          client.release();
        }
      });
      const expected =
        c.access === 'denied' ? 'permission denied for table docs' : c.access === 'all' ? all : c.access === 'none' ? 0 : Number((await db.query(`SELECT count(*) AS n FROM app.docs WHERE ${c.using}`)).rows[0].n);
      expect([c.role, seen]).toEqual([c.role, expected]);
    }
  }
});
