import { quoteIdent, uniqueName, type TestDatabase } from './database.js';

/** Creates cluster-unique roles for one test file; `drop()` removes them after the databases are gone. */
export async function createRoles<K extends string>(db: TestDatabase, ...prefixes: K[]): Promise<Record<K, string> & { drop(): Promise<void> }> {
  const names = {} as Record<K, string>;
  for (const prefix of prefixes) {
    names[prefix] = uniqueName(prefix);
    await db.admin.query(`CREATE ROLE ${quoteIdent(names[prefix])} NOLOGIN`);
  }
  const admin = db.admin;
  const created = Object.values(names) as string[];
  return Object.assign(names, {
    async drop() {
      for (const name of created) {
        await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`).catch(() => undefined);
      }
    },
  });
}
