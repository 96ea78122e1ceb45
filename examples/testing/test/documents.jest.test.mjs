// The same checks under jest (`node --experimental-vm-modules node_modules/jest/bin/jest.js`), on PGlite:
// the assertions throw node:assert's AssertionError, which jest reports as a failure. Plain ESM, so jest
// needs no TypeScript transform: the declaration is written here the way access.ts writes it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, test } from '@jest/globals';
import { PGlite } from '@electric-sql/pglite';
import { apply, defineAccess, ownerOnly, readOnly, sessionSettings, tenantIsolation } from 'pg-access';
import { expectDenied, expectRows, withRole } from 'pg-access/testing';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';
const session = sessionSettings({ type: 'int' });
const access = defineAccess({
  roles: [app, reporting],
  tables: [
    ownerOnly('documents', { column: 'owner_id', ...session.user, to: app }),
    readOnly('documents', reporting),
    tenantIsolation(['documents'], { column: 'tenant_id', ...session.tenant, to: [app, reporting] }),
  ],
});
const seed = readFileSync(new URL('../seed.sql', import.meta.url), 'utf8');

let db;
beforeAll(async () => {
  db = new PGlite();
  await db.exec(`CREATE ROLE "${app}"; CREATE ROLE "${reporting}"; ${readFileSync(new URL('../setup.sql', import.meta.url), 'utf8')}`);
  await apply(db, access);
});
afterAll(() => db?.close());

test('a user sees only their own documents, within their tenant', async () => {
  await withRole(db, app, { seed, settings: session.settings({ user: 1, tenant: 1 }) }, async (tx) => {
    await expectRows(tx, 'documents').toEqual([{ id: 1, title: 'mine' }]);
    await expectDenied(tx, `INSERT INTO documents (tenant_id, owner_id, title) VALUES (1, 2, 'for a colleague')`);
  });
});

test('reporting reads its tenant and writes nothing', async () => {
  await withRole(db, reporting, { seed, settings: session.settings({ user: 0, tenant: 1 }) }, async (tx) => {
    await expectRows(tx, 'documents').toHaveCount(2);
    await expectDenied(tx, 'DELETE FROM documents');
  });
});
