import { impliedSequenceUsage } from '../declare/grant-rules.js';
import type { AclEntry, CatalogSequence, CatalogSnapshot, CatalogTable } from '../introspect/catalog-snapshot.js';
import type { DiscoveredObjects } from '../introspect/discover-objects.js';
import type { DefaultObjectType } from '../model/grant.js';
import type { Policy, PolicyCommand } from '../model/policy.js';
import { privilegesFor, sortPrivileges } from '../model/privileges.js';
import { compareText, qualifiedKey } from '../model/qualified-name.js';
import { ROLE_DEFAULTS, type Role } from '../model/role.js';

/*
 * What `pull` writes, as data: the declaration that describes a database's
 * access as it is, so that planning it right away changes nothing. Pure: the
 * catalog snapshot in, the declaration's parts out; render-access-module
 * writes them as TypeScript. Grants pg-access would add anyway (USAGE on a
 * table's own sequences for its inserters) are left out by the same rule
 * resolution adds them with (declare/grant-rules).
 */

/** One grant(): these privileges to these roles, with or without the grant option, on the object or on these columns. */
export interface PulledGrant {
  readonly privileges: readonly string[];
  readonly to: readonly string[];
  readonly withGrantOption: boolean;
  readonly columns: readonly string[] | null;
}

export interface PulledPolicy {
  readonly name: string;
  readonly restrictive: boolean;
  readonly command: PolicyCommand;
  /** Empty: PUBLIC (the default). */
  readonly to: readonly string[];
  readonly using: string | null;
  readonly withCheck: string | null;
}

export interface PulledTable {
  readonly schema: string;
  readonly name: string;
  /** Left out (undefined) where the flag is off and nothing needs it said. */
  readonly rls: boolean | 'force' | undefined;
  readonly policies: readonly PulledPolicy[];
  readonly grants: readonly PulledGrant[];
}

export interface PulledMembership {
  readonly role: string;
  readonly admin: boolean;
  /** Written only when it differs from PostgreSQL's default (the member's INHERIT attribute; SET true). */
  readonly inherit: boolean | undefined;
  readonly set: boolean | undefined;
}

export interface PulledRole {
  readonly name: string;
  /** role(): pg-access keeps these attributes; otherwise existingRole(). */
  readonly attributes: Partial<Omit<Role, 'name'>> | null;
  readonly inRoles: readonly PulledMembership[];
}

export interface PulledSchema {
  readonly name: string;
  readonly grants: readonly PulledGrant[];
  readonly revokeFromPublic: boolean;
}

export interface PulledObject {
  /** A sequence's 'schema.name', or a routine's identity signature. */
  readonly name: string;
  readonly grants: readonly PulledGrant[];
  readonly revokeFromPublic: boolean;
}

export interface PulledDefaultPrivileges {
  readonly forRole: string;
  readonly inSchema: string | null;
  readonly on: DefaultObjectType;
  readonly grants: readonly PulledGrant[];
  readonly revokeFromPublic: boolean;
}

export interface PulledAccess {
  readonly database: string;
  readonly serverVersionNum: number;
  readonly roles: readonly PulledRole[];
  readonly impliedGrants: boolean;
  readonly schemas: readonly PulledSchema[];
  readonly tables: readonly PulledTable[];
  readonly sequences: readonly PulledObject[];
  readonly routines: readonly PulledObject[];
  readonly databaseGrants: Omit<PulledObject, 'name'> | null;
  readonly defaultPrivileges: readonly PulledDefaultPrivileges[];
}

export interface PullOptions {
  /** Declare roles with role() and their attributes (superusers stay existingRole: pg-access does not manage SUPERUSER). Default false. */
  readonly manageRoles?: boolean;
}

const DEFAULT_DATABASE_PUBLIC = ['CONNECT', 'TEMPORARY'];

export function pulledAccess(catalog: CatalogSnapshot, found: DiscoveredObjects, options: PullOptions = {}): PulledAccess {
  const version = catalog.server.versionNum;
  const referenced = new Set<string>();
  const note = (entries: readonly AclEntry[]) => {
    for (const e of entries) if (e.grantee !== 'public') referenced.add(e.grantee);
  };

  const policiesByTable = new Map<string, Policy[]>();
  for (const p of catalog.policies) {
    const key = qualifiedKey({ schema: p.schema, name: p.table });
    policiesByTable.set(key, [...(policiesByTable.get(key) ?? []), p]);
    for (const r of p.roles) if (r !== 'public') referenced.add(r);
  }

  // Implied sequence USAGE is kept on only if every table's inserters hold it already: otherwise a plan would grant it.
  const tables = [...catalog.tables.values()].sort(byName);
  const owned: { table: CatalogTable; sequence: CatalogSequence; implied: Set<string> }[] = [];
  for (const t of tables) {
    const inserters = new Set([...t.acl, ...t.columnAcl].filter((e) => e.privilege === 'INSERT').map((e) => e.grantee));
    for (const s of t.sequences) owned.push({ table: t, sequence: s, implied: new Set(impliedSequenceUsage(inserters, s.owner)) });
  }
  const impliedGrants = owned.every(({ sequence, implied }) => [...implied].every((g) => sequence.acl.some((e) => e.grantee === g && e.privilege === 'USAGE')));

  const pulledTables: PulledTable[] = tables.map((t) => {
    note(t.acl);
    note(t.columnAcl);
    const policies = (policiesByTable.get(qualifiedKey(t)) ?? []).sort((a, b) => compareText(a.name, b.name)).map(toPulledPolicy);
    const supportsRls = t.kind === 'r' || t.kind === 'p';
    // FORCE on a table whose RLS is off has no effect and no declaration (rls: 'force' enables too): left unmanaged, with a warning (unpulled).
    const rls = !supportsRls ? undefined : t.rlsEnabled ? (t.rlsForced ? 'force' : true) : policies.length ? false : undefined;
    return { schema: t.schema, name: t.name, rls, policies, grants: [...groupGrants(t.acl, 'table', version, null), ...groupColumnGrants(t.columnAcl)] };
  });

  const sequences: PulledObject[] = [];
  for (const { sequence, implied } of owned) {
    // What the implied rule gives is left out; anything beyond it is declared with sequence().
    const extra = impliedGrants ? sequence.acl.filter((e) => !(e.privilege === 'USAGE' && !e.grantable && implied.has(e.grantee))) : sequence.acl;
    if (extra.length === 0) continue;
    note(sequence.acl);
    sequences.push({ name: qualifiedText(sequence), grants: groupGrants(sequence.acl, 'sequence', version, null), revokeFromPublic: false });
  }
  for (const s of found.sequences) {
    const sequence = catalog.sequences.get(qualifiedKey(s));
    if (!sequence || sequence.acl.length === 0) continue;
    note(sequence.acl);
    sequences.push({ name: qualifiedText(sequence), grants: groupGrants(sequence.acl, 'sequence', version, null), revokeFromPublic: false });
  }
  sequences.sort((a, b) => compareText(a.name, b.name));

  const schemas: PulledSchema[] = found.schemas.flatMap((name) => {
    const s = catalog.schemas.get(name);
    if (!s) return [];
    note(s.acl);
    // PUBLIC holds USAGE on the public schema by default: written when it no longer does.
    const revokeFromPublic = name === 'public' && !s.acl.some((e) => e.grantee === 'public');
    return [{ name, grants: groupGrants(s.acl, 'schema', version, null), revokeFromPublic }];
  });

  const routines: PulledObject[] = found.routines.flatMap((signature) => {
    const r = catalog.routines.get(signature);
    if (!r) return [];
    // PUBLIC's EXECUTE is PostgreSQL's default and left unmanaged; its absence is a revokeFromPublic.
    const publicHolds = r.acl.some((e) => e.grantee === 'public' && e.privilege === 'EXECUTE');
    const acl = r.acl.filter((e) => e.grantee !== 'public' || e.grantable);
    // An ACL written out but equal to the default (owner and PUBLIC may execute) declares nothing.
    if (acl.length === 0 && publicHolds) return [];
    note(acl);
    return [{ name: signature, grants: groupGrants(acl, 'function', version, null), revokeFromPublic: !publicHolds }];
  });

  let databaseGrants: PulledAccess['databaseGrants'] = null;
  if (catalog.database) {
    const acl = catalog.database.acl;
    const publicHeld = acl.filter((e) => e.grantee === 'public');
    const revokeFromPublic = DEFAULT_DATABASE_PUBLIC.some((p) => !publicHeld.some((e) => e.privilege === p));
    const declared = revokeFromPublic ? acl : acl.filter((e) => e.grantee !== 'public' || e.grantable || !DEFAULT_DATABASE_PUBLIC.includes(e.privilege));
    note(declared);
    if (declared.length || revokeFromPublic) databaseGrants = { grants: groupGrants(declared, 'database', version, null), revokeFromPublic };
  }

  const defaultPrivileges: PulledDefaultPrivileges[] = catalog.defaultAcls.flatMap((d) => {
    if (d.oid === null) return [];
    // A global entry for functions or types starts from PUBLIC's built-in privilege, which is left unmanaged unless it was taken away.
    const builtin = d.schema === null ? (d.objects === 'functions' ? 'EXECUTE' : d.objects === 'types' ? 'USAGE' : null) : null;
    const revokeFromPublic = builtin !== null && !d.acl.some((e) => e.grantee === 'public' && e.privilege === builtin);
    const acl = builtin === null ? d.acl : d.acl.filter((e) => !(e.grantee === 'public' && e.privilege === builtin && !e.grantable));
    if (acl.length === 0 && !revokeFromPublic) return [];
    note(acl);
    referenced.add(d.owner);
    return [{ forRole: d.owner, inSchema: d.schema, on: d.objects, grants: groupGrants(acl, d.objects, version, null), revokeFromPublic }];
  });

  // A named role's memberships are declared whole (a role() declaration manages all of them): the groups it is in are named too, and theirs.
  for (const name of referenced) {
    for (const m of catalog.memberships) if (m.member === name && catalog.roles.has(m.role)) referenced.add(m.role);
  }
  const roles: PulledRole[] = [...referenced]
    .filter((name) => catalog.roles.has(name))
    .sort(compareText)
    .map((name) => {
      const role = catalog.roles.get(name)!;
      const inRoles = catalog.memberships
        .filter((m) => m.member === name)
        .sort((a, b) => compareText(a.role, b.role))
        .map((m) => ({
          role: m.role,
          admin: m.admin,
          inherit: m.inherit === null || m.inherit === role.inherit ? undefined : m.inherit,
          set: m.set === null || m.set ? undefined : m.set,
        }));
      return { name, attributes: options.manageRoles && !role.superuser ? roleAttributes(role) : null, inRoles };
    });

  return {
    database: catalog.server.database,
    serverVersionNum: version,
    roles,
    impliedGrants,
    schemas,
    tables: pulledTables,
    sequences,
    routines,
    databaseGrants,
    defaultPrivileges,
  };
}

function byName(a: CatalogTable, b: CatalogTable): number {
  return compareText(a.schema, b.schema) || compareText(a.name, b.name);
}

/** 'schema.name' as parseTableName reads it back: a part with a dot or a double quote is quoted. */
export function qualifiedText(o: { schema: string; name: string }): string {
  const part = (s: string) => (/[."]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return `${part(o.schema)}.${part(o.name)}`;
}

function toPulledPolicy(p: Policy): PulledPolicy {
  const to = p.roles.length === 1 && p.roles[0] === 'public' ? [] : [...p.roles];
  return { name: p.name, restrictive: !p.permissive, command: p.command, to, using: p.using, withCheck: p.withCheck };
}

/** Attributes that differ from CREATE ROLE's defaults. */
function roleAttributes(role: Role): Partial<Omit<Role, 'name'>> {
  const attributes: Record<string, unknown> = {};
  for (const key of Object.keys(ROLE_DEFAULTS) as (keyof typeof ROLE_DEFAULTS)[]) {
    if (role[key] !== ROLE_DEFAULTS[key]) attributes[key] = role[key];
  }
  return attributes as Partial<Omit<Role, 'name'>>;
}

/**
 * ACL entries as few grant() calls as read well: one per set of privileges
 * (with or without the grant option), naming every role that holds exactly
 * that set; `ALL` when the set is everything the object kind has.
 */
function groupGrants(entries: readonly AclEntry[], kind: Parameters<typeof privilegesFor>[0], version: number, columns: readonly string[] | null): PulledGrant[] {
  const byGrantee = new Map<string, { plain: string[]; grantable: string[] }>();
  for (const e of entries) {
    const held = byGrantee.get(e.grantee) ?? { plain: [], grantable: [] };
    (e.grantable ? held.grantable : held.plain).push(e.privilege);
    byGrantee.set(e.grantee, held);
  }
  const all = privilegesFor(kind, version);
  const groups = new Map<string, PulledGrant>();
  for (const [grantee, held] of [...byGrantee].sort(([a], [b]) => compareText(a, b))) {
    for (const [list, withGrantOption] of [
      [held.plain, false],
      [held.grantable, true],
    ] as const) {
      if (list.length === 0) continue;
      const sorted = sortPrivileges(list);
      const privileges = columns === null && all.length > 1 && sorted.length === all.length && all.every((p) => sorted.includes(p)) ? ['ALL'] : sorted;
      const key = JSON.stringify([privileges, withGrantOption]);
      const group = groups.get(key);
      groups.set(key, { privileges, to: [...(group?.to ?? []), grantee], withGrantOption, columns });
    }
  }
  return [...groups.values()];
}

/** Column ACL entries: one grant() per grantee, grant option and privilege set, naming the columns that share them. */
function groupColumnGrants(entries: readonly (AclEntry & { column: string })[]): PulledGrant[] {
  const byKey = new Map<string, { grantee: string; withGrantOption: boolean; privileges: Set<string>; column: string }>();
  for (const e of entries) {
    const key = JSON.stringify([e.grantee, e.grantable, e.column]);
    const held = byKey.get(key) ?? { grantee: e.grantee, withGrantOption: e.grantable, privileges: new Set<string>(), column: e.column };
    held.privileges.add(e.privilege);
    byKey.set(key, held);
  }
  const groups = new Map<string, { privileges: string[]; to: string[]; withGrantOption: boolean; columns: string[] }>();
  for (const held of byKey.values()) {
    const privileges = sortPrivileges(held.privileges);
    const key = JSON.stringify([held.grantee, held.withGrantOption, privileges]);
    const group = groups.get(key) ?? { privileges, to: [held.grantee], withGrantOption: held.withGrantOption, columns: [] };
    group.columns.push(held.column);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => compareText(a.to[0]!, b.to[0]!));
}
