/**
 * Counterexamples found by the property-based round trips
 * (test/property/round-trip.property.test.ts), shrunk and kept as plain
 * scenarios against real PostgreSQL, each with the PostgreSQL behaviour it
 * is about.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAccess, grant, plan, schema, table } from '../src/index.js';
import { accessSnapshot } from './support/catalog.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createRoles } from './support/roles.js';

let db: TestDatabase;
let r: Awaited<ReturnType<typeof createRoles<'pr_a' | 'pr_b'>>>;

beforeAll(async () => {
  db = await createTestDatabase();
  r = await createRoles('pr_a', 'pr_b');
});
afterAll(async () => {
  await db?.close();
  await r?.drop();
});

let counter = 0;
const fresh = (prefix: string) => `${prefix}_${++counter}`;

describe('grant options', () => {
  it('withGrantOption to PUBLIC is a declaration error (PostgreSQL: "grant options can only be granted to roles")', async () => {
    const t = fresh('pr_public_option');
    await db.query(`CREATE TABLE ${t} (id int)`);
    const before = await accessSnapshot(db.pool);
    const declare = (target: 'table' | 'schema') =>
      defineAccess({
        roles: [r.pr_a],
        schemas: target === 'schema' ? [schema(`${t}_s`, { grants: [grant('USAGE', { to: 'public', withGrantOption: true })] })] : [],
        tables: target === 'table' ? [table(t, { grants: [grant('TRIGGER', { to: ['public', r.pr_a], withGrantOption: true })] })] : [],
      });
    for (const target of ['table', 'schema'] as const) {
      const error = await plan(db.pool, declare(target)).then(
        () => null,
        (e: { code: string; message: string }) => e,
      );
      expect(error?.code).toBe('INVALID_DECLARATION');
      expect(error?.message).toContain('withGrantOption cannot be given to PUBLIC');
    }
    expect(await accessSnapshot(db.pool)).toEqual(before);
  });
});
