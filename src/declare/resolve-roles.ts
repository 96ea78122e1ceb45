import type { Scope } from '../model/access-state.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { membershipKey, type Membership } from '../model/membership.js';
import { compareText } from '../model/qualified-name.js';
import type { Role } from '../model/role.js';
import type { CatalogStructure } from '../introspect/catalog-snapshot.js';
import { quoteIdent } from '../render/sql/quote.js';
import { checkMembershipCycles } from './collect-roles.js';
import type { CollectedAccess } from './collected-access.js';

export interface ResolvedRoles {
  readonly roles: readonly Role[];
  readonly memberships: readonly Membership[];
  readonly scope: Pick<Scope, 'roles' | 'droppedRoles' | 'membershipMembers' | 'partialMembershipMembers'>;
}

export interface RoleResolutionOptions {
  /** --allow-drop-roles: drop roles pg-access created that the declaration no longer lists. */
  readonly allowDropRoles: boolean;
  /** Object oids whose ACLs this plan manages fully, per catalog (for the drop check). */
  readonly managedObjects: ManagedObjects;
}

export interface ManagedObjects {
  /** pg_class oids whose ACL entries of managed grantees are all managed (tables, declared sequences). */
  readonly relations: ReadonlySet<number>;
  /** Owned sequences: only USAGE is managed there. */
  readonly usageOnlySequences: ReadonlyMap<number, readonly { grantee: string; privilege: string }[]>;
  readonly schemas: ReadonlySet<number>;
  readonly routines: ReadonlySet<number>;
  readonly databases: ReadonlySet<number>;
  readonly defaultAcls: ReadonlySet<number>;
}

/**
 * Roles and memberships, checked against the server: existing roles must
 * exist, groups must exist or be created by the plan, INHERIT/SET options
 * need PostgreSQL 16, no membership loop may form with what the database
 * already has, and a role is only dropped when nothing outside the
 * declaration still refers to it.
 */
export function resolveRoles(collected: CollectedAccess, catalog: CatalogStructure, options: RoleResolutionOptions, errors: string[], diagnostics: Diagnostic[]): ResolvedRoles {
  const v16 = catalog.server.versionNum >= 160000;
  const managed = collected.roleDeclarations.filter((r) => r.managed);
  const managedNames = new Set(managed.map((r) => r.name));
  const declaredNames = new Set(collected.roles);

  for (const r of collected.roleDeclarations) {
    if (!r.managed && !catalog.roles.has(r.name)) {
      errors.push(`Role ${quoteIdent(r.name)} does not exist in the database. Create it first (CREATE ROLE ${quoteIdent(r.name)}), or declare it with role(${JSON.stringify(r.name)}) so pg-access creates it.`);
    }
  }
  const roles: Role[] = managed.map((r) => ({ name: r.name, ...r.attributes! }));

  const memberships: Membership[] = [];
  for (const r of collected.roleDeclarations) {
    if (!r.inRoles) continue;
    const memberInherit = r.attributes?.inherit ?? catalog.roles.get(r.name)?.inherit ?? true;
    for (const m of r.inRoles) {
      const where = `Role ${quoteIdent(r.name)} (inRoles ${quoteIdent(m.role)})`;
      if (!managedNames.has(m.role) && !catalog.roles.has(m.role)) {
        errors.push(`${where}: role ${quoteIdent(m.role)} does not exist. Create it, or declare it with role(${JSON.stringify(m.role)}).`);
      }
      if (!v16 && (m.inherit !== undefined || m.set !== undefined)) {
        errors.push(`${where}: membership options inherit and set exist from PostgreSQL 16 on; this server is ${Math.floor(catalog.server.versionNum / 10000)}. Use the role's own inherit attribute instead.`);
      }
      // PostgreSQL 16's defaults, written out: INHERIT follows the member's
      // rolinherit at grant time, SET is true.
      memberships.push({ role: m.role, member: r.name, admin: m.admin, inherit: v16 ? (m.inherit ?? memberInherit) : null, set: v16 ? (m.set ?? true) : null });
    }
  }

  const created = [...catalog.roles.values()].filter((r) => r.createdByPgAccess && !declaredNames.has(r.name)).map((r) => r.name).sort(compareText);
  const droppedRoles = options.allowDropRoles ? created : [];
  if (!options.allowDropRoles) {
    for (const name of created) {
      diagnostics.push({
        code: 'UNDECLARED_ROLE',
        severity: 'warning',
        subject: `role ${quoteIdent(name)}`,
        message: `Role ${quoteIdent(name)} was created by pg-access for this database and is no longer declared; it is left as it is. Run with --allow-drop-roles (allowDropRoles: true) to drop it.`,
      });
    }
  }
  for (const name of droppedRoles) {
    for (const m of memberships) {
      if (m.role === name) errors.push(`Role ${quoteIdent(name)} is no longer declared and would be dropped, but ${quoteIdent(m.member)} declares a membership in it. Declare ${quoteIdent(name)} again with role(), or remove the membership.`);
    }
    checkDroppable(name, catalog, new Set([...managedNames, ...droppedRoles]), options.managedObjects, errors);
  }

  const membershipMembers = [...managedNames, ...droppedRoles].sort(compareText);
  const partialMembershipMembers = collected.roleDeclarations.filter((r) => !r.managed && r.inRoles !== undefined).map((r) => r.name).sort(compareText);

  // A loop can also close through memberships the database has and the plan keeps.
  const planned = new Set(memberships.map(membershipKey));
  const fullMembers = new Set(membershipMembers);
  const kept = catalog.membershipEdges.filter((m) => !fullMembers.has(m.member) && !planned.has(membershipKey(m)));
  const cycleErrors: string[] = [];
  checkMembershipCycles([...memberships, ...kept], cycleErrors, ' (counting memberships the database already has)');
  errors.push(...cycleErrors);

  return { roles, memberships, scope: { roles: [...managedNames].sort(compareText), droppedRoles, membershipMembers, partialMembershipMembers } };
}

/**
 * DROP ROLE fails while anything refers to the role; pg-access never
 * reassigns or drops objects silently. What the plan itself removes first
 * (ACL entries on objects it manages fully, policies of declared tables,
 * memberships of managed roles) is fine; anything else is an error listing it.
 */
function checkDroppable(name: string, catalog: CatalogStructure, managedRoles: ReadonlySet<string>, managed: ManagedObjects, errors: string[]): void {
  const blockers: string[] = [];
  for (const d of catalog.roleDependencies) {
    if (d.role !== name) continue;
    if (!d.inThisDatabase) {
      blockers.push(d.description);
      continue;
    }
    if (d.type === 'o') {
      blockers.push(`owns ${d.description}`);
      continue;
    }
    // A policy on a declared table: the plan drops or rewrites it (every policy of a declared table is managed).
    if (d.type === 'r' && d.classId === 'pg_policy' && d.policyTable !== null && managed.relations.has(d.policyTable)) continue;
    if (d.type === 'a' && isManagedAcl(d.classId, d.objectOid, name, managed)) continue;
    blockers.push(d.type === 'a' ? `holds privileges on ${d.description}` : d.type === 'r' ? `is named in ${d.description}` : d.description);
  }
  for (const m of catalog.memberships) {
    if (m.role === name && !managedRoles.has(m.member)) blockers.push(`is granted to role ${quoteIdent(m.member)}, which the declaration does not manage`);
  }
  if (blockers.length) {
    errors.push(
      `Role ${quoteIdent(name)} cannot be dropped: it ${[...new Set(blockers)].join('; ')}. pg-access does not reassign or drop objects; run REASSIGN OWNED / DROP OWNED or revoke these yourself, or declare the role again with role().`,
    );
  }
}

function isManagedAcl(classId: string, oid: number, role: string, managed: ManagedObjects): boolean {
  switch (classId) {
    case 'pg_class': {
      if (managed.relations.has(oid)) return true;
      const owned = managed.usageOnlySequences.get(oid);
      return owned !== undefined && owned.every((e) => e.grantee !== role || e.privilege === 'USAGE');
    }
    case 'pg_namespace':
      return managed.schemas.has(oid);
    case 'pg_proc':
      return managed.routines.has(oid);
    case 'pg_database':
      return managed.databases.has(oid);
    case 'pg_default_acl':
      return managed.defaultAcls.has(oid);
    default:
      return false;
  }
}
