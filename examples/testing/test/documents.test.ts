import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectAffects, expectCannotSee, expectDenied, expectRows, withRole } from 'pg-access/testing';
import { app, reporting, session } from '../access.ts';
import { openDatabase, seed } from './database.ts';

let database: Awaited<ReturnType<typeof openDatabase>>;
beforeAll(async () => {
  database = await openDatabase();
});
afterAll(() => database?.close());

const as = (user: number, tenant: number) => ({ seed, settings: session.settings({ user, tenant }) });

describe('documents', () => {
  it('a user sees and changes only their own documents, within their tenant', async () => {
    await withRole(database.db, app, as(1, 1), async (tx) => {
      await expectRows(tx, 'documents').toEqual([{ id: 1, title: 'mine' }]);
      await expectCannotSee(tx, 'documents', { id: 3 });
      await expectDenied(tx, `INSERT INTO documents (tenant_id, owner_id, title) VALUES (1, 2, 'for a colleague')`);
      await expectAffects(tx, `UPDATE documents SET title = 'renamed' WHERE id = 2`, 0);
      await expectAffects(tx, `UPDATE documents SET title = 'renamed' WHERE id = 1`, 1);
    });
  });

  it('without settings a user sees nothing (fail closed)', async () => {
    await withRole(database.db, app, { seed }, async (tx) => {
      await expectRows(tx, 'documents').toHaveCount(0);
    });
  });

  it('reporting reads its tenant and writes nothing', async () => {
    await withRole(database.db, reporting, as(0, 1), async (tx) => {
      await expectRows(tx, 'documents').toEqual([{ id: 1 }, { id: 2 }]);
      await expectDenied(tx, `INSERT INTO documents (tenant_id, owner_id, title) VALUES (1, 1, 'x')`);
      await expectDenied(tx, 'DELETE FROM documents');
    });
  });
});
