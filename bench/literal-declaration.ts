/**
 * The benchmark's declaration written out table by table, as a generated
 * file would hold it (what pulling an existing database into code writes):
 * every policy with PostgreSQL's own text of its expressions, every grant
 * spelled out. At 10,000 tables it is an 11 MB TypeScript module, which is
 * what config loading has to transpile when nothing is cached.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const COMMANDS: Record<string, string> = { SELECT: 'SELECT', INSERT: 'INSERT', UPDATE: 'UPDATE', DELETE: 'DELETE', ALL: 'ALL' };

/** Writes `file` from the policies and table grants of the bench schemas; returns its size in bytes. */
export async function writeLiteralAccess(url: string, file: string, roles: readonly string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: policies } = await client.query(
      `SELECT schemaname::text AS schema, tablename::text AS name, policyname::text AS policy, cmd, permissive, roles::text[] AS roles, qual, with_check
       FROM pg_policies WHERE schemaname LIKE 'bench\\_%' ORDER BY 1, 2, 3`,
    );
    const { rows: grants } = await client.query(
      `SELECT table_schema::text AS schema, table_name::text AS name, grantee::text AS grantee, array_agg(privilege_type::text ORDER BY privilege_type) AS privileges
       FROM information_schema.role_table_grants WHERE table_schema LIKE 'bench\\_%' AND grantee <> current_user GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    const tables = new Map<string, { policies: string[]; grants: string[] }>();
    const entry = (schema: string, name: string) => {
      const key = `${schema}.${name}`;
      let t = tables.get(key);
      if (!t) tables.set(key, (t = { policies: [], grants: [] }));
      return t;
    };
    for (const p of policies) {
      const options = [
        p.permissive === 'RESTRICTIVE' ? `as: 'restrictive'` : null,
        `for: '${COMMANDS[p.cmd]}'`,
        `to: ${JSON.stringify(p.roles)}`,
        p.qual === null ? null : `using: ${JSON.stringify(p.qual)}`,
        p.with_check === null ? null : `withCheck: ${JSON.stringify(p.with_check)}`,
      ].filter((o) => o !== null);
      entry(p.schema, p.name).policies.push(`      policy(${JSON.stringify(p.policy)}, { ${options.join(', ')} }),`);
    }
    for (const g of grants) entry(g.schema, g.name).grants.push(`      grant(${JSON.stringify(g.privileges)}, { to: ${JSON.stringify(g.grantee)} }),`);
    const body = [...tables].map(([key, t]) => `  table(${JSON.stringify(key)}, {\n    policies: [\n${t.policies.join('\n')}\n    ],\n    grants: [\n${t.grants.join('\n')}\n    ],\n  }),`);
    const text = `import { defineAccess, grant, policy, table } from 'pg-access';\n\nexport default defineAccess({\n  roles: ${JSON.stringify(roles)},\n  tables: [\n${body.join('\n')}\n  ],\n});\n`;
    writeFileSync(file, text);
    return Buffer.byteLength(text);
  } finally {
    await client.end();
  }
}
