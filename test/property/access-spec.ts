/**
 * A random access declaration over the fixture (test/property/fixture.ts)
 * as plain data: drawn by access-state.arbitrary.ts, written as pg-access
 * code by declaration-code.ts, and turned into the catalogs it should
 * produce by expected-catalog.ts.
 */
import { MANAGED_ROLES, type FixtureRoutineId, type FixtureTableId, type ManagedRole } from './fixture.js';

export type Command = 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
/** Who a policy may name: managed roles, PUBLIC, and current_user / session_user (resolved to the connected role). */
export type PolicyRole = ManagedRole | 'public' | 'current_user' | 'session_user';
export type Grantee = ManagedRole | 'public';

export interface PolicySpec {
  readonly name: string;
  readonly as: 'permissive' | 'restrictive';
  /** A list expands into one policy per command, `<name>_<command>`. */
  readonly for: Command | readonly Command[];
  /** Left out: PUBLIC (pg-access's default). */
  readonly to?: readonly PolicyRole[];
  readonly using?: string;
  readonly withCheck?: string;
}

export interface GrantSpec {
  readonly privileges: 'ALL' | readonly string[];
  readonly to: readonly Grantee[];
  readonly withGrantOption: boolean;
  /** On a table only: column privileges on these columns instead of table privileges. */
  readonly columns?: readonly string[];
}

export interface TableSpec {
  readonly table: FixtureTableId;
  /** Declared in two table() entries (policies and grants shared out), which pg-access merges. */
  readonly split: boolean;
  readonly rls?: boolean | 'force';
  readonly policies: readonly PolicySpec[];
  readonly grants: readonly GrantSpec[];
}

export interface SchemaSpec {
  readonly name: string;
  readonly grants: readonly GrantSpec[];
  /** PUBLIC keeps only what grants gives it (left out: as false). */
  readonly revokeFromPublic?: boolean;
}

/** One inRoles entry of the member role: a group among the managed roles; inherit and set only on PostgreSQL 16+. */
export interface MembershipSpec {
  readonly role: ManagedRole;
  readonly admin?: boolean;
  readonly inherit?: boolean;
  readonly set?: boolean;
}

/** The member role ('m') declared with role(): attributes left out take CREATE ROLE's defaults. */
export interface MemberSpec {
  readonly login?: boolean;
  readonly inherit?: boolean;
  readonly createDb?: boolean;
  readonly connectionLimit?: number;
  readonly inRoles: readonly MembershipSpec[];
}

export interface RoutineSpec {
  readonly routine: FixtureRoutineId;
  /** EXECUTE (or ALL). */
  readonly grants: readonly GrantSpec[];
  readonly revokeFromPublic?: boolean;
}

export interface DefaultPrivilegesSpec {
  /** Left out: the connected role (the fixture's owner). */
  readonly forRole?: ManagedRole;
  readonly inSchema?: 'public' | 'Crm';
  readonly on: 'tables' | 'functions';
  readonly grants: readonly GrantSpec[];
  /** Only without inSchema (pg-access refuses it with one). */
  readonly revokeFromPublic?: boolean;
}

export interface AccessSpec {
  /** Written the way a person might (see declaration-code.ts) rather than canonically; must mean the same. */
  readonly loose: boolean;
  /** Roles listed in defineAccess({ roles }) besides those the policies and grants name. */
  readonly extraRoles: readonly ManagedRole[];
  /** Left out: the member role is not declared (and left as it is). */
  readonly member?: MemberSpec;
  readonly schemas: readonly SchemaSpec[];
  readonly tables: readonly TableSpec[];
  readonly routines: readonly RoutineSpec[];
  readonly defaultPrivileges: readonly DefaultPrivilegesSpec[];
  /** defineAccess({ impliedGrants: false }) when false (left out: true). */
  readonly impliedGrants?: boolean;
  /** Listed roles declared existingRole(name, { grants: 'where-declared' }): managed only where granted something (drawn only where the property does not predict catalogs). */
  readonly whereDeclared?: readonly ManagedRole[];
}

export interface AccessPair {
  /** Hand-made drift (fixture.driftTemplates) run before A. */
  readonly drift: readonly string[];
  readonly a: AccessSpec;
  readonly b: AccessSpec;
}

/** Which clauses a command (or every command of a list) accepts, as CREATE POLICY does. */
export function commandsOf(p: Pick<PolicySpec, 'for'>): readonly Command[] {
  return typeof p.for === 'string' ? [p.for] : p.for;
}

/** Every grant of a declaration, whatever it is on. */
export function allGrants(spec: AccessSpec): GrantSpec[] {
  return [
    ...spec.tables.flatMap((t) => t.grants),
    ...spec.schemas.flatMap((s) => s.grants),
    ...spec.routines.flatMap((r) => r.grants),
    ...spec.defaultPrivileges.flatMap((d) => d.grants),
  ];
}

/**
 * The roles defineAccess must list as existing roles: the extra ones, every
 * managed role a policy or grant names, and every forRole of default
 * privileges (pg-access requires them listed). The member role is listed
 * with role() on top of these when declared; its groups need not be listed.
 */
export function rolesOf(spec: AccessSpec): ManagedRole[] {
  const used = new Set<ManagedRole>(spec.extraRoles);
  const add = (names: readonly string[]) => names.forEach((n) => (MANAGED_ROLES as readonly string[]).includes(n) && used.add(n as ManagedRole));
  for (const t of spec.tables) for (const p of t.policies) add(p.to ?? []);
  for (const g of allGrants(spec)) add(g.to);
  for (const d of spec.defaultPrivileges) if (d.forRole) used.add(d.forRole);
  return MANAGED_ROLES.filter((r) => used.has(r));
}
