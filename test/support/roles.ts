import pg from 'pg';
import { adminUrl, quoteIdent, uniqueName } from './database.js';

/**
 * Creates cluster-unique roles for one test file. Roles are cluster-wide and
 * outlive a test database, so `drop()` runs after the databases are dropped,
 * on its own connection.
 */
export async function createRoles<K extends string>(...prefixes: K[]): Promise<Record<K, string> & { drop(): Promise<void> }> {
  const names = {} as Record<K, string>;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    for (const prefix of prefixes) {
      names[prefix] = uniqueName(prefix);
      await admin.query(`CREATE ROLE ${quoteIdent(names[prefix])} NOLOGIN`);
    }
  } finally {
    await admin.end();
  }
  const created = Object.values(names) as string[];
  return Object.assign(names, { drop: () => dropRoles(...created) });
}

/** Drops roles (after the test databases that reference them are gone). */
export async function dropRoles(...roles: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    for (const name of roles) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
}
