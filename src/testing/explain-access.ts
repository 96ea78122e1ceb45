/**
 * Why a role sees what it sees, for a failure message: the table's RLS
 * flags, the role's privileges on it, and the policies that apply to it for
 * the command, read from the catalogs inside the test's transaction.
 */
import { quoteQualified } from '../render/sql/quote.js';
import { attempt, type RoleSession } from './with-role.js';

const EXPLAIN_SQL = `
SELECT c.relrowsecurity AS rls, c.relforcerowsecurity AS forced, pg_get_userbyid(c.relowner) AS owner,
       r.rolbypassrls AS bypass, r.rolsuper AS superuser,
       has_table_privilege(current_user, c.oid, $2) AS privileged,
       coalesce((SELECT json_agg(json_build_object('name', p.policyname, 'permissive', p.permissive, 'command', p.cmd, 'roles', p.roles, 'using', p.qual, 'check', p.with_check) ORDER BY p.permissive DESC, p.policyname)
                 FROM pg_policies p
                 WHERE p.schemaname = n.nspname AND p.tablename = c.relname AND p.cmd IN ('ALL', $2)
                   AND ('public' = ANY (p.roles) OR EXISTS (SELECT 1 FROM unnest(p.roles) pr WHERE pg_has_role(current_user, pr, 'MEMBER')))), '[]') AS policies
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.rolname = current_user
WHERE c.oid = $1::regclass`;

interface Explained {
  rls: boolean;
  forced: boolean;
  owner: string;
  bypass: boolean;
  superuser: boolean;
  privileged: boolean;
  policies: { name: string; permissive: string; command: string; roles: string[]; using: string | null; check: string | null }[] | string;
}

/** "as role "app_user" with app.user_id = '1'" */
export function describeSession(tx: RoleSession): string {
  const settings = Object.entries(tx.settings).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  return `as role "${tx.role}"${settings.length ? ` with ${settings.join(', ')}` : ' with no settings'}`;
}

/** The lines of a failure message that say why: RLS, the privilege, the policies that apply (or that none does). */
export async function explainAccess(tx: RoleSession, schema: string, table: string, command: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE'): Promise<string> {
  const read = await attempt(tx, EXPLAIN_SQL, [quoteQualified(schema, table), command]);
  if (!read.ok || read.result.rows.length === 0) return `  (the catalogs could not be read: ${read.ok ? 'no such table' : read.error.message})`;
  const e = read.result.rows[0] as unknown as Explained;
  const policies = typeof e.policies === 'string' ? (JSON.parse(e.policies) as Exclude<Explained['policies'], string>) : e.policies;
  const lines = [
    `  table ${quoteQualified(schema, table)}: row-level security ${e.rls ? (e.forced ? 'enabled and forced' : 'enabled') : 'disabled'}; owner "${e.owner}"`,
    `  "${tx.role}" ${e.privileged ? 'holds' : 'lacks'} ${command}${e.superuser ? ' (a superuser: policies do not apply)' : e.bypass ? ' (BYPASSRLS: policies do not apply)' : ''}`,
  ];
  if (!e.rls) lines.push('  no policy applies: row-level security is disabled');
  else if (policies.length === 0) lines.push(`  no policy for ${command} applies to "${tx.role}": every row is refused`);
  else {
    lines.push(`  policies for ${command} that apply to "${tx.role}":`);
    for (const p of policies) {
      const clauses = [p.using !== null ? `USING (${p.using})` : '', p.check !== null ? `WITH CHECK (${p.check})` : ''].filter(Boolean).join(' ');
      lines.push(`    ${p.name}: ${p.permissive} FOR ${p.command} TO ${p.roles.join(', ')} ${clauses}`.trimEnd());
    }
  }
  return lines.join('\n');
}
