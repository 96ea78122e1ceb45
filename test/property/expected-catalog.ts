/**
 * What the catalogs must hold after a declaration is applied to a database
 * in the state `before`, computed from the README's rules without pg-access:
 *
 * - a declared table's policy set is exactly the declared policies (a command
 *   list expands into `<name>_<command>`; PUBLIC among other roles leaves
 *   only PUBLIC; current_user is the connected role);
 * - RLS: true enables and un-forces, 'force' enables and forces, false
 *   disables both; left out, it is enabled when the table has policies and
 *   otherwise left as it was (FORCE too);
 * - the grants of managed grantees (the listed roles, and PUBLIC when a grant
 *   names it) on a declared table are exactly the declared ones, merged per
 *   privilege (grantable if any grant says so), 'ALL' being the server's
 *   list; the owner's are left out and its own privileges kept;
 * - each managed grantee holds USAGE (without grant option) on the
 *   sequences of a declared table exactly when it is granted INSERT on it;
 *   the sequences' other privileges are left alone;
 * - every table grantee gets USAGE on the table's schema unless PUBLIC holds
 *   it once the declaration is applied; on a schema that is not declared
 *   nothing is ever revoked, a declared schema's ACL for the managed grantees
 *   is exactly its declared grants plus those implied USAGEs, and a declared
 *   schema that does not exist is created, owned by the connected role;
 * - everything else is as it was.
 *
 * Expressions are compared with the text PostgreSQL stored for the same
 * expression created directly on a scratch copy of the table (`deparse`).
 */
import type { AccessSnapshot, CatalogPolicy } from '../support/catalog.js';
import { commandsOf, rolesOf, type AccessSpec, type GrantSpec } from './access-state.arbitrary.js';
import { fixtureTable, type RoleNames } from './fixture.js';

export interface ExpectationContext {
  readonly roles: RoleNames;
  /** The connected role: current_user in policies, owner of created schemas and of the fixture. */
  readonly currentUser: string;
  readonly sessionUser: string;
  /** Owners of the schemas a declaration can touch (grants to them are left out; they need no USAGE). */
  readonly schemaOwners: ReadonlyMap<string, string>;
  /** What 'ALL' means on tables for this server. */
  readonly tablePrivileges: readonly string[];
  /** PostgreSQL's stored text for a pool expression on a fixture table. */
  deparse(table: AccessSpec['tables'][number]['table'], expression: string): string;
}

const SCHEMA_PRIVILEGES = ['USAGE', 'CREATE'];

type AclMap = Map<string, Map<string, boolean>>; // grantee label → privilege → grantable

function parseAcl(entries: readonly string[]): { grantee: string; privilege: string; grantable: boolean }[] {
  return entries.map((e) => {
    const at = e.lastIndexOf(':');
    const privilege = e.slice(at + 1);
    return { grantee: e.slice(0, at), privilege: privilege.replace('*', ''), grantable: privilege.endsWith('*') };
  });
}
const entry = (grantee: string, privilege: string, grantable: boolean) => `${grantee}:${privilege}${grantable ? '*' : ''}`;
const byText = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

export function expectedSnapshot(before: AccessSnapshot, spec: AccessSpec, ctx: ExpectationContext): AccessSnapshot {
  const label = (g: string) => (g === 'public' ? 'PUBLIC' : ctx.roles[g as keyof RoleNames]);
  const managed = new Set<string>(rolesOf(spec).map(label));
  for (const g of [...spec.tables.flatMap((t) => t.grants), ...spec.schemas.flatMap((s) => s.grants)]) for (const to of g.to) managed.add(label(to));

  const merge = (grants: readonly GrantSpec[], all: readonly string[], skip: string | undefined): AclMap => {
    const acl: AclMap = new Map();
    for (const g of grants) {
      for (const to of g.to.map(label)) {
        if (to === skip) continue;
        const privileges = acl.get(to) ?? new Map<string, boolean>();
        for (const p of g.privileges === 'ALL' ? all : g.privileges) privileges.set(p, (privileges.get(p) ?? false) || g.withGrantOption);
        acl.set(to, privileges);
      }
    }
    return acl;
  };
  const flatten = (acl: AclMap) => [...acl].flatMap(([grantee, privileges]) => [...privileges].map(([p, grantable]) => entry(grantee, p, grantable)));

  const result: AccessSnapshot = structuredClone(before);
  const usageBySchema = new Map<string, Set<string>>();

  for (const t of spec.tables) {
    const f = fixtureTable(t.table);
    const owner = f.owner ? ctx.roles[f.owner] : ctx.currentUser;
    const relation = result.relations.find((r) => r.schema === f.schema && r.name === f.name)!;

    // Policies: exactly the declared ones.
    const policies: CatalogPolicy[] = t.policies.flatMap((p) => {
      const commands = commandsOf(p);
      const named = (p.to ?? ['public']).map((r) => (r === 'current_user' ? ctx.currentUser : r === 'session_user' ? ctx.sessionUser : r === 'public' ? 'public' : ctx.roles[r]));
      const roles = named.includes('public') ? ['public'] : [...new Set(named)].sort(byText);
      return commands.map((cmd) => ({
        schema: f.schema,
        table: f.name,
        name: commands.length > 1 ? `${p.name}_${cmd.toLowerCase()}` : p.name,
        permissive: p.as === 'restrictive' ? 'RESTRICTIVE' : 'PERMISSIVE',
        cmd,
        roles,
        qual: p.using !== undefined ? ctx.deparse(t.table, p.using) : null,
        with_check: p.withCheck !== undefined ? ctx.deparse(t.table, p.withCheck) : null,
      }));
    });
    result.policies = [...result.policies.filter((p) => !(p.schema === f.schema && p.table === f.name)), ...policies];

    // RLS flags.
    if (t.rls === undefined) {
      if (policies.length > 0) relation.rls = true;
    } else {
      relation.rls = t.rls !== false;
      relation.force = t.rls === 'force';
    }

    // Table grants of managed grantees; the owner's privileges stay.
    const declared = merge(t.grants, ctx.tablePrivileges, owner);
    relation.acl = [...parseAcl(relation.acl).filter((e) => !managed.has(e.grantee) || e.grantee === owner).map((e) => entry(e.grantee, e.privilege, e.grantable)), ...flatten(declared)].sort(byText);

    // Sequence USAGE follows INSERT.
    const inserters = [...declared].filter(([, privileges]) => privileges.has('INSERT')).map(([grantee]) => grantee);
    for (const name of f.sequences) {
      const sequence = result.relations.find((r) => r.schema === f.schema && r.name === name)!;
      const kept = parseAcl(sequence.acl).filter((e) => !(managed.has(e.grantee) && e.privilege === 'USAGE' && e.grantee !== owner));
      sequence.acl = [...kept.map((e) => entry(e.grantee, e.privilege, e.grantable)), ...inserters.filter((g) => g !== owner).map((g) => entry(g, 'USAGE', false))].sort(byText);
    }

    const usage = usageBySchema.get(f.schema) ?? new Set<string>();
    for (const grantee of declared.keys()) usage.add(grantee);
    usageBySchema.set(f.schema, usage);
  }

  // Schemas: declared ones (created when missing) and those of declared tables.
  const declaredSchemas = new Map(spec.schemas.map((s) => [s.name, s]));
  for (const name of declaredSchemas.keys()) {
    if (!result.schemas.some((s) => s.name === name)) {
      result.schemas.push({ name, acl: [entry(ctx.currentUser, 'CREATE', false), entry(ctx.currentUser, 'USAGE', false)] });
    }
  }
  result.schemas.sort((x, y) => byText(x.name, y.name));
  for (const s of result.schemas) {
    const declaredSchema = declaredSchemas.get(s.name);
    const owner = ctx.schemaOwners.get(s.name) ?? ctx.currentUser;
    const usage = new Set([...(usageBySchema.get(s.name) ?? [])].filter((g) => g !== owner));
    if (!declaredSchema && usage.size === 0) continue;
    const acl = parseAcl(s.acl);
    const declared = declaredSchema ? merge(declaredSchema.grants, SCHEMA_PRIVILEGES, owner) : new Map<string, Map<string, boolean>>();
    const publicHasUsage =
      usage.has('PUBLIC') ||
      (declaredSchema && managed.has('PUBLIC') ? (declared.get('PUBLIC')?.has('USAGE') ?? false) : acl.some((e) => e.grantee === 'PUBLIC' && e.privilege === 'USAGE'));
    const implied = [...usage].filter((g) => g === 'PUBLIC' || !publicHasUsage);
    if (declaredSchema) {
      for (const g of implied) {
        const privileges = declared.get(g) ?? new Map<string, boolean>();
        if (!privileges.has('USAGE')) privileges.set('USAGE', false);
        declared.set(g, privileges);
      }
      s.acl = [...acl.filter((e) => !managed.has(e.grantee) || e.grantee === owner).map((e) => entry(e.grantee, e.privilege, e.grantable)), ...flatten(declared)].sort(byText);
    } else {
      // Not declared: USAGE is added where missing, nothing is revoked.
      const missing = implied.filter((g) => !acl.some((e) => e.grantee === g && e.privilege === 'USAGE'));
      s.acl = [...s.acl, ...missing.map((g) => entry(g, 'USAGE', false))].sort(byText);
    }
  }

  result.policies.sort((x, y) => byText(x.schema, y.schema) || byText(x.table, y.table) || byText(x.name, y.name));
  return result;
}

/**
 * Who holds privileges on a declared table without being managed (nor its
 * owner): each must be reported as an UNMANAGED_GRANT, as
 * `<schema>.<table>: <grantee>` ('PUBLIC' for PUBLIC).
 */
export function expectedUnmanagedHolders(before: AccessSnapshot, spec: AccessSpec, ctx: ExpectationContext): string[] {
  const label = (g: string) => (g === 'public' ? 'PUBLIC' : ctx.roles[g as keyof RoleNames]);
  const managed = new Set<string>(rolesOf(spec).map(label));
  for (const g of [...spec.tables.flatMap((t) => t.grants), ...spec.schemas.flatMap((s) => s.grants)]) for (const to of g.to) managed.add(label(to));
  const holders = new Set<string>();
  for (const t of spec.tables) {
    const f = fixtureTable(t.table);
    const owner = f.owner ? ctx.roles[f.owner] : ctx.currentUser;
    const relation = before.relations.find((r) => r.schema === f.schema && r.name === f.name)!;
    for (const e of parseAcl(relation.acl)) if (!managed.has(e.grantee) && e.grantee !== owner) holders.add(`${f.schema}.${f.name}: ${e.grantee}`);
  }
  return [...holders].sort(byText);
}
