import { PgAccessError } from '../errors.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { POLICY_COMMANDS, type PolicyCommand } from '../model/policy.js';
import { qualifiedKey } from '../model/qualified-name.js';
import { identifierBytes, MAX_IDENTIFIER_BYTES, quoteIdent } from '../render/sql/quote.js';
import type { AccessDeclaration, ExpressionInput, GrantDeclaration, PolicyDeclaration, TableDeclaration } from './declarations.js';
import { expressionProblem } from './expression-guard.js';
import { parseTableName } from './table-name.js';

/** Role words PostgreSQL accepts in a policy's TO list besides role names. */
export const SPECIAL_POLICY_ROLES = ['public', 'current_user', 'current_role', 'session_user'] as const;

export interface CollectedPolicy {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly command: PolicyCommand;
  readonly permissive: boolean;
  /** As declared, lowercased special words; resolved against the session later. */
  readonly roles: readonly string[];
  readonly using: string | null;
  readonly withCheck: string | null;
}

export interface CollectedGrant {
  /** Privileges uppercased; 'ALL' is expanded once the server version is known. */
  readonly privileges: readonly string[];
  readonly grantees: readonly string[];
  readonly withGrantOption: boolean;
  /** For error messages: `grant on public.documents`. */
  readonly origin: string;
}

export interface CollectedTable {
  readonly schema: string;
  readonly name: string;
  readonly rls: boolean | 'force' | undefined;
  readonly policies: readonly CollectedPolicy[];
  readonly grants: readonly CollectedGrant[];
}

export interface CollectedSchema {
  readonly name: string;
  readonly grants: readonly CollectedGrant[];
}

/** The declaration flattened to plain data with expressions rendered to SQL text; nothing checked against a database yet. */
export interface CollectedAccess {
  readonly roles: readonly string[];
  readonly tables: readonly CollectedTable[];
  readonly schemas: readonly CollectedSchema[];
  readonly diagnostics: readonly Diagnostic[];
}

const display = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/**
 * Flattens and validates a declaration. All problems are gathered and thrown
 * together as one PgAccessError (code INVALID_DECLARATION), so a user fixes
 * them in one pass; nothing has touched a database at that point.
 */
export async function collectDeclaration(declaration: AccessDeclaration): Promise<CollectedAccess> {
  const errors: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const roles = new Set(declaration.roles);
  for (const role of declaration.roles) checkIdentifier(role, `role ${JSON.stringify(role)} in defineAccess({ roles })`, errors);
  if (declaration.roles.some((r) => r === 'public' || r === 'PUBLIC')) {
    errors.push('defineAccess({ roles }) lists "public": PUBLIC is not a role to manage; write to: \'public\' in a policy or grant instead.');
  }
  const drizzle = await loadDrizzleIfUsed(declaration);

  const tables: CollectedTable[] = [];
  const seenTables = new Map<string, number>();
  for (const declared of declaration.tables) {
    const t = await collectTable(declared, drizzle, roles, errors, diagnostics);
    if (!t) continue;
    const key = qualifiedKey(t);
    const earlier = seenTables.get(key);
    if (earlier !== undefined) {
      // Two entries for one table: merge them, as if declared once.
      const a = tables[earlier]!;
      if (a.rls !== undefined && t.rls !== undefined && a.rls !== t.rls) {
        errors.push(`Table ${display(t.schema, t.name)} is declared twice with different rls settings (${String(a.rls)} and ${String(t.rls)}).`);
      }
      tables[earlier] = { ...a, rls: a.rls ?? t.rls, policies: [...a.policies, ...t.policies], grants: [...a.grants, ...t.grants] };
    } else {
      seenTables.set(key, tables.length);
      tables.push(t);
    }
  }
  for (const t of tables) checkDuplicatePolicies(t, errors);

  const schemas: CollectedSchema[] = declaration.schemas.map((s) => {
    checkIdentifier(s.name, `schema ${JSON.stringify(s.name)}`, errors);
    return { name: s.name, grants: (s.options.grants ?? []).map((g) => collectGrant(g, `schema ${quoteIdent(s.name)}`, roles, errors)) };
  });

  // Roles every policy and grant may name: the declared ones (plus those Drizzle policies name).
  for (const t of tables) {
    for (const p of t.policies) checkRoles(p.roles, `policy ${quoteIdent(p.name)} on ${display(t.schema, t.name)}`, roles, errors, true);
    for (const g of t.grants) checkRoles(g.grantees, g.origin, roles, errors, false);
  }
  for (const s of schemas) for (const g of s.grants) checkRoles(g.grantees, g.origin, roles, errors, false);

  if (errors.length) {
    throw new PgAccessError('INVALID_DECLARATION', `The access declaration has ${errors.length} problem${errors.length > 1 ? 's' : ''}; nothing was changed.`, errors);
  }
  return { roles: [...roles], tables, schemas, diagnostics };
}

type DrizzleModule = typeof import('../integrations/drizzle/drizzle-table.js');

let drizzleModule: Promise<DrizzleModule> | undefined;
/** drizzle-orm is optional, and importing it costs ~100 ms: loaded only when a Drizzle object is met. */
function loadDrizzle(): Promise<DrizzleModule> {
  drizzleModule ??= import('../integrations/drizzle/drizzle-table.js');
  return drizzleModule;
}

async function loadDrizzleIfUsed(declaration: AccessDeclaration): Promise<DrizzleModule | null> {
  if (!declaration.tables.some((t) => typeof t.table === 'object')) return null;
  try {
    return await loadDrizzle();
  } catch (cause) {
    throw new PgAccessError('DRIZZLE_NOT_INSTALLED', `A table is declared with an object, which pg-access reads as a Drizzle table, but drizzle-orm could not be loaded (${(cause as Error).message}). Install drizzle-orm, or name the table with a string such as 'public.documents'.`);
  }
}

async function collectTable(
  declared: TableDeclaration,
  drizzle: DrizzleModule | null,
  roles: Set<string>,
  errors: string[],
  diagnostics: Diagnostic[],
): Promise<CollectedTable | null> {
  let schema: string;
  let name: string;
  let columns: unknown;
  const policyDeclarations: PolicyDeclaration[] = [...(declared.options.policies ?? [])];
  let rls = declared.options.rls;
  if (typeof declared.table === 'string') {
    const parsed = parseTableName(declared.table);
    if (!parsed) {
      errors.push(`${JSON.stringify(declared.table)} is not a table name; write 'schema.table' or 'table' (quote parts that contain dots: '"my.schema".events').`);
      return null;
    }
    ({ schema, name } = parsed);
    columns = columnProxy();
  } else if (drizzle && drizzle.isDrizzleTable(declared.table)) {
    const facts = drizzle.drizzleTableFacts(declared.table);
    ({ schema, name } = facts);
    columns = declared.table;
    policyDeclarations.push(...facts.policies);
    for (const r of facts.roles) roles.add(r);
    if (facts.enableRls && rls === undefined) rls = true;
  } else {
    errors.push(`table(${describeValue(declared.table)}) is neither a Drizzle PostgreSQL table nor a 'schema.table' string.`);
    return null;
  }
  const where = display(schema, name);
  checkIdentifier(schema, `schema of table ${where}`, errors);
  checkIdentifier(name, `table ${where}`, errors);
  if (rls !== undefined && rls !== true && rls !== false && rls !== 'force') {
    errors.push(`Table ${where}: rls must be true, false or 'force', got ${describeValue(rls)}.`);
  }

  const policies: CollectedPolicy[] = [];
  for (const p of policyDeclarations) policies.push(...(await collectPolicy(p, schema, name, columns, errors)));
  if (rls === false && policies.length > 0) {
    diagnostics.push({
      code: 'INERT_POLICIES',
      severity: 'warning',
      subject: where,
      message: `Table ${where} declares ${policies.length} polic${policies.length > 1 ? 'ies' : 'y'} but rls: false, so PostgreSQL will not enforce them: every role with a table privilege sees and changes every row. Remove rls: false to enforce them.`,
    });
  }
  const grants = (declared.options.grants ?? []).map((g) => collectGrant(g, `grant on ${where}`, roles, errors));
  return { schema, name, rls, policies, grants };
}

async function collectPolicy(
  declared: PolicyDeclaration,
  schema: string,
  table: string,
  columns: unknown,
  errors: string[],
): Promise<CollectedPolicy[]> {
  const where = `policy ${quoteIdent(declared.name)} on ${display(schema, table)}`;
  const o = declared.options ?? {};
  const as = o.as ?? 'permissive';
  if (as !== 'permissive' && as !== 'restrictive') {
    errors.push(`${where}: as must be 'permissive' or 'restrictive', got ${describeValue(as)}.`);
  }
  const requested = o.for === undefined ? ['ALL'] : Array.isArray(o.for) ? o.for : [o.for];
  const commands: PolicyCommand[] = [];
  for (const c of requested) {
    const upper = typeof c === 'string' ? c.toUpperCase() : c;
    if ((POLICY_COMMANDS as readonly unknown[]).includes(upper)) commands.push(upper as PolicyCommand);
    else errors.push(`${where}: unknown command ${describeValue(c)}; allowed: ${POLICY_COMMANDS.join(', ')}.`);
  }
  if (commands.length === 0 && requested.length === 0) errors.push(`${where}: for: [] names no command; allowed: ${POLICY_COMMANDS.join(', ')}.`);
  if (commands.length > 1 && commands.includes('ALL')) errors.push(`${where}: for: ALL already covers every command; do not combine it with others.`);
  const roles = (o.to === undefined ? ['public'] : Array.isArray(o.to) ? o.to : [o.to]).map((r) => {
    const lower = typeof r === 'string' ? r.toLowerCase() : r;
    return (SPECIAL_POLICY_ROLES as readonly unknown[]).includes(lower) || r === 'PUBLIC' ? (lower as string) : r;
  });
  if (roles.length === 0) errors.push(`${where}: to: [] names no role; leave it out for PUBLIC, or list roles.`);
  const using = await renderExpression(o.using, columns, `${where}: using`, errors);
  const withCheck = await renderExpression(o.withCheck, columns, `${where}: withCheck`, errors);
  // One command per policy: PostgreSQL has no "FOR SELECT, UPDATE". A list
  // becomes one policy per command, named <name>_<command>.
  return commands.map((command) => {
    const name = commands.length > 1 ? `${declared.name}_${command.toLowerCase()}` : declared.name;
    const label = `policy ${quoteIdent(name)} on ${display(schema, table)}`;
    checkIdentifier(name, label, errors);
    if (command === 'INSERT' && using !== null) errors.push(`${label}: an INSERT policy takes only withCheck (PostgreSQL rejects USING for INSERT); move the expression to withCheck.`);
    if ((command === 'SELECT' || command === 'DELETE') && withCheck !== null) errors.push(`${label}: a ${command} policy takes only using (PostgreSQL rejects WITH CHECK for ${command}); move the expression to using.`);
    return {
      schema,
      table,
      name,
      command,
      permissive: as !== 'restrictive',
      roles,
      using: command === 'INSERT' ? null : using,
      withCheck: command === 'SELECT' || command === 'DELETE' ? null : withCheck,
    };
  });
}

async function renderExpression(input: ExpressionInput | undefined, columns: unknown, where: string, errors: string[]): Promise<string | null> {
  if (input === undefined || input === null) return null;
  let value: unknown = input;
  try {
    if (typeof value === 'function') value = (value as (t: unknown) => unknown)(columns);
    if (typeof value === 'object' && value !== null && typeof (value as { getSQL?: unknown }).getSQL === 'function') {
      value = (await loadDrizzle()).renderDrizzleSql(value);
    }
  } catch (cause) {
    errors.push(`${where}: the expression could not be built: ${(cause as Error).message}`);
    return null;
  }
  if (typeof value !== 'string') {
    errors.push(`${where}: expected SQL text or a Drizzle sql\`...\` fragment, got ${describeValue(value)}.`);
    return null;
  }
  const problem = expressionProblem(value);
  if (problem) {
    errors.push(`${where}: ${problem}: ${JSON.stringify(value)}`);
    return null;
  }
  return value.trim();
}

function collectGrant(declared: GrantDeclaration, origin: string, _roles: Set<string>, errors: string[]): CollectedGrant {
  const privileges = declared.privileges.map((p) => (typeof p === 'string' ? p.trim().toUpperCase().replace(/\s+/g, ' ') : String(p)));
  const normalized = privileges.map((p) => (p === 'ALL PRIVILEGES' ? 'ALL' : p));
  const to = declared.options.to;
  const grantees = (Array.isArray(to) ? to : [to]).map((r) => (r === 'PUBLIC' || (typeof r === 'string' && r.toLowerCase() === 'public') ? 'public' : r));
  if (grantees.length === 0) errors.push(`${origin}: to: [] names no role.`);
  return { privileges: normalized, grantees, withGrantOption: declared.options.withGrantOption === true, origin };
}

function checkRoles(roles: readonly string[], where: string, managed: Set<string>, errors: string[], policy: boolean): void {
  for (const role of roles) {
    if (typeof role !== 'string' || role === '') {
      errors.push(`${where}: role ${describeValue(role)} is not a role name.`);
      continue;
    }
    if (role === 'public') continue;
    if (policy && (SPECIAL_POLICY_ROLES as readonly string[]).includes(role)) continue;
    if (!policy && (role === 'current_user' || role === 'current_role' || role === 'session_user')) {
      errors.push(`${where}: grants name roles explicitly; ${role} is only accepted in a policy's to.`);
      continue;
    }
    if (!managed.has(role)) {
      errors.push(`${where} names role ${JSON.stringify(role)}, which is not in defineAccess({ roles }); add it there (pg-access only manages grants of listed roles).`);
    }
  }
}

function checkDuplicatePolicies(t: CollectedTable, errors: string[]): void {
  const seen = new Set<string>();
  for (const p of t.policies) {
    if (seen.has(p.name)) errors.push(`Table ${display(t.schema, t.name)} declares policy ${quoteIdent(p.name)} more than once; policy names are unique per table.`);
    seen.add(p.name);
  }
}

function checkIdentifier(name: string, what: string, errors: string[]): void {
  if (typeof name !== 'string' || name === '') {
    errors.push(`${what}: the name is empty.`);
  } else if (name.includes('\0')) {
    errors.push(`${what}: the name contains a NUL byte.`);
  } else if (identifierBytes(name) > MAX_IDENTIFIER_BYTES) {
    errors.push(`${what}: the name is ${identifierBytes(name)} bytes long; PostgreSQL truncates identifiers to ${MAX_IDENTIFIER_BYTES} bytes, so it would never match. Shorten it.`);
  }
}

/** For plain table names: t.owner_id renders "owner_id". */
function columnProxy(): Record<string, string> {
  return new Proxy({}, { get: (_target, prop) => (typeof prop === 'string' ? quoteIdent(prop) : undefined) });
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return value.constructor?.name ? `a ${value.constructor.name}` : 'an object';
  return String(value);
}
