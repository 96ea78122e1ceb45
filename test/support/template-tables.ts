import { boolean, integer, pgTable, text } from 'drizzle-orm/pg-core';

/** Drizzle tables matching the templates test's SQL tables, for the typed and front-end cases. */
export const drizzleTables = {
  docs: pgTable('docs', { id: integer('id').primaryKey(), ownerId: integer('owner_id').notNull(), tenantId: integer('tenant_id').notNull(), body: text('body') }),
  teamMembers: pgTable('team_members', { teamId: integer('team_id'), userId: integer('user_id') }),
  projects: pgTable('projects', { id: integer('id').primaryKey(), teamId: integer('team_id'), tenantId: integer('tenant_id').notNull() }),
  posts: pgTable('posts', { id: integer('id').primaryKey(), published: boolean('published').notNull() }),
};
