import type { Generated } from 'kysely';

/** The app's Kysely Database interface, as it types its queries. */
export interface Database {
  documents: { id: Generated<number>; tenant_id: number; owner_id: number; title: string };
}
