import { PgAccessError } from '../errors.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { qualifiedKey } from '../model/qualified-name.js';
import { textPool, type TextPool } from '../model/text-pool.js';
import { quoteIdent } from '../render/sql/quote.js';
import { collectPolicy } from './collect-policy.js';
import { guardedTexts } from './expression-guard.js';
import { collectGrants } from './collect-grant.js';
import { collectDatabase, collectDefaultPrivileges, collectRoutine, collectSequence } from './collect-objects.js';
import { collectRoles } from './collect-roles.js';
import type { CollectedAccess, CollectedPolicy, CollectedSchema, CollectedTable } from './collected-access.js';
import { checkDuplicatePolicies, checkIdentifier, checkRoles, describeValue, display } from './declaration-checks.js';
import type { AccessDeclaration, PolicyDeclaration, TableDeclaration } from './declarations.js';
import { COLUMN_NAMES } from './describe-table.js';
import { parseTableName } from './table-name.js';
import { loadTableSource, sourceOfPolicy, sourceOfTable, tableSources, type TableSource } from './table-source.js';

export type * from './collected-access.js';

/**
 * A declaration flattened and validated, in two stages. All problems are
 * gathered and thrown together by withPolicies() as one PgAccessError (code
 * INVALID_DECLARATION), so a user fixes them in one pass. The structure (tables, grants,
 * roles, every other object) is all a catalog read needs to know what to
 * read; the tables' policies, most of the collecting work on a large
 * declaration, are collected by `withPolicies()`, which yields to the event
 * loop between tables, so a plan collects them while its catalog queries run.
 */
export interface StagedDeclaration {
  /** The declaration without its tables' policies (every `policies` is empty). */
  readonly structure: CollectedAccess;
  /** The structure has problems: withPolicies() will throw them (with any the policies add), and nothing should be read first. */
  readonly invalid: boolean;
  /** Collects the policies and checks them; throws every problem of the declaration at once. */
  withPolicies(): Promise<CollectedAccess>;
}

/** Where a table's policies come from: each declaration of the table, in order (a table may be declared twice). */
interface PolicySource {
  readonly declarations: readonly PolicyDeclaration[];
  readonly columns: unknown;
}

/** Tables whose policies are collected between two turns of the event loop. */
const TABLES_PER_TURN = 250;

export async function collectStructure(declaration: AccessDeclaration): Promise<StagedDeclaration> {
  const errors: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const roleDeclarations = collectRoles(declaration.roles, errors);
  const roles = new Set(roleDeclarations.map((r) => r.name));
  await loadUsedSources(declaration);

  const tables: CollectedTable[] = [];
  const sources: PolicySource[][] = [];
  const seenTables = new Map<string, number>();
  // A model listed in several entries (bare, and in table(t, {...})) brings its own policies once.
  const ownPoliciesTaken = new Set<object>();
  const sourceRoles: SourceRoles = { names: roles, withAttributes: new Map() };
  const pool = textPool();
  for (const declared of declaration.tables) {
    const collected = collectTable(declared, sourceRoles, errors, pool, ownPoliciesTaken);
    if (!collected) continue;
    const { table: t, policies } = collected;
    const key = qualifiedKey(t);
    const earlier = seenTables.get(key);
    if (earlier !== undefined) {
      // Two entries for one table: merge them, as if declared once.
      const a = tables[earlier]!;
      if (a.rls !== undefined && t.rls !== undefined && a.rls !== t.rls) {
        errors.push(`Table ${display(t.schema, t.name)} is declared twice with different rls settings (${String(a.rls)} and ${String(t.rls)}).`);
      }
      tables[earlier] = { ...a, rls: a.rls ?? t.rls, grants: [...a.grants, ...t.grants] };
      sources[earlier]!.push(policies);
    } else {
      seenTables.set(key, tables.length);
      tables.push(t);
      sources.push([policies]);
    }
  }

  const schemas: CollectedSchema[] = declaration.schemas.map((s) => {
    checkIdentifier(s.name, `schema ${JSON.stringify(s.name)}`, errors);
    const where = `schema ${quoteIdent(s.name)}`;
    if (s.options.revokeFromPublic !== undefined && typeof s.options.revokeFromPublic !== 'boolean') {
      errors.push(`${where}: revokeFromPublic must be true or false, got ${describeValue(s.options.revokeFromPublic)}.`);
    }
    return { name: s.name, grants: collectGrants(s.options.grants, where, 'schema', errors), revokeFromPublic: s.options.revokeFromPublic === true };
  });
  const sequences = declaration.sequences.map((d) => collectSequence(d, errors)).filter((s) => s !== null);
  const routines = declaration.routines.map((d) => collectRoutine(d, errors)).filter((r) => r !== null);
  const database = collectDatabase(declaration.database, errors);
  const defaultPrivileges = declaration.defaultPrivileges.map((d) => collectDefaultPrivileges(d, errors)).filter((d) => d !== null);

  // Roles every grant may name: the declared ones (plus those Drizzle policies name), except policy-only ones.
  const grantsUnmanaged = new Set(roleDeclarations.filter((r) => r.grantsUnmanaged).map((r) => r.name));
  for (const t of tables) for (const g of t.grants) checkRoles(g.grantees, g.origin, roles, errors, false, grantsUnmanaged);
  const otherGrants = [...schemas, ...sequences, ...routines, ...(database ? [database] : []), ...defaultPrivileges].flatMap((o) => o.grants);
  for (const g of otherGrants) checkRoles(g.grantees, g.origin, roles, errors, false, grantsUnmanaged);
  // forRole may also be the connected role without being listed: known only when planning (resolve-desired checks it).

  // Roles a model's own policies named (Drizzle's pgRole()) are existing roles, as a plain name is; attributes written on them are not applied: said so.
  for (const [name, written] of sourceRoles.withAttributes) {
    if (!roleDeclarations.some((r) => r.name === name && r.managed)) diagnostics.push(drizzleRoleAttributes(name, written));
  }
  for (const name of roles) if (!roleDeclarations.some((r) => r.name === name)) roleDeclarations.push({ name, managed: false, attributes: null, inRoles: undefined, passwordEnv: undefined });
  if (declaration.impliedGrants !== undefined && typeof declaration.impliedGrants !== 'boolean') errors.push(`defineAccess({ impliedGrants }) must be true or false, got ${describeValue(declaration.impliedGrants)}.`);
  const impliedGrants = declaration.impliedGrants !== false;
  const structure: CollectedAccess = { roles: [...roles], roleDeclarations, tables, schemas, sequences, routines, database, defaultPrivileges, impliedGrants, diagnostics };
  const fail = () => {
    throw new PgAccessError('INVALID_DECLARATION', `The access declaration has ${errors.length} problem${errors.length > 1 ? 's' : ''}; nothing was changed.`, errors);
  };
  // Policy problems are gathered with these: an invalid structure is reported once the policies are collected too.
  const withPolicies = async (): Promise<CollectedAccess> => {
    const guard = guardedTexts(pool);
    const complete: CollectedTable[] = [];
    for (let i = 0; i < tables.length; i++) {
      if (i > 0 && i % TABLES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      const t = tables[i]!;
      const policies: CollectedPolicy[] = [];
      for (const source of sources[i]!) {
        for (const p of source.declarations) policies.push(...(await collectPolicy(p, t.schema, t.name, source.columns, errors, guard)));
      }
      const table = { ...t, policies };
      checkDuplicatePolicies(table, errors);
      for (const p of policies) checkRoles(p.roles, () => `policy ${quoteIdent(p.name)} on ${display(t.schema, t.name)}`, roles, errors, true);
      if (t.rls === false && policies.length > 0) diagnostics.push(inertPolicies(display(t.schema, t.name), policies.length));
      complete.push(table);
    }
    if (errors.length) fail();
    return { ...structure, tables: complete };
  };
  return { structure, invalid: errors.length > 0, withPolicies };
}

/** Roles the models' own policies name: added to the declaration's roles; those written with attributes, for a warning. */
interface SourceRoles {
  readonly names: Set<string>;
  readonly withAttributes: Map<string, string>;
}

function drizzleRoleAttributes(name: string, written: string): Diagnostic {
  return {
    code: 'DRIZZLE_ROLE_ATTRIBUTES',
    severity: 'warning',
    subject: quoteIdent(name),
    message: `${written} is used as an existing role: pg-access never creates a Drizzle pgRole or changes its attributes, so these are not applied. To have pg-access create it and keep them, declare role(${JSON.stringify(name)}, ${written.slice(written.indexOf(', ') + 2, -1)}) in defineAccess({ roles }); or write pgRole(${JSON.stringify(name)}).existing().`,
  };
}

function inertPolicies(where: string, count: number): Diagnostic {
  return {
    code: 'INERT_POLICIES',
    severity: 'warning',
    subject: where,
    message: `Table ${where} declares ${count} polic${count > 1 ? 'ies' : 'y'} but rls: false, so PostgreSQL will not enforce them: every role with a table privilege sees and changes every row. Remove rls: false to enforce them.`,
  };
}

/** Loads the front ends the declaration's objects belong to (tables, policies in their own form), and only those. */
async function loadUsedSources(declaration: AccessDeclaration): Promise<void> {
  const used = new Set<TableSource>();
  for (const t of declaration.tables) {
    if (typeof t.table === 'object' && t.table !== null) {
      const source = sourceOfTable(t.table);
      if (typeof source !== 'string') used.add(source);
    }
    if (Array.isArray(t.options.policies)) {
      for (const p of t.options.policies) {
        const source = isPolicyDeclaration(p) ? undefined : sourceOfPolicy(p);
        if (source) used.add(source);
      }
    }
  }
  for (const source of used) await loadTableSource(source);
}

/** A table's name, rls and grants, and where its policies come from (collected later, by withPolicies). */
function collectTable(declared: TableDeclaration, sourceRoles: SourceRoles, errors: string[], pool: TextPool, ownPoliciesTaken: Set<object>): { table: CollectedTable; policies: PolicySource } | null {
  let schema: string;
  let name: string;
  let columns: unknown;
  const policyDeclarations: PolicyDeclaration[] = [];
  let rls = declared.options.rls;
  if (typeof declared.table === 'string') {
    const parsed = parseTableName(declared.table);
    if (!parsed) {
      errors.push(`${JSON.stringify(declared.table)} is not a table name; write 'schema.table' or 'table' (quote parts that contain dots: '"my.schema".events').`);
      return null;
    }
    // The same schema on every table: one copy of its name.
    schema = pool(parsed.schema);
    name = parsed.name;
    columns = COLUMN_NAMES;
  } else {
    const source = sourceOfTable(declared.table);
    if (typeof source === 'string') {
      errors.push(`table(${describeValue(declared.table)}) ${source}.`);
      return null;
    }
    const facts = source.describe(declared.table);
    ({ schema, name, columns } = facts);
    const model = declared.table as object;
    if (!ownPoliciesTaken.has(model)) policyDeclarations.push(...(facts.policies ?? []));
    ownPoliciesTaken.add(model);
    for (const r of facts.roles ?? []) sourceRoles.names.add(r);
    for (const [r, written] of facts.rolesWithAttributes ?? []) sourceRoles.withAttributes.set(r, written);
    if (facts.enableRls && rls === undefined) rls = true;
  }
  const where = display(schema, name);
  policyDeclarations.push(...declaredPolicies(declared.options.policies, where, sourceRoles, errors));
  checkIdentifier(schema, () => `schema of table ${where}`, errors);
  checkIdentifier(name, () => `table ${where}`, errors);
  if (rls !== undefined && rls !== true && rls !== false && rls !== 'force') {
    errors.push(`Table ${where}: rls must be true, false or 'force', got ${describeValue(rls)}.`);
  }
  const grants = collectGrants(declared.options.grants, `grant on ${where}`, 'table', errors);
  return { table: { schema, name, rls, policies: [], grants }, policies: { declarations: policyDeclarations, columns } };
}

/**
 * A table's `policies` list: policy(...) entries as they are, a front end's
 * own form (a Drizzle pgPolicy(...)) with its exact meaning (its as, for, to, using and
 * withCheck), anything else an error naming it: never dropped, and never a
 * permissive policy for PUBLIC in its place.
 */
function declaredPolicies(list: unknown, where: string, roles: SourceRoles, errors: string[]): PolicyDeclaration[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    errors.push(`Table ${where}: policies must be a list of policy(...), got ${describeValue(list)}.`);
    return [];
  }
  const result: PolicyDeclaration[] = [];
  for (const entry of list) {
    const source = isPolicyDeclaration(entry) ? undefined : sourceOfPolicy(entry);
    if (isPolicyDeclaration(entry)) result.push(entry);
    else if (source?.policy) result.push(source.policy(entry, roles.names, roles.withAttributes));
    else {
      const forms = tableSources().flatMap((s) => (s.policyForm ? [s.policyForm] : []));
      errors.push(`Table ${where}: ${describeValue(entry)} in policies is not a policy(name, { ... })${forms.map((f) => ` or ${f}`).join('')}.`);
    }
  }
  return result;
}

function isPolicyDeclaration(value: unknown): value is PolicyDeclaration {
  const v = value as Partial<PolicyDeclaration> | null;
  return typeof v === 'object' && v !== null && v.kind === 'policy' && typeof v.name === 'string';
}

