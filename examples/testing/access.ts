import { defineAccess, ownerOnly, readOnly, sessionSettings, tenantIsolation } from 'pg-access';

export const app = process.env.APP_ROLE ?? 'app_user';
export const reporting = process.env.REPORTING_ROLE ?? 'reporting';
// The application runs `SELECT set_config('app.user_id', $1, true)` (and app.tenant_id) at the start of each transaction.
export const session = sessionSettings({ type: 'int' });

// The examples' access design, with templates: own documents, within the tenant; reporting reads its tenant.
export default defineAccess({
  roles: [app, reporting],
  tables: [
    ownerOnly('documents', { column: 'owner_id', ...session.user, to: app }),
    readOnly('documents', reporting),
    tenantIsolation(['documents'], { column: 'tenant_id', ...session.tenant, to: [app, reporting] }),
  ],
});
