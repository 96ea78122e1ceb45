/**
 * Proves the real-PostgreSQL harness: isolated databases, unique roles, and
 * asRole() observing row-level security enforcement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole, createTestDatabase, quoteIdent, uniqueName, type TestDatabase } from './support/database.js';

describe('test harness', () => {
  let db: TestDatabase;
  let other: TestDatabase;
  const role = uniqueName('pga_tenant');

  beforeAll(async () => {
    [db, other] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await db.admin.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
    await db.query(`
      CREATE TABLE documents (
        id serial PRIMARY KEY,
        tenant_id int NOT NULL,
        title text NOT NULL
      );
      INSERT INTO documents (tenant_id, title) VALUES (1, 'one-a'), (1, 'one-b'), (2, 'two-a');
      ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant_isolation ON documents
        USING (tenant_id = current_setting('app.tenant_id')::int)
        WITH CHECK (tenant_id = current_setting('app.tenant_id')::int);
      GRANT SELECT, INSERT ON documents TO ${quoteIdent(role)};
      GRANT USAGE ON SEQUENCE documents_id_seq TO ${quoteIdent(role)};
    `);
  });

  afterAll(async () => {
    // Roles are cluster-global: drop ours (after dropping the privileges it holds in db).
    if (db) {
      await db.query(`DROP OWNED BY ${quoteIdent(role)}`);
      await db.admin.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    }
    await Promise.all([db?.close(), other?.close()]);
  });

  it('creates isolated, uniquely named databases on the same cluster', async () => {
    expect(db.name).toMatch(/^pga_[0-9a-f]{12}$/);
    expect(other.name).not.toBe(db.name);
    const { rows } = await other.query('SELECT current_database() AS name');
    expect(rows[0].name).toBe(other.name);
    const tables = await other.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'documents'`);
    expect(tables.rows[0].n).toBe(0);
    const listed = await db.admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname', [[db.name, other.name]]);
    expect(listed.rows.map((r) => r.datname)).toEqual([db.name, other.name].sort());
  });

  it('the table owner (superuser) bypasses RLS', async () => {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM documents');
    expect(rows[0].n).toBe(3);
  });

  it('a role sees only the rows its policy allows', async () => {
    const seen = await asRole(db.pool, role, { 'app.tenant_id': '1' }, async (client) => {
      const who = await client.query('SELECT current_user AS u');
      expect(who.rows[0].u).toBe(role);
      const { rows } = await client.query('SELECT title FROM documents ORDER BY title');
      return rows.map((r) => r.title);
    });
    expect(seen).toEqual(['one-a', 'one-b']);

    const seenByTwo = await asRole(db.pool, role, { 'app.tenant_id': '2' }, async (client) => {
      const { rows } = await client.query('SELECT title FROM documents ORDER BY title');
      return rows.map((r) => r.title);
    });
    expect(seenByTwo).toEqual(['two-a']);
  });

  it('an insert violating the policy is refused with the RLS error', async () => {
    const attempt = asRole(db.pool, role, { 'app.tenant_id': '1' }, (client) =>
      client.query(`INSERT INTO documents (tenant_id, title) VALUES (2, 'sneaky')`),
    );
    await expect(attempt).rejects.toMatchObject({
      code: '42501',
      message: expect.stringMatching(/new row violates row-level security policy for table "documents"/),
    });
  });

  it('an allowed insert succeeds inside asRole and is rolled back afterwards', async () => {
    const inserted = await asRole(db.pool, role, { 'app.tenant_id': '1' }, async (client) => {
      await client.query(`INSERT INTO documents (tenant_id, title) VALUES (1, 'one-c')`);
      const { rows } = await client.query('SELECT count(*)::int AS n FROM documents');
      return rows[0].n;
    });
    expect(inserted).toBe(3);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM documents WHERE title = 'one-c'`);
    expect(rows[0].n).toBe(0);
  });

  it('settings and role do not leak out of asRole', async () => {
    const client = await db.pool.connect();
    try {
      // pg.Pool hands out the most recently released idle client: the one asRole used above.
      const { rows } = await client.query(`SELECT current_user AS u, current_setting('app.tenant_id', true) AS t`);
      expect(rows[0].u).toBe('postgres');
      expect(rows[0].t === null || rows[0].t === '').toBe(true);
    } finally {
      client.release();
    }
  });
});
