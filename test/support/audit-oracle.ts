/**
 * Checks an audit against PostgreSQL itself, and a plan's predicted impact
 * against audits taken before and after it ran: shared by the audit, impact
 * and property tests. Each returns the mismatches as lines (empty: agreed).
 */
import type pg from 'pg';
import { AUDIT_COMMANDS, cellOf, type AccessCell, type AccessChange, type AuditResult } from '../../src/index.js';
import { quoteIdent } from './database.js';

/**
 * For every role in `roles` ('public' for PUBLIC), relation of the audit and
 * command: `denied` exactly when has_table_privilege (or
 * has_any_column_privilege) with has_schema_privilege(USAGE) says no; the
 * columns of a column-only grant exactly those has_column_privilege allows;
 * row security applied (filtered or none) exactly when row_security_active()
 * says so under SET ROLE (TRUNCATE, which ignores it, excepted).
 */
export async function auditMismatches(pool: pg.Pool, result: AuditResult, roles: readonly string[]): Promise<{ mismatches: string[]; cells: AccessCell[] }> {
  const cells = roles.flatMap((role) => result.relations.flatMap((rel) => AUDIT_COMMANDS.map((command) => cellOf(result, role, rel.schema, rel.name, command))));
  const schemas = result.relations.map((r) => r.schema);
  const names = result.relations.map((r) => r.name);
  const { rows } = await pool.query(
    `SELECT r.name AS role, n.nspname AS schema, c.relname AS table, cmd AS command,
       (has_table_privilege(r.name, c.oid, cmd) OR (cmd IN ('SELECT', 'INSERT', 'UPDATE') AND has_any_column_privilege(r.name, c.oid, cmd)))
         AND has_schema_privilege(r.name, n.oid, 'USAGE') AS allowed,
       CASE WHEN NOT has_table_privilege(r.name, c.oid, cmd) AND cmd IN ('SELECT', 'INSERT', 'UPDATE') AND has_any_column_privilege(r.name, c.oid, cmd)
         THEN ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      AND has_column_privilege(r.name, c.oid, a.attnum, cmd) ORDER BY a.attname COLLATE "C") END AS columns
     FROM unnest($1::text[]) r(name)
     CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) cmd
     WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
    [roles, schemas, names],
  );
  const oracle = new Map(rows.map((row) => [`${row.role}|${row.schema}|${row.table}|${row.command}`, row]));
  const mismatches: string[] = [];
  for (const c of cells) {
    const o = oracle.get(`${c.role}|${c.schema}|${c.table}|${c.command}`);
    if (!o) throw new Error(`no oracle row for ${c.role} ${c.schema}.${c.table} ${c.command}`);
    if ((c.access !== 'denied') !== o.allowed) mismatches.push(`${c.role} ${c.command} ${c.schema}.${c.table}: audit ${c.access}, PostgreSQL ${o.allowed ? 'allowed' : 'denied'}`);
    else if (c.access !== 'denied' && JSON.stringify(c.columns) !== JSON.stringify(o.columns)) mismatches.push(`${c.role} ${c.command} ${c.schema}.${c.table}: columns ${c.columns} vs ${o.columns}`);
  }
  const client = await pool.connect();
  try {
    for (const role of roles.filter((r) => r !== 'public')) {
      await client.query(`SET ROLE ${quoteIdent(role)}`);
      const active = await client.query(
        `SELECT n.nspname AS schema, c.relname AS table, row_security_active(c.oid) AS active FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        [schemas, names],
      );
      await client.query('RESET ROLE');
      for (const a of active.rows) {
        for (const c of cells.filter((x) => x.role === role && x.schema === a.schema && x.table === a.table && x.command !== 'TRUNCATE' && x.access !== 'denied')) {
          const applied = c.access === 'filtered' || c.access === 'none';
          if (applied !== a.active) mismatches.push(`${role} ${c.command} ${c.schema}.${c.table}: audit ${c.access}${c.bypass ? ` (${c.bypass})` : ''}, row_security_active ${a.active}`);
        }
      }
    }
  } finally {
    await client.query('RESET ROLE').catch(() => undefined);
    client.release();
  }
  return { mismatches, cells };
}

/** What a cell allows: a denied cell allows nothing, whatever columns it would have had with schema USAGE. */
const summary = (c: AccessCell) => ({ access: c.access, columns: c.access === 'denied' ? null : c.columns, using: c.using, withCheck: c.withCheck });

/**
 * For every role in `roles`, table in `tables` and command: a cell the
 * impact lists went from exactly its `before` to exactly its `after`, and
 * every other cell did not move, as audits before and after the plan ran say.
 */
export function impactMismatches(
  before: AuditResult,
  after: AuditResult,
  impact: readonly AccessChange[],
  roles: readonly string[],
  tables: readonly { readonly schema: string; readonly table: string }[],
): string[] {
  const predicted = new Map(impact.map((c) => [`${c.role}|${c.schema}|${c.table}|${c.command}`, c]));
  const wrong: string[] = [];
  for (const role of roles) {
    for (const { schema, table } of tables) {
      for (const command of AUDIT_COMMANDS) {
        const key = `${role}|${schema}|${table}|${command}`;
        const [b, a] = [cellOf(before, role, schema, table, command), cellOf(after, role, schema, table, command)];
        const p = predicted.get(key);
        const expected = JSON.stringify(p ? { before: summary(p.before), after: summary(p.after) } : { before: summary(b), after: summary(b) });
        const audited = JSON.stringify({ before: summary(b), after: summary(a) });
        if (expected !== audited) wrong.push(`${key}: predicted ${expected}, audited ${audited}`);
      }
    }
  }
  return wrong;
}
