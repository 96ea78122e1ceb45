import { identifierBytes, MAX_IDENTIFIER_BYTES, quoteIdent, truncatedIdentifier } from '../render/sql/quote.js';
import { SPECIAL_POLICY_ROLES, type CollectedTable } from './collected-access.js';

/** `"schema"."name"`, how every message names a table. */
export const display = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/**
 * Where a problem is, for its message: text, or a function that builds it.
 * Declarations of thousands of tables are checked on every plan and are
 * almost always fine, so their labels are built only for a message.
 */
export type Where = string | (() => string);

export const whereText = (where: Where): string => (typeof where === 'string' ? where : where());

export function checkRoles(roles: readonly string[], where: Where, managed: Set<string>, errors: string[], policy: boolean, grantsUnmanaged?: ReadonlySet<string>): void {
  for (const role of roles) {
    if (typeof role !== 'string' || role === '') {
      errors.push(`${whereText(where)}: role ${describeValue(role)} is not a role name.`);
      continue;
    }
    if (role === 'public') continue;
    if (policy && (SPECIAL_POLICY_ROLES as readonly string[]).includes(role)) continue;
    if (!policy && (role === 'current_user' || role === 'current_role' || role === 'session_user')) {
      errors.push(`${whereText(where)}: grants name roles explicitly; ${role} is only accepted in a policy's to.`);
      continue;
    }
    if (!policy && grantsUnmanaged?.has(role)) {
      errors.push(`${whereText(where)} names role ${JSON.stringify(role)}, declared with existingRole(${JSON.stringify(role)}, { grants: 'unmanaged' }): pg-access never changes its grants. Remove this grant, or the option.`);
      continue;
    }
    if (!managed.has(role)) {
      errors.push(`${whereText(where)} names role ${JSON.stringify(role)}, which is not in defineAccess({ roles }); add it there (pg-access only manages grants of listed roles).`);
    }
  }
}

export function checkDuplicatePolicies(t: CollectedTable, errors: string[]): void {
  const seen = new Set<string>();
  for (const p of t.policies) {
    if (seen.has(p.name)) errors.push(`Table ${display(t.schema, t.name)} declares policy ${quoteIdent(p.name)} more than once; policy names are unique per table.`);
    seen.add(p.name);
  }
}

export function checkIdentifier(name: string, what: Where, errors: string[]): void {
  if (typeof name !== 'string' || name === '') {
    errors.push(`${whereText(what)}: the name is empty.`);
  } else if (name.includes('\0')) {
    errors.push(`${whereText(what)}: the name contains a NUL byte.`);
  } else if (identifierBytes(name) > MAX_IDENTIFIER_BYTES) {
    errors.push(
      `${whereText(what)}: the name is ${identifierBytes(name)} bytes long; PostgreSQL truncates identifiers to ${MAX_IDENTIFIER_BYTES} bytes (it would store ${JSON.stringify(truncatedIdentifier(name))}), so it would never match. Shorten it.`,
    );
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') {
    const name = value.constructor?.name;
    // A plain object says nothing by its class: its keys do.
    if (!name || name === 'Object') return `an object with ${Object.keys(value).length ? `keys ${Object.keys(value).slice(0, 5).join(', ')}` : 'no keys'}`;
    return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  return String(value);
}
