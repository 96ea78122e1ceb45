import type { AclEntry, CatalogSnapshot, CatalogTable } from '../introspect/catalog-snapshot.js';
import type { Policy } from '../model/policy.js';

/*
 * Who can do what, as PostgreSQL decides it, computed from a catalog
 * snapshot: pure, so that the same evaluator audits a live database and,
 * later, the state a plan would leave. Each rule mirrors the server's:
 *
 * - privileges (pg_class_aclmask): a superuser has all; a role with the
 *   privileges of the owner has all; otherwise the table's ACL entries of
 *   PUBLIC and of every role whose privileges it has (has_privs_of_role:
 *   memberships that inherit; before PostgreSQL 16 a member inherits when
 *   its rolinherit is on, from 16 when the membership's INHERIT option is),
 *   plus pg_read_all_data (SELECT) and pg_write_all_data (INSERT, UPDATE,
 *   DELETE). Column privileges give access to those columns only. Nothing
 *   in a schema is reachable without USAGE on the schema.
 * - row security (check_enable_rls): none for a superuser, a BYPASSRLS role,
 *   a role with the owner's privileges unless FORCE is on, a table without
 *   RLS enabled, a view (its underlying tables are checked as its owner) and
 *   TRUNCATE; otherwise the policies for the command whose roles include
 *   PUBLIC or a role whose privileges it has: permissive ones OR-ed,
 *   restrictive ones AND-ed, no permissive policy means no row.
 *   SELECT and DELETE filter by USING; INSERT checks WITH CHECK; UPDATE
 *   filters by USING and checks WITH CHECK (USING when a policy has none).
 */

export const AUDIT_COMMANDS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] as const;
export type AuditCommand = (typeof AUDIT_COMMANDS)[number];

/**
 * - `denied`: no privilege for the command, or no USAGE on the schema.
 * - `all`: every row (`bypass` says why row security does not apply).
 * - `filtered`: rows that the combined policies allow (`using`, `withCheck`).
 * - `none`: row security applies and no permissive policy does: no row.
 */
export type AccessLevel = 'denied' | 'all' | 'filtered' | 'none';

export type RlsBypass = 'superuser' | 'bypassrls' | 'owner' | 'rls-disabled' | 'not-a-table' | 'truncate';

export interface AccessCell {
  /** A role, or 'public' for what every role may do through PUBLIC. */
  readonly role: string;
  readonly schema: string;
  readonly table: string;
  readonly command: AuditCommand;
  readonly access: AccessLevel;
  /** Why `denied`. */
  readonly denied?: 'no-privilege' | 'no-schema-usage';
  /** Why `all`. */
  readonly bypass?: RlsBypass;
  /** Only these columns (column privileges, no table privilege); null: every column. */
  readonly columns: readonly string[] | null;
  /** The row filter PostgreSQL applies (`filtered`), as PostgreSQL prints each policy's part. */
  readonly using: string | null;
  /** The check new rows must pass (`filtered` INSERT and UPDATE). */
  readonly withCheck: string | null;
  /** The policies that apply, by name. */
  readonly policies: readonly string[];
}

export interface AuditedRole {
  readonly name: string;
  readonly login: boolean;
  readonly superuser: boolean;
  readonly bypassRls: boolean;
}

export interface EffectiveAccess {
  readonly roles: readonly AuditedRole[];
  readonly relations: readonly { readonly schema: string; readonly name: string; readonly kind: string; readonly owner: string; readonly rlsEnabled: boolean; readonly rlsForced: boolean }[];
  /**
   * role × relation × command, in the order of `roles` (PUBLIC first),
   * relations and AUDIT_COMMANDS, for every combination that is not simply
   * denied: a combination left out has no privilege (a cell denied for want
   * of schema USAGE is kept: the privilege is there, inert). Superusers are
   * left out too: they may do everything on every row (`roles` says who they
   * are). At 10,000 tables and 27 roles the whole matrix was 1.35 million
   * cells (379 MB of JSON); what is allowed is what an audit reads.
   */
  readonly cells: readonly AccessCell[];
}

/** Any combination: its listed cell, or the one `cells` leaves out (leftOutCell). */
export function cellOf(access: EffectiveAccess, role: string, schema: string, table: string, command: AuditCommand): AccessCell {
  return access.cells.find((c) => c.role === role && c.schema === schema && c.table === table && c.command === command) ?? leftOutCell(access, role, schema, table, command);
}

/** A combination `cells` leaves out: denied for want of any privilege, or everything for a superuser. */
export function leftOutCell(access: Pick<EffectiveAccess, 'roles'>, role: string, schema: string, table: string, command: AuditCommand): AccessCell {
  const base = { role, schema, table, command, columns: null, using: null, withCheck: null, policies: [] };
  return access.roles.some((r) => r.name === role && r.superuser) ? { ...base, access: 'all', bypass: 'superuser' } : { ...base, access: 'denied', denied: 'no-privilege' };
}

/** PostgreSQL prints sub-selects over several indented lines: one line, for messages (JSON keeps the text exactly). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

const READ_ALL = 'pg_read_all_data';
const WRITE_ALL = 'pg_write_all_data';

/**
 * The roles whose privileges each role has: itself and the groups it
 * inherits from (PostgreSQL 16 and later: per membership; before: by the
 * member's INHERIT), the database owner's pg_database_owner included.
 */
export function privilegesOfRoles(catalog: CatalogSnapshot): (role: string) => ReadonlySet<string> {
  const v16 = catalog.server.versionNum >= 160000;
  const roleInherits = (name: string) => catalog.roles.get(name)?.inherit ?? true;
  // Each role's groups whose privileges it has directly (one inheriting membership).
  const up = new Map<string, string[]>();
  const edge = (member: string, role: string) => up.set(member, [...(up.get(member) ?? []), role]);
  for (const m of catalog.memberships) if (v16 ? m.inherit === true : roleInherits(m.member)) edge(m.member, m.role);
  if (catalog.database) edge(catalog.database.owner, 'pg_database_owner');
  const privilegesOf = new Map<string, Set<string>>();
  return (role: string): Set<string> => {
    let found = privilegesOf.get(role);
    if (found) return found;
    found = new Set([role]);
    const queue = [role];
    while (queue.length) for (const g of up.get(queue.pop()!) ?? []) if (!found.has(g)) (found.add(g), queue.push(g));
    privilegesOf.set(role, found);
    return found;
  };
}

export function effectiveAccess(catalog: CatalogSnapshot): EffectiveAccess {
  const privsOf = privilegesOfRoles(catalog);

  const roles: AuditedRole[] = [...catalog.roles.values()]
    .map((r) => ({ name: r.name, login: r.login, superuser: r.superuser, bypassRls: r.bypassRls }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const subjects: (AuditedRole | 'public')[] = ['public', ...roles.filter((r) => !r.superuser)];

  const policiesByTable = new Map<string, Policy[]>();
  for (const p of catalog.policies) {
    const key = `${p.schema}\0${p.table}`;
    policiesByTable.set(key, [...(policiesByTable.get(key) ?? []), p]);
  }
  const tables = [...catalog.tables.values()].sort((a, b) => (a.schema + '\0' + a.name < b.schema + '\0' + b.name ? -1 : 1));

  const cells: AccessCell[] = [];
  for (const subject of subjects) {
    const name = subject === 'public' ? 'public' : subject.name;
    const privs = subject === 'public' ? new Set<string>() : privsOf(name);
    const holds = (acl: readonly AclEntry[], privilege: string) => acl.some((e) => e.privilege === privilege && (e.grantee === 'public' || privs.has(e.grantee)));
    const readsOrWritesAll = privs.has(READ_ALL) || privs.has(WRITE_ALL);
    for (const t of tables) {
      const superuser = subject !== 'public' && subject.superuser;
      const isOwner = subject !== 'public' && privs.has(t.owner);
      // Most roles hold nothing on most tables: no cell to compute (the matrix lists only what is not plainly denied).
      if (!superuser && !isOwner && !readsOrWritesAll && !grantsTo(t, privs)) continue;
      const schema = catalog.schemas.get(t.schema);
      const schemaUsage =
        superuser || (schema !== undefined && (privs.has(schema.owner) || holds(schema.acl, 'USAGE'))) || privs.has(READ_ALL) || privs.has(WRITE_ALL);
      const policies = policiesByTable.get(`${t.schema}\0${t.name}`) ?? [];
      for (const command of AUDIT_COMMANDS) {
        const found = cell(name, t, command, { superuser, isOwner, schemaUsage, holds, privs, subject, policies });
        if (found.denied !== 'no-privilege') cells.push(found);
      }
    }
  }
  return {
    roles,
    relations: tables.map((t) => ({ schema: t.schema, name: t.name, kind: t.kind, owner: t.owner, rlsEnabled: t.rlsEnabled, rlsForced: t.rlsForced })),
    cells,
  };
}

/** Whether any ACL entry of the table or its columns names PUBLIC or a role in `privs`. */
function grantsTo(t: CatalogTable, privs: ReadonlySet<string>): boolean {
  for (const e of t.acl) if (e.grantee === 'public' || privs.has(e.grantee)) return true;
  for (const e of t.columnAcl) if (e.grantee === 'public' || privs.has(e.grantee)) return true;
  return false;
}

interface Facts {
  readonly superuser: boolean;
  readonly isOwner: boolean;
  readonly schemaUsage: boolean;
  readonly holds: (acl: readonly AclEntry[], privilege: string) => boolean;
  readonly privs: ReadonlySet<string>;
  readonly subject: AuditedRole | 'public';
  readonly policies: readonly Policy[];
}

function cell(role: string, t: CatalogTable, command: AuditCommand, f: Facts): AccessCell {
  const base = { role, schema: t.schema, table: t.name, command, columns: null, using: null, withCheck: null, policies: [] as string[] };
  const special = (command === 'SELECT' && f.privs.has(READ_ALL)) || (command !== 'SELECT' && command !== 'TRUNCATE' && f.privs.has(WRITE_ALL));
  const tableLevel = f.superuser || f.isOwner || special || f.holds(t.acl, command);
  let columns: string[] | null = null;
  if (!tableLevel && t.columnAcl.length > 0 && command !== 'DELETE' && command !== 'TRUNCATE') {
    const found = [...new Set(t.columnAcl.filter((e) => e.privilege === command && (e.grantee === 'public' || f.privs.has(e.grantee))).map((e) => e.column))].sort();
    if (found.length) columns = found;
  }
  if (!tableLevel && columns === null) return { ...base, access: 'denied', denied: 'no-privilege' };
  if (!f.schemaUsage) return { ...base, columns, access: 'denied', denied: 'no-schema-usage' };
  const bypass = rlsBypass(t, command, f);
  if (bypass !== null) return { ...base, columns, access: 'all', bypass };

  const applies = (p: Policy) =>
    (p.command === 'ALL' || p.command === command) && p.roles.some((r) => r === 'public' || (f.subject !== 'public' && f.privs.has(r)));
  const applying = f.policies.filter(applies).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const permissive = applying.filter((p) => p.permissive);
  const restrictive = applying.filter((p) => !p.permissive);
  const policies = applying.map((p) => p.name);
  if (permissive.length === 0) return { ...base, columns, access: 'none', policies };
  const filters = command === 'SELECT' || command === 'DELETE' || command === 'UPDATE';
  const checks = command === 'INSERT' || command === 'UPDATE';
  const usingParts = permissive.map((p) => p.using);
  const checkParts = permissive.map((p) => p.withCheck ?? p.using);
  // A permissive policy without the clause admits nothing through it: with no clause at all, nothing passes.
  if ((filters && usingParts.every((u) => u === null)) || (checks && checkParts.every((c) => c === null))) return { ...base, columns, access: 'none', policies };
  const using = filters ? combine(usingParts, restrictive.map((p) => p.using)) : null;
  const withCheck = checks ? combine(checkParts, restrictive.map((p) => p.withCheck ?? p.using)) : null;
  return { ...base, columns, access: 'filtered', using, withCheck, policies };
}

function rlsBypass(t: CatalogTable, command: AuditCommand, f: Facts): RlsBypass | null {
  if (command === 'TRUNCATE') return 'truncate';
  if (t.kind !== 'r' && t.kind !== 'p') return 'not-a-table';
  if (!t.rlsEnabled) return 'rls-disabled';
  if (f.superuser) return 'superuser';
  if (f.subject !== 'public' && f.subject.bypassRls) return 'bypassrls';
  if (f.isOwner && !t.rlsForced) return 'owner';
  return null;
}

/**
 * Permissive parts OR-ed, restrictive parts AND-ed, as PostgreSQL combines
 * them. A permissive policy without the clause admits nothing through it
 * (`false`); a restrictive one without it restricts nothing.
 */
function combine(permissive: readonly (string | null)[], restrictive: readonly (string | null)[]): string {
  const wrap = (text: string) => (/^\(.*\)$/s.test(text) && balanced(text.slice(1, -1)) ? text : `(${text})`);
  const anyOf = permissive.map((p) => (p === null ? 'false' : p));
  const either = anyOf.length === 1 ? anyOf[0]! : anyOf.map(wrap).join(' OR ');
  const all = restrictive.filter((r): r is string => r !== null);
  return all.length === 0 ? either : [either, ...all].map(wrap).join(' AND ');
}

/** Whether the parentheses of `text` balance without closing below zero (so "(a) OR (b)" is not taken for one group). */
function balanced(text: string): boolean {
  let depth = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}
