import { distance } from 'fastest-levenshtein';
import { PgAccessError } from '../errors.js';
import type {
  AccessInput,
  DatabaseOptions,
  DefaultPrivilegesOptions,
  ExistingRoleOptions,
  GrantOptions,
  MembershipInput,
  PolicyOptions,
  RoleOptions,
  RoutineOptions,
  SchemaOptions,
  SequenceOptions,
  TableOptions,
} from './declarations.js';

/*
 * The keys every builder accepts. A key outside its list is an error, never
 * ignored: `table(t, { polices: [...] })` would otherwise declare a table
 * without policies, and apply would drop every policy it has. The CLI loads
 * access files without type-checking them, so the types alone do not catch it.
 */

/** The list, checked at compile time to name every key of T and nothing else. */
function keysOf<T>() {
  return <const L extends readonly (keyof T & string)[]>(list: [Exclude<keyof T, L[number]>] extends [never] ? L : never): L => list;
}

export const ACCESS_KEYS = keysOf<AccessInput>()(['roles', 'tables', 'schemas', 'sequences', 'routines', 'database', 'defaultPrivileges', 'impliedGrants']);
export const TABLE_KEYS = keysOf<TableOptions>()(['rls', 'policies', 'grants']);
export const POLICY_KEYS = keysOf<PolicyOptions>()(['as', 'for', 'to', 'using', 'withCheck']);
export const GRANT_KEYS = keysOf<GrantOptions>()(['to', 'withGrantOption', 'columns']);
export const SCHEMA_KEYS = keysOf<SchemaOptions>()(['grants', 'revokeFromPublic']);
export const EXISTING_ROLE_KEYS = keysOf<ExistingRoleOptions>()(['inRoles', 'grants']);
export const ROLE_KEYS = keysOf<RoleOptions>()(['inRoles', 'login', 'inherit', 'bypassRls', 'createDb', 'createRole', 'connectionLimit', 'validUntil', 'password']);
export const MEMBERSHIP_KEYS = keysOf<MembershipInput>()(['role', 'admin', 'inherit', 'set']);
export const PASSWORD_KEYS = keysOf<NonNullable<RoleOptions['password']>>()(['env']);
export const SEQUENCE_KEYS = keysOf<SequenceOptions>()(['grants']);
export const ROUTINE_KEYS = keysOf<RoutineOptions>()(['grants', 'revokeFromPublic']);
export const DATABASE_KEYS = keysOf<DatabaseOptions>()(['grants', 'revokeFromPublic']);
export const DEFAULT_PRIVILEGES_KEYS = keysOf<DefaultPrivilegesOptions>()(['forRole', 'inSchema', 'on', 'grants', 'revokeFromPublic']);

/**
 * Throws INVALID_DECLARATION when `options` is not a plain options object or
 * has a key outside `allowed`; `where` names the call, as the user wrote it
 * (`schema("kit", { ... })`). Undefined is no options.
 */
export function checkOptionKeys(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new PgAccessError('INVALID_DECLARATION', `${where}: the options must be an object { ${allowed.join(', ')} }, got ${shown(options)}.`);
  }
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length === 0) return;
  const described = unknown.map((k) => {
    const near = closest(k, allowed);
    return `${JSON.stringify(k)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`;
  });
  throw new PgAccessError(
    'INVALID_DECLARATION',
    `${where}: unknown option${unknown.length > 1 ? 's' : ''} ${described.join(', ')}; allowed: ${allowed.join(', ')}.`,
  );
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** The allowed key a typo most likely meant: at most two edits away (case ignored), else none. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}
