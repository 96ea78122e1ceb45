import { sql } from 'drizzle-orm';
import { defineAccess, grant, policy, table } from 'pg-access';
import { documents } from './schema.ts';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';

export default defineAccess({
  roles: [app, reporting],
  tables: [
    table(documents, {
      grants: [grant(['SELECT', 'INSERT', 'UPDATE', 'DELETE'], { to: app }), grant('SELECT', { to: reporting })],
      policies: [
        policy('own_documents', { to: app, using: (t) => sql`${t.ownerId} = (SELECT current_setting('app.user_id')::int)` }),
        policy('tenant_fence', { as: 'restrictive', to: [app, reporting], using: (t) => sql`${t.tenantId} = (SELECT current_setting('app.tenant_id')::int)` }),
        policy('reporting_reads', { for: 'SELECT', to: reporting, using: 'true' }),
      ],
    }),
  ],
});
