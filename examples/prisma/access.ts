import { defineAccess, grant, policy, readPrismaSchema, table } from 'pg-access';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';
// Prisma's own reader resolves @@map and @map: t.ownerId renders "owner_id".
const prisma = await readPrismaSchema('prisma/schema.prisma');

export default defineAccess({
  roles: [app, reporting],
  tables: [
    table(prisma.model<'id' | 'tenantId' | 'ownerId' | 'title'>('Document'), {
      grants: [grant(['SELECT', 'INSERT', 'UPDATE', 'DELETE'], { to: app }), grant('SELECT', { to: reporting })],
      policies: [
        policy('own_documents', { to: app, using: (t) => `${t.ownerId} = (SELECT current_setting('app.user_id')::int)` }),
        policy('tenant_fence', { as: 'restrictive', to: [app, reporting], using: (t) => `${t.tenantId} = (SELECT current_setting('app.tenant_id')::int)` }),
        policy('reporting_reads', { for: 'SELECT', to: reporting, using: 'true' }),
      ],
    }),
  ],
});
