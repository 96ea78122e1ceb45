import { defineAccess, grant, policy, table } from 'pg-access';
import type { Database } from './db.ts';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';

export default defineAccess({
  roles: [app, reporting],
  tables: [
    // Columns typed from Database: t.owner_idd would not compile.
    table<Database, 'documents'>('documents', {
      grants: [grant(['SELECT', 'INSERT', 'UPDATE', 'DELETE'], { to: app }), grant('SELECT', { to: reporting })],
      policies: [
        policy('own_documents', { to: app, using: (t) => `${t.owner_id} = (SELECT current_setting('app.user_id')::int)` }),
        policy('tenant_fence', { as: 'restrictive', to: [app, reporting], using: (t) => `${t.tenant_id} = (SELECT current_setting('app.tenant_id')::int)` }),
        policy('reporting_reads', { for: 'SELECT', to: reporting, using: 'true' }),
      ],
    }),
  ],
});
