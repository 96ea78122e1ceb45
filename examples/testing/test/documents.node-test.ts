// The same checks under node:test (`node --import tsx --test test/documents.node-test.ts`): the assertions throw node:assert's AssertionError.
import { after, before, test } from 'node:test';
import { expectDenied, expectRows, withRole } from 'pg-access/testing';
import { app, session } from '../access.ts';
import { openDatabase, seed } from './database.ts';

let database: Awaited<ReturnType<typeof openDatabase>>;
before(async () => {
  database = await openDatabase();
});
after(() => database?.close());

test('a user sees only their own documents, within their tenant', async () => {
  await withRole(database.db, app, { seed, settings: session.settings({ user: 1, tenant: 1 }) }, async (tx) => {
    await expectRows(tx, 'documents').toEqual([{ id: 1, title: 'mine' }]);
    await expectDenied(tx, `INSERT INTO documents (tenant_id, owner_id, title) VALUES (1, 2, 'for a colleague')`);
  });
});
