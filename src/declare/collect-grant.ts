import type { DefaultObjectType } from '../model/grant.js';
import { COLUMN_PRIVILEGES, privilegesFor } from '../model/privileges.js';
import type { CollectedGrant } from './collected-access.js';
import { describeValue } from './declaration-checks.js';
import type { GrantDeclaration } from './declarations.js';

/** The kinds a grant() can be declared on. */
export type GrantedKind = 'table' | 'schema' | 'sequence' | 'function' | 'database' | DefaultObjectType;

// The newest server's lists: MAINTAIN is checked against the actual version at plan time.
const NEWEST = 999999;

/** Privilege names as constants: a declaration of thousands of grants then holds one copy of each. */
const CANONICAL_PRIVILEGES = new Map(
  ['ALL', ...(['table', 'sequence', 'schema', 'function', 'database', 'types'] as const).flatMap((kind) => privilegesFor(kind, NEWEST))].map((p) => [p, p]),
);
const NO_COLUMNS: readonly string[] = Object.freeze([]);

/**
 * A `grants` list as declared: each entry must be a grant(...). Anything
 * else (a privilege name, a Drizzle object, a list that is not a list) is
 * an error naming it and where it sits, never skipped: the access file is
 * loaded without type-checking.
 */
export function collectGrants(list: unknown, origin: string, kind: GrantedKind, errors: string[]): CollectedGrant[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    errors.push(`${origin}: grants must be a list of grant(...), got ${describeValue(list)}.`);
    return [];
  }
  const grants: CollectedGrant[] = [];
  for (const entry of list) {
    if (isGrantDeclaration(entry)) grants.push(collectGrant(entry, origin, kind, errors));
    else errors.push(`${origin}: ${describeValue(entry)} in grants is not a grant(...); write grant(${typeof entry === 'string' ? JSON.stringify(entry) : "'SELECT'"}, { to: role }).`);
  }
  return grants;
}

function isGrantDeclaration(value: unknown): value is GrantDeclaration {
  const v = value as Partial<GrantDeclaration> | null;
  return typeof v === 'object' && v !== null && v.kind === 'grant' && Array.isArray(v.privileges) && typeof v.options === 'object' && v.options !== null;
}

/**
 * Normalizes one grant() and checks that its privileges exist on that kind
 * of object, so `EXECUTE` on a table or `TRUNCATE` on a column is an error
 * naming the object and the allowed privileges before anything runs.
 */
export function collectGrant(declared: GrantDeclaration, origin: string, kind: GrantedKind, errors: string[]): CollectedGrant {
  // Lists already in canonical form (the usual case) are kept as they are: a declaration of thousands of grants is collected on every plan.
  const normalized = declared.privileges.every((p) => CANONICAL_PRIVILEGES.get(p) === p)
    ? declared.privileges
    : declared.privileges.map((raw) => {
        const p = typeof raw === 'string' ? raw.trim().toUpperCase().replace(/\s+/g, ' ') : String(raw);
        return p === 'ALL PRIVILEGES' ? 'ALL' : p === 'TEMP' ? 'TEMPORARY' : (CANONICAL_PRIVILEGES.get(p) ?? p);
      });
  const to = declared.options.to;
  const listed: readonly string[] = Array.isArray(to) ? to : [to];
  const isPublicVariant = (r: unknown) => typeof r === 'string' && r !== 'public' && r.toLowerCase() === 'public';
  const grantees = listed.some(isPublicVariant) ? listed.map((r) => (isPublicVariant(r) ? 'public' : r)) : listed;
  if (grantees.length === 0) errors.push(`${origin}: to: [] names no role.`);
  // PostgreSQL refuses WITH GRANT OPTION for PUBLIC ("grant options can only
  // be granted to roles"): caught here, before a plan that could not run.
  if (declared.options.withGrantOption === true && grantees.includes('public')) {
    errors.push(`${origin}: withGrantOption cannot be given to PUBLIC (PostgreSQL grants options only to roles); grant to 'public' without it, or name the roles that may pass the privilege on.`);
  }
  if (declared.options.withGrantOption !== undefined && typeof declared.options.withGrantOption !== 'boolean') {
    errors.push(`${origin}: withGrantOption must be true or false, got ${describeValue(declared.options.withGrantOption)}.`);
  }
  const columns = collectColumns(declared, origin, kind, errors);
  const allowed = columns.length ? (COLUMN_PRIVILEGES as readonly string[]) : privilegesFor(kind, NEWEST);
  const what = columns.length ? 'column' : kind.replace(/s$/, '');
  for (const p of normalized) {
    if (p === 'ALL' || allowed.includes(p)) continue;
    const hint = columns.length && privilegesFor('table', NEWEST).includes(p) ? ` (${p} exists only for whole tables: drop columns, or grant it in a separate table-level grant)` : '';
    errors.push(`${origin}: ${JSON.stringify(p)} is not a ${what} privilege${hint}; allowed: ${allowed.join(', ')}, ALL.`);
  }
  return { privileges: normalized, grantees, withGrantOption: declared.options.withGrantOption === true, columns, origin };
}

function collectColumns(declared: GrantDeclaration, origin: string, kind: GrantedKind, errors: string[]): readonly string[] {
  const raw = declared.options.columns;
  if (raw === undefined) return NO_COLUMNS;
  if (kind !== 'table') {
    errors.push(`${origin}: columns only apply to table grants.`);
    return NO_COLUMNS;
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    errors.push(`${origin}: columns must be a non-empty list of column names or Drizzle columns.`);
    return NO_COLUMNS;
  }
  const names: string[] = [];
  for (const c of raw) {
    const name = typeof c === 'string' ? c : c && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string' ? (c as { name: string }).name : undefined;
    if (!name) errors.push(`${origin}: column ${describeValue(c)} is neither a column name nor a Drizzle column.`);
    else names.push(name);
  }
  return [...new Set(names)];
}
