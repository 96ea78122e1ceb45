/**
 * The demo app's access declaration: the file you would write in your own
 * project (there, import from 'pg-access' instead of '../src/index.js').
 *
 * The application connects as (or SET ROLEs to) `app_user` and tells
 * PostgreSQL who is asking with two settings per transaction:
 *
 *   SELECT set_config('app.user_id', '42', true), set_config('app.tenant_id', '7', true);
 *
 * Policies read them back with current_setting(). Tables are named with
 * plain strings ('schema.table'); in a callback, `t.owner_id` renders the
 * quoted column name "owner_id".
 */
import { defineAccess, grant, policy, role, table } from '../src/index.js';

export const currentUserId = `current_setting('app.user_id')::int`;
export const currentTenantId = `current_setting('app.tenant_id')::int`;

export const access = defineAccess({
  // Roles pg-access creates when missing and keeps as declared. (A plain
  // name, or existingRole(name), is a role that must exist already and is
  // never changed, such as a hosting provider's.)
  roles: [role('app_user'), role('app_readonly', { connectionLimit: 5 })],
  tables: [
    // No policies: plain grants, row-level security left as it is (off).
    table('public.users', {
      grants: [grant('SELECT', { to: ['app_user', 'app_readonly'] })],
    }),

    // Documents belong to a user: each user reads and writes only their own.
    table('public.documents', {
      policies: [
        policy('owner_reads', {
          for: 'SELECT',
          to: 'app_user',
          using: (t) => `${t.owner_id} = ${currentUserId}`,
        }),
        policy('owner_inserts', {
          for: 'INSERT',
          to: 'app_user',
          withCheck: (t) => `${t.owner_id} = ${currentUserId}`,
        }),
        policy('owner_updates', {
          for: 'UPDATE',
          to: 'app_user',
          using: (t) => `${t.owner_id} = ${currentUserId}`,
          withCheck: (t) => `${t.owner_id} = ${currentUserId}`,
        }),
      ],
      // No DELETE: users cannot delete documents at all.
      grants: [grant(['SELECT', 'INSERT', 'UPDATE'], { to: 'app_user' })],
    }),

    // A multi-tenant table: every row belongs to a tenant, and a session only
    // ever sees and writes its own tenant's rows.
    table('public.projects', {
      policies: [
        policy('tenant_isolation', {
          to: 'app_user',
          using: `tenant_id = ${currentTenantId}`,
          withCheck: `tenant_id = ${currentTenantId}`,
        }),
      ],
      grants: [grant(['SELECT', 'INSERT', 'UPDATE', 'DELETE'], { to: 'app_user' })],
    }),

    // A table in its own schema. USAGE on `billing` is granted automatically
    // to every role that gets a privilege on a table in it.
    table('billing.invoices', {
      policies: [
        policy('tenant_reads', {
          for: 'SELECT',
          to: ['app_user', 'app_readonly'],
          using: `tenant_id = ${currentTenantId}`,
        }),
        // Restrictive policies narrow what the permissive ones allow: the
        // read-only role (reporting, exports) never sees draft invoices.
        policy('readonly_hides_drafts', {
          as: 'restrictive',
          for: 'SELECT',
          to: 'app_readonly',
          using: `status <> 'draft'`,
        }),
      ],
      grants: [grant('SELECT', { to: ['app_user', 'app_readonly'] })],
    }),
  ],
});
