import { defineConfig } from 'pg-access';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';
const as = (user: number, tenant: number) => ({ 'app.user_id': user, 'app.tenant_id': tenant });

export default defineConfig({
  access: './access.ts',
  url: process.env.DATABASE_URL,
  // `pg-access test`: each expectation is tried as its role after the seed, in a transaction rolled back at the end.
  test: {
    schema: './setup.sql', // for `pg-access test --pglite`: the tables, on a fresh in-process database
    seed: './seed.sql',
    expect: [
      { name: 'own rows', role: app, settings: as(1, 1), table: 'documents', command: 'SELECT', rows: 1 },
      { name: 'not for someone else', role: app, settings: as(1, 1), table: 'documents', command: 'INSERT', values: { id: 9, tenant_id: 1, owner_id: 2, title: 'x' }, allowed: false },
      { name: 'own insert', role: app, settings: as(1, 1), table: 'documents', command: 'INSERT', values: { id: 9, tenant_id: 1, owner_id: 1, title: 'x' }, allowed: true },
      { name: "a colleague's row", role: app, settings: as(1, 1), table: 'documents', command: 'UPDATE', where: { id: 2 }, values: { title: 'x' }, allowed: false },
      { name: 'own row, other tenant', role: app, settings: as(1, 1), table: 'documents', command: 'DELETE', where: { id: 3 }, allowed: false },
      { name: 'own delete', role: app, settings: as(1, 1), table: 'documents', command: 'DELETE', where: { id: 1 }, rows: 1 },
      { name: 'reporting reads its tenant', role: reporting, settings: as(0, 1), table: 'documents', command: 'SELECT', rows: 2 },
      { name: 'reporting writes nothing', role: reporting, settings: as(0, 1), table: 'documents', command: 'INSERT', values: { id: 9, tenant_id: 1, owner_id: 1, title: 'x' }, allowed: false },
      { name: 'reporting updates nothing', role: reporting, settings: as(0, 1), table: 'documents', command: 'UPDATE', where: { id: 1 }, allowed: false },
      { name: 'reporting deletes nothing', role: reporting, settings: as(0, 1), table: 'documents', command: 'DELETE', allowed: false },
      { name: 'no settings, no rows', role: app, table: 'documents', command: 'SELECT', rows: 0 },
    ],
  },
});
