import { PgAccessError } from '../errors.js';
import type {
  AccessDeclaration,
  AccessInput,
  GrantDeclaration,
  GrantOptions,
  PolicyDeclaration,
  PolicyOptions,
  SchemaDeclaration,
  SchemaOptions,
  TableDeclaration,
  TableInput,
  TableOptions,
} from './declarations.js';

/** Declares the access pg-access manages. Validation that needs the database happens at plan time. */
export function defineAccess(input: AccessInput): AccessDeclaration {
  if (!input || typeof input !== 'object') throw new PgAccessError('INVALID_DECLARATION', 'defineAccess() expects an object: { roles, tables, schemas? }.');
  if (!Array.isArray(input.roles)) throw new PgAccessError('INVALID_DECLARATION', 'defineAccess({ roles }) must be an array of role names, e.g. roles: [\'app_user\'].');
  if (!Array.isArray(input.tables)) throw new PgAccessError('INVALID_DECLARATION', 'defineAccess({ tables }) must be an array of table(...) declarations.');
  for (const role of input.roles) {
    if (typeof role !== 'string' || role === '') throw new PgAccessError('INVALID_DECLARATION', `defineAccess({ roles }) contains ${JSON.stringify(role)}; every role must be a non-empty string.`);
  }
  return Object.freeze({
    kind: 'access',
    roles: [...input.roles],
    schemas: (input.schemas ?? []).map((s) => (typeof s === 'string' ? schema(s) : s)),
    tables: input.tables.map((t) => (isTableDeclaration(t) ? t : table(t))),
  });
}

export function table<T extends TableInput>(ref: T, options: TableOptions<T> = {}): TableDeclaration<T> {
  return Object.freeze({ kind: 'table', table: ref, options });
}

export function policy<T = any>(name: string, options: PolicyOptions<T> = {}): PolicyDeclaration<T> {
  if (typeof name !== 'string' || name === '') throw new PgAccessError('INVALID_DECLARATION', `policy() needs a non-empty name, got ${JSON.stringify(name)}.`);
  return Object.freeze({ kind: 'policy', name, options });
}

/** `grant('SELECT', { to })`, `grant(['SELECT', 'UPDATE'], { to })` or `grant('ALL', { to })`. */
export function grant(privileges: string | readonly string[], options: GrantOptions): GrantDeclaration {
  const list = typeof privileges === 'string' ? [privileges] : [...privileges];
  if (list.length === 0) throw new PgAccessError('INVALID_DECLARATION', 'grant() needs at least one privilege, e.g. grant([\'SELECT\'], { to: \'app_user\' }).');
  if (!options || options.to === undefined) throw new PgAccessError('INVALID_DECLARATION', `grant(${JSON.stringify(list)}) needs { to: role | role[] }.`);
  return Object.freeze({ kind: 'grant', privileges: list, options });
}

export function schema(name: string, options: SchemaOptions = {}): SchemaDeclaration {
  if (typeof name !== 'string' || name === '') throw new PgAccessError('INVALID_DECLARATION', `schema() needs a non-empty name, got ${JSON.stringify(name)}.`);
  return Object.freeze({ kind: 'schema', name, options });
}

function isTableDeclaration(value: unknown): value is TableDeclaration {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'table' && 'options' in value;
}
