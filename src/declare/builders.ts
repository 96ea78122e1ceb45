import { PgAccessError } from '../errors.js';
import type {
  AccessDeclaration,
  DatabaseDeclaration,
  DatabaseOptions,
  DefaultPrivilegesDeclaration,
  DefaultPrivilegesOptions,
  ExistingRoleDeclaration,
  ExistingRoleOptions,
  RoleDeclaration,
  RoleOptions,
  RoutineDeclaration,
  RoutineOptions,
  SequenceDeclaration,
  SequenceOptions,
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
  ColumnMap,
  SelectorDeclaration,
} from './declarations.js';
import {
  ACCESS_KEYS,
  checkOptionKeys,
  DATABASE_KEYS,
  DEFAULT_PRIVILEGES_KEYS,
  EXISTING_ROLE_KEYS,
  GRANT_KEYS,
  MEMBERSHIP_KEYS,
  PASSWORD_KEYS,
  POLICY_KEYS,
  ROLE_KEYS,
  ROUTINE_KEYS,
  SCHEMA_KEYS,
  SEQUENCE_KEYS,
  TABLE_KEYS,
} from './option-keys.js';
import { sourceOfTable } from './table-source.js';

/** Declares the access pg-access manages. Validation that needs the database happens at plan time. */
export function defineAccess(input: AccessInput): AccessDeclaration {
  if (!input || typeof input !== 'object') throw new PgAccessError('INVALID_DECLARATION', 'defineAccess() expects an object: { roles, tables, schemas? }.');
  // A declaration spread into a new one (`defineAccess({ ...base, tables })`) brings its kind along.
  const { kind, ...keys } = input as AccessInput & { kind?: unknown };
  checkOptionKeys('defineAccess()', kind === 'access' ? keys : input, ACCESS_KEYS);
  if (!Array.isArray(input.roles)) throw new PgAccessError('INVALID_DECLARATION', 'defineAccess({ roles }) must be an array of role names, role(...) or existingRole(...), e.g. roles: [\'app_user\'].');
  if (!Array.isArray(input.tables)) throw new PgAccessError('INVALID_DECLARATION', 'defineAccess({ tables }) must be an array of table(...) declarations.');
  for (const key of ['schemas', 'sequences', 'routines', 'defaultPrivileges'] as const) {
    if (input[key] !== undefined && !Array.isArray(input[key])) throw new PgAccessError('INVALID_DECLARATION', `defineAccess({ ${key} }) must be an array.`);
  }
  const roles = input.roles.map((r) => {
    if (typeof r === 'string') {
      if (r === '') throw new PgAccessError('INVALID_DECLARATION', 'defineAccess({ roles }) contains an empty role name.');
      return existingRole(r);
    }
    if (r && typeof r === 'object' && (r.kind === 'role' || r.kind === 'existing-role')) return r;
    throw new PgAccessError('INVALID_DECLARATION', `defineAccess({ roles }) contains ${JSON.stringify(r)}; write a role name, role(name, options) or existingRole(name).`);
  });
  if (input.database !== undefined && (input.database as { kind?: unknown })?.kind !== 'database') {
    throw new PgAccessError('INVALID_DECLARATION', 'defineAccess({ database }) must be database({ grants, revokeFromPublic }).');
  }
  // Selectors (tables(allIn(...)), ...) are kept apart: the plan expands them against the catalogs.
  const selectors: SelectorDeclaration[] = [];
  const withoutSelectors = <T>(list: readonly (T | SelectorDeclaration)[]): T[] =>
    list.filter((entry): entry is T => {
      if (!isSelectorDeclaration(entry)) return true;
      selectors.push(entry);
      return false;
    });
  // A template applied to several tables gives a list: taken as its entries.
  const tables = withoutSelectors(input.tables.flatMap((t) => (Array.isArray(t) ? t : [t])));
  const sequences = withoutSelectors(input.sequences ?? []);
  const routines = withoutSelectors(input.routines ?? []);
  return Object.freeze({
    kind: 'access',
    impliedGrants: input.impliedGrants ?? true,
    roles,
    schemas: (input.schemas ?? []).map((s) => (typeof s === 'string' ? schema(s) : s)),
    tables: tables.map((t) => (isTableDeclaration(t) ? t : table(t as TableInput))),
    sequences: sequences.map((s) => (typeof s === 'string' ? sequence(s) : s)),
    routines,
    ...(selectors.length ? { selectors } : {}),
    database: input.database,
    defaultPrivileges: [...(input.defaultPrivileges ?? [])],
  });
}

/** A role pg-access creates when missing and keeps as declared (attributes and memberships). */
export function role(name: string, options: RoleOptions = {}): RoleDeclaration {
  if (typeof name !== 'string' || name === '') throw new PgAccessError('INVALID_DECLARATION', `role() needs a non-empty name, got ${JSON.stringify(name)}.`);
  checkOptionKeys(`role(${JSON.stringify(name)})`, options, ROLE_KEYS);
  // A password that is not an object gets its own message (never a password in code) when the role is collected.
  if (typeof options?.password === 'object' && options.password !== null) checkOptionKeys(`role(${JSON.stringify(name)}, { password })`, options.password, PASSWORD_KEYS);
  checkMemberships(`role(${JSON.stringify(name)})`, options);
  return Object.freeze({ kind: 'role', name, options });
}

/** A role that already exists (e.g. a provider's anon/authenticated): named in grants and policies, never created, altered or dropped. */
export function existingRole(name: string, options: ExistingRoleOptions = {}): ExistingRoleDeclaration {
  if (typeof name !== 'string' || name === '') throw new PgAccessError('INVALID_DECLARATION', `existingRole() needs a non-empty name, got ${JSON.stringify(name)}.`);
  checkOptionKeys(`existingRole(${JSON.stringify(name)})`, options, EXISTING_ROLE_KEYS);
  checkMemberships(`existingRole(${JSON.stringify(name)})`, options);
  return Object.freeze({ kind: 'existing-role', name, options });
}

/** `sequence('app.invoice_number', { grants })`: a sequence whose whole ACL is managed for the declared roles. */
export function sequence(name: string, options: SequenceOptions = {}): SequenceDeclaration {
  if (typeof name !== 'string' || name === '') throw new PgAccessError('INVALID_DECLARATION', `sequence() needs a non-empty name, got ${JSON.stringify(name)}.`);
  checkOptionKeys(`sequence(${JSON.stringify(name)})`, options, SEQUENCE_KEYS);
  return Object.freeze({ kind: 'sequence', sequence: name, options });
}

/** `routine('app.current_tenant()', { grants: [grant('EXECUTE', { to })], revokeFromPublic: true })`: a function or procedure by signature. */
export function routine(signature: string, options: RoutineOptions = {}): RoutineDeclaration {
  if (typeof signature !== 'string' || signature === '') throw new PgAccessError('INVALID_DECLARATION', `routine() needs a signature such as 'app.current_tenant()', got ${JSON.stringify(signature)}.`);
  checkOptionKeys(`routine(${JSON.stringify(signature)})`, options, ROUTINE_KEYS);
  return Object.freeze({ kind: 'routine', signature, options });
}

/** Privileges on the database pg-access is connected to. */
export function database(options: DatabaseOptions = {}): DatabaseDeclaration {
  checkOptionKeys('database()', options, DATABASE_KEYS);
  return Object.freeze({ kind: 'database', options });
}

/** ALTER DEFAULT PRIVILEGES [FOR ROLE] [IN SCHEMA] GRANT ... ON <on>: what objects created later receive. */
export function defaultPrivileges(options: DefaultPrivilegesOptions): DefaultPrivilegesDeclaration {
  if (!options || typeof options !== 'object' || options.on === undefined) {
    throw new PgAccessError('INVALID_DECLARATION', "defaultPrivileges() needs { on: 'tables' | 'sequences' | 'functions' | 'types' | 'schemas', grants }.");
  }
  checkOptionKeys('defaultPrivileges()', options, DEFAULT_PRIVILEGES_KEYS);
  return Object.freeze({ kind: 'default-privileges', options });
}

export function table<T extends TableInput>(ref: T, options?: TableOptions<T>): TableDeclaration<T>;
/**
 * `table<DB, 'documents'>('documents', { ... })`: a table named by its key in
 * a Kysely `Database` interface (`'app.documents'` for another schema), its
 * expression callbacks typed from it, so that a misspelt column is a compile
 * error. At run time it is the plain name.
 */
export function table<DB, N extends keyof DB & string>(ref: N, options?: TableOptions<ColumnMap<DB[N]>>): TableDeclaration<ColumnMap<DB[N]>>;
export function table(ref: TableInput, options: TableOptions = {}): TableDeclaration {
  checkOptionKeys(`table(${typeof ref === 'string' ? JSON.stringify(ref) : tableObjectName(ref)})`, options, TABLE_KEYS);
  return Object.freeze({ kind: 'table', table: ref, options });
}

export function policy<T = any>(name: string, options: PolicyOptions<T> = {}): PolicyDeclaration<T> {
  if (typeof name !== 'string' || name === '') throw new PgAccessError('INVALID_DECLARATION', `policy() needs a non-empty name, got ${JSON.stringify(name)}.`);
  checkOptionKeys(`policy(${JSON.stringify(name)})`, options, POLICY_KEYS);
  return Object.freeze({ kind: 'policy', name, options });
}

/** `grant('SELECT', { to })`, `grant(['SELECT', 'UPDATE'], { to })` or `grant('ALL', { to })`. */
export function grant(privileges: string | readonly string[], options: GrantOptions): GrantDeclaration {
  const list = typeof privileges === 'string' ? [privileges] : [...privileges];
  if (list.length === 0) throw new PgAccessError('INVALID_DECLARATION', 'grant() needs at least one privilege, e.g. grant([\'SELECT\'], { to: \'app_user\' }).');
  checkOptionKeys(`grant(${JSON.stringify(list)})`, options, GRANT_KEYS);
  if (!options || options.to === undefined) throw new PgAccessError('INVALID_DECLARATION', `grant(${JSON.stringify(list)}) needs { to: role | role[] }.`);
  return Object.freeze({ kind: 'grant', privileges: list, options });
}

export function schema(name: string, options: SchemaOptions = {}): SchemaDeclaration {
  if (typeof name !== 'string' || name === '') throw new PgAccessError('INVALID_DECLARATION', `schema() needs a non-empty name, got ${JSON.stringify(name)}.`);
  checkOptionKeys(`schema(${JSON.stringify(name)})`, options, SCHEMA_KEYS);
  return Object.freeze({ kind: 'schema', name, options });
}

function isSelectorDeclaration(value: unknown): value is SelectorDeclaration {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return typeof value === 'object' && value !== null && (kind === 'tables' || kind === 'sequences' || kind === 'routines') && 'selector' in value;
}

function isTableDeclaration(value: unknown): value is TableDeclaration {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'table' && 'options' in value;
}

/** Each object of inRoles is { role, admin?, inherit?, set? }. */
function checkMemberships(where: string, options: ExistingRoleOptions | undefined): void {
  const list = (options as { inRoles?: unknown } | undefined)?.inRoles;
  if (!Array.isArray(list)) return;
  for (const m of list) if (typeof m === 'object' && m !== null) checkOptionKeys(`${where}, inRoles entry ${JSON.stringify((m as { role?: unknown }).role)}`, m, MEMBERSHIP_KEYS);
}

/** A model's table name for a message, as its front end reads it without loading the ORM. */
function tableObjectName(ref: object): string {
  const source = sourceOfTable(ref);
  return typeof source !== 'string' && source.label ? source.label(ref) : 'a table object';
}
