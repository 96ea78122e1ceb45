import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';

export const documents = pgTable('documents', {
  id: serial('id').primaryKey(),
  tenantId: integer('tenant_id').notNull(),
  ownerId: integer('owner_id').notNull(),
  title: text('title').notNull(),
});
