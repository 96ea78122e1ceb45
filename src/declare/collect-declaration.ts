import { PgAccessError } from '../errors.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { qualifiedKey } from '../model/qualified-name.js';
import { textPool, type TextPool } from '../model/text-pool.js';
import { quoteIdent } from '../render/sql/quote.js';
import { collectPolicy, loadDrizzle, type DrizzleModule } from './collect-policy.js';
import { collectGrant } from './collect-grant.js';
import { collectDatabase, collectDefaultPrivileges, collectRoutine, collectSequence } from './collect-objects.js';
import { collectRoles } from './collect-roles.js';
import type { CollectedAccess, CollectedPolicy, CollectedSchema, CollectedTable } from './collected-access.js';
import { checkDuplicatePolicies, checkIdentifier, checkRoles, describeValue, display } from './declaration-checks.js';
import type { AccessDeclaration, PolicyDeclaration, TableDeclaration } from './declarations.js';
import { parseTableName } from './table-name.js';

export type * from './collected-access.js';

/**
 * Flattens and validates a declaration. All problems are gathered and thrown
 * together as one PgAccessError (code INVALID_DECLARATION), so a user fixes
 * them in one pass; nothing has touched a database at that point.
 */
export async function collectDeclaration(declaration: AccessDeclaration): Promise<CollectedAccess> {
  const errors: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const roleDeclarations = collectRoles(declaration.roles, errors);
  const roles = new Set(roleDeclarations.map((r) => r.name));
  const drizzle = await loadDrizzleIfUsed(declaration);

  const tables: CollectedTable[] = [];
  const seenTables = new Map<string, number>();
  const pool = textPool();
  for (const declared of declaration.tables) {
    const t = await collectTable(declared, drizzle, roles, errors, diagnostics, pool);
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
    return { name: s.name, grants: (s.options.grants ?? []).map((g) => collectGrant(g, `schema ${quoteIdent(s.name)}`, 'schema', errors)) };
  });
  const sequences = declaration.sequences.map((d) => collectSequence(d, errors)).filter((s) => s !== null);
  const routines = declaration.routines.map((d) => collectRoutine(d, errors)).filter((r) => r !== null);
  const database = collectDatabase(declaration.database, errors);
  const defaultPrivileges = declaration.defaultPrivileges.map((d) => collectDefaultPrivileges(d, errors)).filter((d) => d !== null);

  // Roles every policy and grant may name: the declared ones (plus those Drizzle policies name).
  for (const t of tables) {
    for (const p of t.policies) checkRoles(p.roles, () => `policy ${quoteIdent(p.name)} on ${display(t.schema, t.name)}`, roles, errors, true);
    for (const g of t.grants) checkRoles(g.grantees, g.origin, roles, errors, false);
  }
  const otherGrants = [...schemas, ...sequences, ...routines, ...(database ? [database] : []), ...defaultPrivileges].flatMap((o) => o.grants);
  for (const g of otherGrants) checkRoles(g.grantees, g.origin, roles, errors, false);
  for (const d of defaultPrivileges) if (d.forRole !== null) checkRoles([d.forRole], `${d.origin}: forRole`, roles, errors, false);

  if (errors.length) {
    throw new PgAccessError('INVALID_DECLARATION', `The access declaration has ${errors.length} problem${errors.length > 1 ? 's' : ''}; nothing was changed.`, errors);
  }
  // Roles Drizzle's pgRole() named are existing roles, as a plain name is.
  for (const name of roles) if (!roleDeclarations.some((r) => r.name === name)) roleDeclarations.push({ name, managed: false, attributes: null, inRoles: undefined, passwordEnv: undefined });
  return { roles: [...roles], roleDeclarations, tables, schemas, sequences, routines, database, defaultPrivileges, diagnostics };
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
  pool: TextPool,
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
    // The same schema on every table: one copy of its name.
    schema = pool(parsed.schema);
    name = parsed.name;
    columns = COLUMN_NAMES;
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
  checkIdentifier(schema, () => `schema of table ${where}`, errors);
  checkIdentifier(name, () => `table ${where}`, errors);
  if (rls !== undefined && rls !== true && rls !== false && rls !== 'force') {
    errors.push(`Table ${where}: rls must be true, false or 'force', got ${describeValue(rls)}.`);
  }

  const policies: CollectedPolicy[] = [];
  for (const p of policyDeclarations) policies.push(...(await collectPolicy(p, schema, name, columns, errors, pool)));
  if (rls === false && policies.length > 0) {
    diagnostics.push({
      code: 'INERT_POLICIES',
      severity: 'warning',
      subject: where,
      message: `Table ${where} declares ${policies.length} polic${policies.length > 1 ? 'ies' : 'y'} but rls: false, so PostgreSQL will not enforce them: every role with a table privilege sees and changes every row. Remove rls: false to enforce them.`,
    });
  }
  const grants = (declared.options.grants ?? []).map((g) => collectGrant(g, `grant on ${where}`, 'table', errors));
  return { schema, name, rls, policies, grants };
}


/** For plain table names: t.owner_id renders "owner_id". Stateless, so one serves every table. */
const COLUMN_NAMES: Record<string, string> = new Proxy({}, { get: (_target, prop) => (typeof prop === 'string' ? quoteIdent(prop) : undefined) });

