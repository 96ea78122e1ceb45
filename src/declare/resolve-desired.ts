import { PgAccessError } from '../errors.js';
import type { AccessState, Scope } from '../model/access-state.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { grantKey, type Grant, type GrantTarget } from '../model/grant.js';
import type { Policy } from '../model/policy.js';
import { SCHEMA_PRIVILEGES, tablePrivilegesFor } from '../model/privileges.js';
import { compareText, qualifiedKey } from '../model/qualified-name.js';
import type { CatalogSnapshot } from '../introspect/catalog-snapshot.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';
import type { CollectedAccess, CollectedGrant } from './collect-declaration.js';

export interface ResolvedDeclaration {
  /** Policies still carry the declared expression text; normalization replaces it with PostgreSQL's deparse. */
  readonly desired: AccessState;
  readonly scope: Scope;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Applies what the server knows to a collected declaration: checks that
 * tables and roles exist, expands ALL for this server version, resolves
 * current_user and friends, adds the implied grants (schema USAGE, sequence
 * USAGE for serial/identity inserts) and leaves out grants to owners, whose
 * privileges are implicit.
 */
export function resolveDesired(collected: CollectedAccess, catalog: CatalogSnapshot): ResolvedDeclaration {
  const errors: string[] = [];
  const diagnostics: Diagnostic[] = [...collected.diagnostics];
  const { server } = catalog;

  for (const role of collected.roles) {
    if (!catalog.existingRoles.has(role)) {
      errors.push(`Role ${quoteIdent(role)} (declared in defineAccess({ roles })) does not exist in the database. Create it first (CREATE ROLE ${quoteIdent(role)}); pg-access does not create roles yet.`);
    }
  }

  const declaredSchemas = new Set(collected.schemas.map((s) => s.name));
  const scopeSchemas = new Set(declaredSchemas);
  const grants: Grant[] = [];
  const policies: Policy[] = [];
  const tables: AccessState['tables'][number][] = [];
  const sequences: { schema: string; name: string }[] = [];
  const usageBySchema = new Map<string, Set<string>>();

  for (const t of collected.tables) {
    const where = quoteQualified(t.schema, t.name);
    const found = catalog.tables.get(qualifiedKey(t));
    scopeSchemas.add(t.schema);
    if (!found) {
      errors.push(`Table ${where} does not exist in the database. Create it first (run your migrations), or fix the name; pg-access manages access, not tables.`);
      continue;
    }
    const supportsRls = found.kind === 'r' || found.kind === 'p';
    if (!supportsRls && (t.policies.length > 0 || t.rls !== undefined)) {
      errors.push(`${where} is a ${relkindName(found.kind)}; row-level security and policies apply only to tables. Remove rls/policies from it (grants are fine).`);
    }
    const enabled = t.rls === undefined ? (t.policies.length > 0 ? true : undefined) : t.rls !== false;
    const forced = t.rls === undefined ? undefined : t.rls === 'force';
    if (supportsRls) tables.push({ schema: t.schema, name: t.name, enabled, forced });

    for (const p of t.policies) {
      policies.push({
        schema: p.schema,
        table: p.table,
        name: p.name,
        command: p.command,
        permissive: p.permissive,
        roles: resolvePolicyRoles(p.roles, server),
        using: p.using,
        withCheck: p.withCheck,
      });
    }

    const tablePrivileges = tablePrivilegesFor(server.versionNum) as readonly string[];
    const target: GrantTarget = { kind: 'table', schema: t.schema, name: t.name };
    const inserters = new Set<string>();
    for (const g of t.grants) {
      for (const { grantee, privilege } of expandGrant(g, tablePrivileges, 'table', server.versionNum, errors)) {
        if (grantee === found.owner) {
          diagnostics.push(ownerDiagnostic(grantee, where));
          continue;
        }
        grants.push({ target, grantee, privilege, grantable: g.withGrantOption });
        if (privilege === 'INSERT') inserters.add(grantee);
        const usage = usageBySchema.get(t.schema) ?? new Set<string>();
        usage.add(grantee);
        usageBySchema.set(t.schema, usage);
      }
    }
    // INSERT into a serial column calls nextval(), which needs USAGE on the
    // sequence; identity columns do not check it, but granting it keeps
    // explicit nextval()/currval() calls working the same for both.
    for (const seq of found.sequences) {
      sequences.push({ schema: seq.schema, name: seq.name });
      for (const grantee of inserters) {
        if (grantee !== seq.owner) grants.push({ target: { kind: 'sequence', schema: seq.schema, name: seq.name }, grantee, privilege: 'USAGE', grantable: false });
      }
    }
  }

  for (const s of collected.schemas) {
    const owner = catalog.schemas.get(s.name)?.owner;
    for (const g of s.grants) {
      for (const { grantee, privilege } of expandGrant(g, SCHEMA_PRIVILEGES, 'schema', server.versionNum, errors)) {
        if (grantee === owner) {
          diagnostics.push(ownerDiagnostic(grantee, `schema ${quoteIdent(s.name)}`));
          continue;
        }
        grants.push({ target: { kind: 'schema', name: s.name }, grantee, privilege, grantable: g.withGrantOption });
      }
    }
  }
  // Table privileges are useless without USAGE on the schema: every grantee
  // of a table gets it, unless everyone has it through PUBLIC once the plan
  // is applied (as on the `public` schema by default). PUBLIC's USAGE is what
  // the declaration says on a declared schema once PUBLIC is managed; on any
  // other schema nothing is ever revoked, so what PUBLIC holds now it keeps.
  const publicManaged = collected.roles.includes('public') || grants.some((g) => g.grantee === 'public');
  for (const [schemaName, grantees] of usageBySchema) {
    const owner = catalog.schemas.get(schemaName)?.owner;
    const declaredUsage = new Set(grants.filter((g) => g.target.kind === 'schema' && g.target.name === schemaName && g.privilege === 'USAGE').map((g) => g.grantee));
    const publicKeepsUsage = !(publicManaged && declaredSchemas.has(schemaName)) && (catalog.schemas.get(schemaName)?.acl ?? []).some((e) => e.grantee === 'public' && e.privilege === 'USAGE');
    const publicHasUsage = declaredUsage.has('public') || grantees.has('public') || publicKeepsUsage;
    for (const grantee of grantees) {
      if (grantee === owner || declaredUsage.has(grantee) || (publicHasUsage && grantee !== 'public')) continue;
      grants.push({ target: { kind: 'schema', name: schemaName }, grantee, privilege: 'USAGE', grantable: false });
    }
  }

  if (errors.length) {
    throw new PgAccessError('DECLARATION_DOES_NOT_MATCH_DATABASE', `The declaration does not fit the database; nothing was changed.`, errors);
  }

  const managedGrantees = new Set<string>(collected.roles);
  for (const g of grants) managedGrantees.add(g.grantee);
  const schemas = [...new Set([...scopeSchemas].filter((s) => declaredSchemas.has(s) || catalog.schemas.has(s)))].sort(compareText);

  return {
    desired: { schemas, tables, policies, grants: dedupeGrants(grants) },
    scope: {
      tables: collected.tables.map((t) => ({ schema: t.schema, name: t.name })),
      sequences,
      schemas: [...declaredSchemas].sort(compareText),
      grantOnlySchemas: [...scopeSchemas].filter((s) => !declaredSchemas.has(s)).sort(compareText),
      grantees: [...managedGrantees].sort(compareText),
    },
    diagnostics,
  };
}

/** current_user etc. are stored in pg_policy as the role they named when the policy was created. */
function resolvePolicyRoles(roles: readonly string[], server: CatalogSnapshot['server']): string[] {
  const resolved = roles.map((r) => (r === 'current_user' || r === 'current_role' ? server.currentUser : r === 'session_user' ? server.sessionUser : r));
  // PostgreSQL keeps only PUBLIC when PUBLIC is listed with other roles.
  if (resolved.includes('public')) return ['public'];
  return [...new Set(resolved)].sort(compareText);
}

function expandGrant(
  g: CollectedGrant,
  allowed: readonly string[],
  objectKind: 'table' | 'schema',
  versionNum: number,
  errors: string[],
): { grantee: string; privilege: string }[] {
  const privileges: string[] = [];
  for (const p of g.privileges) {
    if (p === 'ALL') privileges.push(...allowed);
    else if (allowed.includes(p)) privileges.push(p);
    else if (p === 'MAINTAIN' && objectKind === 'table' && versionNum < 170000) errors.push(`${g.origin}: MAINTAIN exists from PostgreSQL 17 on; this server is ${Math.floor(versionNum / 10000)}.`);
    else errors.push(`${g.origin}: ${JSON.stringify(p)} is not a ${objectKind} privilege; allowed: ${allowed.join(', ')}, ALL.`);
  }
  return g.grantees.flatMap((grantee) => [...new Set(privileges)].map((privilege) => ({ grantee, privilege })));
}

function dedupeGrants(grants: Grant[]): Grant[] {
  const byKey = new Map<string, Grant>();
  for (const g of grants) {
    const key = grantKey(g);
    const prior = byKey.get(key);
    byKey.set(key, prior ? { ...prior, grantable: prior.grantable || g.grantable } : g);
  }
  return [...byKey.values()];
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
