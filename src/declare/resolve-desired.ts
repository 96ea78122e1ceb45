import { PgAccessError } from '../errors.js';
import type { AccessState, Scope } from '../model/access-state.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { objectKey, targetKey, type Grant, type GrantTarget } from '../model/grant.js';
import { GrantLookup } from '../model/grant-lookup.js';
import type { Policy } from '../model/policy.js';
import { compareText, qualifiedKey } from '../model/qualified-name.js';
import type { CatalogStructure } from '../introspect/catalog-snapshot.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';
import type { GrantedKind } from './collect-grant.js';
import type { CollectedAccess, CollectedGrant } from './collected-access.js';
import { expandPrivileges, impliedSequenceUsage, isOwnerGrant, schemaUsageNeeds } from './grant-rules.js';
import { resolveRoles, type ManagedObjects } from './resolve-roles.js';
import { unreachablePolicies } from './unreachable-policies.js';

export interface ResolvedDeclaration {
  /** Policies still carry the declared expression text; normalization replaces it with PostgreSQL's deparse. */
  readonly desired: AccessState;
  readonly scope: Scope;
  readonly diagnostics: readonly Diagnostic[];
}

export interface ResolveOptions {
  readonly allowDropRoles?: boolean;
}

/**
 * Applies what the server knows to a collected declaration: checks that
 * objects and roles exist, expands ALL for this server version, resolves
 * current_user and friends, adds the implied grants (schema USAGE, sequence
 * USAGE for serial/identity inserts) and leaves out grants to owners, whose
 * privileges are implicit.
 */
export function resolveDesired(collected: CollectedAccess, catalog: CatalogStructure, options: ResolveOptions = {}): ResolvedDeclaration {
  const errors: string[] = [];
  const diagnostics: Diagnostic[] = [...collected.diagnostics];
  const { server } = catalog;
  const grants: Grant[] = [];
  const otherTargets: string[] = [];
  const publicControlled: string[] = [];
  const usageBySchema = new Map<string, Set<string>>();
  const needsSchemaUsage = (schema: string, grantee: string) => {
    const usage = usageBySchema.get(schema) ?? new Set<string>();
    usage.add(grantee);
    usageBySchema.set(schema, usage);
  };
  /** Expands one declared grant on one object, leaving out the owner. */
  const addGrants = (g: CollectedGrant, kind: GrantedKind | 'column', target: GrantTarget, owner: string | undefined, where: string) => {
    const added: { grantee: string; privilege: string }[] = [];
    for (const { grantee, privilege } of expandGrant(g, kind, server.versionNum, errors)) {
      if (isOwnerGrant(grantee, owner)) {
        diagnostics.push(ownerDiagnostic(grantee, where));
        continue;
      }
      grants.push({ target, grantee, privilege, grantable: g.withGrantOption });
      added.push({ grantee, privilege });
    }
    return added;
  };

  // Policies of many tables name the same roles: one resolved list per distinct list.
  const resolvedPolicyRoles = new Map<string, string[]>();
  const policyRoles = (roles: readonly string[]) => {
    const key = roles.join('\0');
    let resolved = resolvedPolicyRoles.get(key);
    if (!resolved) resolvedPolicyRoles.set(key, (resolved = resolvePolicyRoles(roles, server)));
    return resolved;
  };
  const declaredSchemas = new Set(collected.schemas.map((s) => s.name));
  const scopeSchemas = new Set(declaredSchemas);
  const policies: Policy[] = [];
  const tables: AccessState['tables'][number][] = [];
  const ownedSequences: { schema: string; name: string }[] = [];
  const managedRelations = new Set<number>();
  const usageOnlySequences = new Map<number, readonly { grantee: string; privilege: string }[]>();

  for (const t of collected.tables) {
    const where = quoteQualified(t.schema, t.name);
    const found = catalog.tables.get(qualifiedKey(t));
    scopeSchemas.add(t.schema);
    if (!found) {
      errors.push(`Table ${where} does not exist in the database. Create it first (run your migrations), or fix the name; pg-access manages access, not tables.`);
      continue;
    }
    managedRelations.add(found.oid);
    const supportsRls = found.kind === 'r' || found.kind === 'p';
    if (!supportsRls && (t.policies.length > 0 || t.rls !== undefined)) {
      errors.push(`${where} is a ${relkindName(found.kind)}; row-level security and policies apply only to tables. Remove rls/policies from it (grants are fine).`);
    }
    const enabled = t.rls === undefined ? (t.policies.length > 0 ? true : undefined) : t.rls !== false;
    const forced = t.rls === undefined ? undefined : t.rls === 'force';
    if (supportsRls) tables.push({ schema: t.schema, name: t.name, enabled, forced });

    for (const p of t.policies) {
      policies.push({ ...p, roles: policyRoles(p.roles) });
    }

    const inserters = new Set<string>();
    // Read for exactly the tables whose grants name columns (see catalogRequest).
    const columnNames = found.columns ?? [];
    let columns: Set<string> | undefined;
    // One target object per table, shared by its entries (see targetKey).
    const tableTarget: GrantTarget = { kind: 'table', schema: t.schema, name: t.name };
    for (const g of t.grants) {
      if (g.columns.length === 0) {
        for (const a of addGrants(g, 'table', tableTarget, found.owner, where)) {
          if (a.privilege === 'INSERT') inserters.add(a.grantee);
          needsSchemaUsage(t.schema, a.grantee);
        }
        continue;
      }
      columns ??= new Set(columnNames);
      for (const column of g.columns) {
        if (!columns.has(column)) {
          errors.push(`${g.origin}: column ${quoteIdent(column)} does not exist on ${where}; its columns are ${columnNames.map(quoteIdent).join(', ')}.`);
          continue;
        }
        for (const a of addGrants(g, 'column', { kind: 'column', schema: t.schema, table: t.name, column }, found.owner, where)) {
          if (a.privilege === 'INSERT') inserters.add(a.grantee);
          needsSchemaUsage(t.schema, a.grantee);
        }
      }
    }
    // Inserters get USAGE on the table's sequences (grant-rules). Without
    // implied grants, owned sequences are not managed at all.
    for (const seq of collected.impliedGrants ? found.sequences : []) {
      ownedSequences.push({ schema: seq.schema, name: seq.name });
      usageOnlySequences.set(seq.oid, seq.acl);
      const target: GrantTarget = { kind: 'sequence', schema: seq.schema, name: seq.name };
      for (const grantee of impliedSequenceUsage(inserters, seq.owner)) grants.push({ target, grantee, privilege: 'USAGE', grantable: false });
    }
  }

  const managedSchemas = new Set<number>();
  for (const s of collected.schemas) {
    const found = catalog.schemas.get(s.name);
    if (found) managedSchemas.add(found.oid);
    if (s.revokeFromPublic) publicControlled.push(targetKey({ kind: 'schema', name: s.name }));
    for (const g of s.grants) addGrants(g, 'schema', { kind: 'schema', name: s.name }, found?.owner, `schema ${quoteIdent(s.name)}`);
  }

  for (const s of collected.sequences) {
    const where = quoteQualified(s.schema, s.name);
    const found = catalog.sequences.get(qualifiedKey(s));
    scopeSchemas.add(s.schema);
    if (!found) {
      errors.push(`Sequence ${where} does not exist in the database. Create it first, or fix the name.`);
      continue;
    }
    managedRelations.add(found.oid);
    for (const g of s.grants) {
      for (const a of addGrants(g, 'sequence', { kind: 'sequence', schema: s.schema, name: s.name }, found.owner, `sequence ${where}`)) needsSchemaUsage(s.schema, a.grantee);
    }
  }

  const managedRoutines = new Set<number>();
  for (const r of collected.routines) {
    const found = catalog.routines.get(r.signature);
    if (!found) {
      errors.push(`Routine ${JSON.stringify(r.signature)} does not exist in the database (PostgreSQL's to_regprocedure() finds no function or procedure with that name and those argument types). Check the schema, the name and the argument types.`);
      continue;
    }
    managedRoutines.add(found.oid);
    scopeSchemas.add(found.schema);
    const target: GrantTarget = { kind: 'function', schema: found.schema, name: found.name, args: found.args, routine: found.routine };
    otherTargets.push(targetKey(target));
    if (r.revokeFromPublic) publicControlled.push(targetKey(target));
    for (const g of r.grants) {
      for (const a of addGrants(g, 'function', target, found.owner, `${found.routine.toLowerCase()} ${quoteQualified(found.schema, found.name)}(${found.args})`)) needsSchemaUsage(found.schema, a.grantee);
    }
  }

  const managedDatabases = new Set<number>();
  if (collected.database && catalog.database) {
    const db = catalog.database;
    managedDatabases.add(db.oid);
    const target: GrantTarget = { kind: 'database', name: db.name };
    otherTargets.push(targetKey(target));
    if (collected.database.revokeFromPublic) publicControlled.push(targetKey(target));
    for (const g of collected.database.grants) addGrants(g, 'database', target, db.owner, `database ${quoteIdent(db.name)}`);
  }

  const managedDefaultAcls = new Set<number>();
  const managedRoleNames = new Set(collected.roleDeclarations.filter((r) => r.managed).map((r) => r.name));
  for (const d of collected.defaultPrivileges) {
    const owner = d.forRole ?? server.currentUser;
    if (d.inSchema !== null && !catalog.schemas.has(d.inSchema) && !declaredSchemas.has(d.inSchema)) {
      errors.push(`${d.origin}: schema ${quoteIdent(d.inSchema)} does not exist; declare it in defineAccess({ schemas }) or create it.`);
    }
    // Without forRole, or with the connected role's name, the owner is the connected role, which exists (and need not be listed).
    if (d.forRole !== null && owner !== server.currentUser) {
      if (!collected.roles.includes(owner)) {
        errors.push(`${d.origin}: forRole names role ${quoteIdent(owner)}, which is not in defineAccess({ roles }); add it there, or leave forRole out for the role pg-access connects as (${quoteIdent(server.currentUser)}).`);
      } else if (!catalog.roles.has(owner) && !managedRoleNames.has(owner)) {
        errors.push(`${d.origin}: role ${quoteIdent(owner)} does not exist; declare it with role() or create it.`);
      }
    }
    const target: GrantTarget = { kind: 'default', owner, schema: d.inSchema, objects: d.objects };
    const row = catalog.defaultAcls.find((a) => a.owner === owner && a.schema === d.inSchema && a.objects === d.objects);
    if (row?.oid != null) managedDefaultAcls.add(row.oid);
    otherTargets.push(targetKey(target));
    if (d.revokeFromPublic) publicControlled.push(targetKey(target));
    for (const g of d.grants) addGrants(g, d.objects, target, owner, `objects ${quoteIdent(owner)} creates`);
  }

  // Schema USAGE (grant-rules): implied on schemas not declared, a diagnostic where a grantee's grants are inert.
  const publicManaged = grants.some((g) => g.grantee === 'public');
  const revokedFromPublic = new Set(collected.schemas.filter((s) => s.revokeFromPublic).map((s) => s.name));
  // Declared schema USAGE, gathered in one pass (one pass per schema would be quadratic with many schemas).
  const declaredUsageBySchema = new Map<string, Set<string>>();
  for (const g of grants) {
    if (g.target.kind !== 'schema' || g.privilege !== 'USAGE') continue;
    const holders = declaredUsageBySchema.get(g.target.name) ?? new Set<string>();
    holders.add(g.grantee);
    declaredUsageBySchema.set(g.target.name, holders);
  }
  for (const [schemaName, grantees] of usageBySchema) {
    const found = catalog.schemas.get(schemaName);
    const declared = declaredSchemas.has(schemaName);
    const needs = schemaUsageNeeds({
      grantees,
      owner: found?.owner,
      declared,
      impliedGrants: collected.impliedGrants,
      declaredUsage: declaredUsageBySchema.get(schemaName) ?? new Set<string>(),
      held: found?.acl ?? [],
      publicManaged: publicManaged || revokedFromPublic.has(schemaName),
    });
    for (const grantee of needs.implied) grants.push({ target: { kind: 'schema', name: schemaName }, grantee, privilege: 'USAGE', grantable: false });
    for (const grantee of needs.inert) diagnostics.push(inertGrantsDiagnostic(schemaName, grantee, declared));
  }

  const managedObjects: ManagedObjects = {
    relations: managedRelations,
    usageOnlySequences,
    schemas: managedSchemas,
    routines: managedRoutines,
    databases: managedDatabases,
    defaultAcls: managedDefaultAcls,
  };
  const resolvedRoles = resolveRoles(collected, catalog, { allowDropRoles: options.allowDropRoles === true, managedObjects }, errors, diagnostics);

  if (errors.length) {
    throw new PgAccessError('DECLARATION_DOES_NOT_MATCH_DATABASE', `The declaration does not fit the database; nothing was changed.`, errors);
  }

  const unmanagedGrantees = collected.roleDeclarations.filter((r) => r.grantsUnmanaged).map((r) => r.name);
  const managedGrantees = new Set<string>([...collected.roles.filter((r) => !unmanagedGrantees.includes(r)), ...resolvedRoles.scope.droppedRoles]);
  for (const g of grants) managedGrantees.add(g.grantee);
  const grantedWhereDeclared = whereDeclaredObjects(collected, grants);
  // Memberships as they are and as declared: a policy for a group applies to its members (either way, no false warning).
  const edges = [...catalog.membershipEdges, ...resolvedRoles.memberships];
  diagnostics.push(...unreachablePolicies(policies, grants, catalog, managedGrantees, new Set(unmanagedGrantees), edges, grantedWhereDeclared));
  const schemas = [...new Set([...scopeSchemas].filter((s) => declaredSchemas.has(s) || catalog.schemas.has(s)))].sort(compareText);

  return {
    desired: { roles: resolvedRoles.roles, memberships: resolvedRoles.memberships, schemas, tables, policies, grants: dedupeGrants(grants) },
    scope: {
      database: server.database,
      ...resolvedRoles.scope,
      tables: collected.tables.map((t) => ({ schema: t.schema, name: t.name })),
      sequences: ownedSequences,
      declaredSequences: collected.sequences.map((s) => ({ schema: s.schema, name: s.name })),
      schemas: [...declaredSchemas].sort(compareText),
      grantOnlySchemas: [...scopeSchemas].filter((s) => !declaredSchemas.has(s)).sort(compareText),
      otherTargets,
      publicControlled,
      grantees: [...managedGrantees].sort(compareText),
      unmanagedGrantees,
      ...(grantedWhereDeclared.size ? { grantedWhereDeclared: Object.fromEntries([...grantedWhereDeclared].map(([role, keys]) => [role, [...keys].sort(compareText)])) } : {}),
    },
    diagnostics,
  };
}

/** For each role declared with grants: 'where-declared', the objects (objectKey) its desired grants are on. */
function whereDeclaredObjects(collected: CollectedAccess, grants: readonly Grant[]): Map<string, Set<string>> {
  const roles = new Map(collected.roleDeclarations.filter((r) => r.grantsWhereDeclared).map((r) => [r.name, new Set<string>()]));
  if (roles.size === 0) return roles;
  for (const g of grants) roles.get(g.grantee)?.add(objectKey(g.target));
  return roles;
}

function inertGrantsDiagnostic(schema: string, grantee: string, declared: boolean): Diagnostic {
  const who = grantee === 'public' ? 'PUBLIC' : `Role ${quoteIdent(grantee)}`;
  const fix = declared
    ? `add grant('USAGE', { to: ${JSON.stringify(grantee)} }) to schema(${JSON.stringify(schema)}, { grants }), or grant USAGE to a role it is a member of`
    : `declare schema(${JSON.stringify(schema)}, { grants: [grant('USAGE', { to: ${JSON.stringify(grantee)} })] }), or turn impliedGrants back on`;
  return {
    code: 'INERT_GRANT',
    severity: 'warning',
    subject: `${quoteIdent(schema)} / ${grantee === 'public' ? 'PUBLIC' : quoteIdent(grantee)}`,
    message: `${who} is granted privileges on objects in schema ${quoteIdent(schema)} but ${declared ? 'the declared schema gives it' : 'holds'} no USAGE there (directly or through PUBLIC), so those grants have no effect unless it inherits USAGE from a role it is a member of: ${fix}.`,
  };
}

/** current_user etc. are stored in pg_policy as the role they named when the policy was created. */
function resolvePolicyRoles(roles: readonly string[], server: CatalogStructure['server']): string[] {
  const resolved = roles.map((r) => (r === 'current_user' || r === 'current_role' ? server.currentUser : r === 'session_user' ? server.sessionUser : r));
  // PostgreSQL keeps only PUBLIC when PUBLIC is listed with other roles.
  if (resolved.includes('public')) return ['public'];
  return [...new Set(resolved)].sort(compareText);
}

/** The (grantee, privilege) pairs of one declared grant on `kind` (grant-rules' ALL expansion); MAINTAIN before 17 is an error naming the declaration. */
function expandGrant(g: CollectedGrant, kind: GrantedKind | 'column', versionNum: number, errors: string[]): { grantee: string; privilege: string }[] {
  const { privileges, unsupported } = expandPrivileges(g.privileges, kind, versionNum);
  for (const p of unsupported) errors.push(`${g.origin}: ${p} exists from PostgreSQL 17 on; this server is ${Math.floor(versionNum / 10000)}.`);
  return g.grantees.flatMap((grantee) => privileges.map((privilege) => ({ grantee, privilege })));
}

/** One entry per (target, grantee, privilege), in first-seen order; grantable if any declaration gives the option. */
function dedupeGrants(grants: readonly Grant[]): Grant[] {
  const kept = new GrantLookup();
  for (const g of grants) {
    const i = kept.indexOf(g.target, g.grantee, g.privilege);
    if (i < 0) kept.add(g);
    else if (g.grantable && !kept.grants[i]!.grantable) kept.grants[i] = { ...kept.grants[i]!, grantable: true };
  }
  return kept.grants;
}

function ownerDiagnostic(owner: string, where: string): Diagnostic {
  return {
    code: 'GRANT_TO_OWNER',
    severity: 'info',
    subject: where,
    message: `${quoteIdent(owner)} owns ${where} and holds every privilege on it implicitly; the grant to it is left out.`,
  };
}

function relkindName(kind: string): string {
  return ({ v: 'view', m: 'materialized view', f: 'foreign table' } as Record<string, string>)[kind] ?? `relation of kind ${kind}`;
}
