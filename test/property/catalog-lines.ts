/**
 * What the catalogs hold (the access snapshot of the database, and the
 * fixture roles' attributes and memberships, which are cluster-wide) as
 * sorted one-line facts, with the per-file role names written as the
 * symbolic r.a / r.b / r.c / r.x / r.m, so two states are compared as
 * "missing" and "unexpected" lines a person can read.
 */
import type { AccessSnapshot, RoleFacts } from '../support/catalog.js';
import { FIXTURE_TABLES, SENTINEL_DEFAULT_ACLS, SENTINEL_RELATIONS, SENTINEL_ROUTINES, type RoleNames } from './fixture.js';

export interface CatalogState {
  readonly access: AccessSnapshot;
  /** rolesSnapshot of the fixture roles (a role that does not exist is absent). */
  readonly roles: readonly RoleFacts[];
}

export function catalogLines(state: CatalogState, roles: RoleNames): string[] {
  const s = state.access;
  const names = new Map(Object.entries(roles).map(([k, v]) => [v, `r.${k}`]));
  const role = (name: string) => names.get(name) ?? name;
  const acl = (entries: readonly string[]) =>
    entries.map((e) => {
      const at = e.lastIndexOf(':');
      return `${role(e.slice(0, at))}:${e.slice(at + 1)}`;
    });
  // A column entry is `<column> <grantee>:<privilege>`; column and role names may contain spaces.
  const columnAcl = (entries: readonly string[]) =>
    entries.map((e) => {
      const column = COLUMN_NAMES.find((c) => e.startsWith(`${c} `)) ?? e.slice(0, e.indexOf(' '));
      return `column ${JSON.stringify(column)} grants ${acl([e.slice(column.length + 1)])[0]}`;
    });
  const defaultKey = (key: string) => {
    const [owner, ...rest] = key.split('|');
    return [role(owner!), ...rest].join('|');
  };
  return [
    ...s.schemas.flatMap((x) => acl(x.acl).map((e) => `schema ${x.name} grants ${e}`)),
    ...s.schemas.map((x) => `schema ${x.name}`),
    ...s.relations.map((r) => `relation ${r.schema}.${r.name} (${r.kind})${r.kind === 'S' ? '' : ` rls=${r.rls} force=${r.force}`}`),
    ...s.relations.flatMap((r) => acl(r.acl).map((e) => `relation ${r.schema}.${r.name} grants ${e}`)),
    ...s.relations.flatMap((r) => columnAcl(r.columnAcl).map((e) => `relation ${r.schema}.${r.name} ${e}`)),
    ...s.policies.map(
      (p) =>
        `policy ${JSON.stringify(p.name)} on ${p.schema}.${p.table}: ${p.permissive} FOR ${p.cmd} TO ${p.roles.map(role).join(', ')}` +
        `${p.qual !== null ? ` USING ${JSON.stringify(p.qual)}` : ''}${p.with_check !== null ? ` WITH CHECK ${JSON.stringify(p.with_check)}` : ''}`,
    ),
    ...s.routines.map((r) => `routine ${r.signature}`),
    ...s.routines.flatMap((r) => acl(r.acl).map((e) => `routine ${r.signature} grants ${e}`)),
    ...acl(s.database).map((e) => `database grants ${e}`),
    ...s.defaultAcls.map((d) => `default privileges ${defaultKey(d.key)}`),
    ...s.defaultAcls.flatMap((d) => acl(d.acl).map((e) => `default privileges ${defaultKey(d.key)} grants ${e}`)),
    ...state.roles.map(
      (r) =>
        `role ${role(r.name)} login=${r.login} inherit=${r.inherit} bypassRls=${r.bypassRls} createDb=${r.createDb} createRole=${r.createRole} ` +
        `connectionLimit=${r.connectionLimit} validUntil=${r.validUntil} comment=${JSON.stringify(r.comment)}`,
    ),
    ...state.roles.flatMap((r) => r.memberOf.map((m) => `role ${role(r.name)} member of ${memberOf(m, role)}`)),
  ].sort();
}

/** The fixture's column names, longest first (a column ACL entry is split after the column name). */
const COLUMN_NAMES = [...new Set(FIXTURE_TABLES.flatMap((t) => t.columns))].sort((x, y) => y.length - x.length);

/** `group admin=.. [inherit=.. set=..]`, the group's name read from the end (role names may contain spaces). */
function memberOf(line: string, role: (name: string) => string): string {
  const at = line.search(/ admin=(true|false)( inherit=(true|false) set=(true|false))?$/);
  return `${role(line.slice(0, at))}${line.slice(at)}`;
}

/** Lines of `actual` not in `expected` (+) and of `expected` not in `actual` (-); empty when equal, duplicates counted. */
export function catalogDifferences(actual: CatalogState, expected: CatalogState, roles: RoleNames): string[] {
  const count = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const a = count(catalogLines(actual, roles));
  const e = count(catalogLines(expected, roles));
  const out: string[] = [];
  for (const [line, n] of a) for (let i = e.get(line) ?? 0; i < n; i++) out.push(`+ ${line}`);
  for (const [line, n] of e) for (let i = a.get(line) ?? 0; i < n; i++) out.push(`- ${line}`);
  return out.sort((x, y) => (x.slice(2) < y.slice(2) ? -1 : x.slice(2) > y.slice(2) ? 1 : 0));
}

/**
 * The part of the catalogs no declaration may change: the undeclarable
 * relations (with their policies and column grants), routine and
 * default-privileges entry, every privilege r.x holds, r.x itself, and the
 * database's ACL.
 */
export function sentinelLines(state: CatalogState, roles: RoleNames): string[] {
  const about = (line: string) =>
    SENTINEL_RELATIONS.some((r) => line.startsWith(`relation ${r} `) || line.includes(` on ${r}: `)) ||
    SENTINEL_ROUTINES.some((r) => line.startsWith(`routine ${r}`)) ||
    SENTINEL_DEFAULT_ACLS.some((k) => line.startsWith(`default privileges ${k}`)) ||
    line.startsWith('role r.x ') ||
    line.startsWith('database ');
  return catalogLines(state, roles).filter((l) => about(l) || l.includes(' grants r.x:'));
}
