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
 * - the managed grantees are the listed roles (the member role too when
 *   declared) and every grantee a grant names (PUBLIC included);
 * - the grants of managed grantees on a declared table are exactly the
 *   declared ones, merged per privilege (grantable if any grant says so),
 *   'ALL' being the server's list; the owner's are left out and its own
 *   privileges kept; the same for their column privileges (which PostgreSQL
 *   keeps apart from table privileges): exactly the declared column grants,
 *   whatever a table-level REVOKE takes with it;
 * - each managed grantee holds USAGE (without grant option) on the
 *   sequences of a declared table exactly when it is granted INSERT on it
 *   (on the table or a column); the sequences' other privileges are left
 *   alone;
 * - every table (or column, or routine) grantee gets USAGE on the object's
 *   schema when that schema is not declared, unless PUBLIC holds it once the
 *   declaration is applied; there nothing is ever revoked; a declared
 *   schema's ACL for the managed grantees is exactly its declared grants
 *   (nothing implied), and a declared schema that does not exist is
 *   created, owned by the connected role;
 * - routines, default privileges and the member role: expected-objects.ts;
 * - everything else is as it was.
 *
 * Expressions are compared with the text PostgreSQL stored for the same
 * expression created directly on a scratch copy of the table (`deparse`).
 */
import type { AccessSnapshot, CatalogPolicy } from '../support/catalog.js';
import { allGrants, commandsOf, rolesOf, type AccessSpec } from './access-spec.js';
import type { CatalogState } from './catalog-lines.js';
import { addTo, byText, combine, entry, flatten, merge, parseAcl, type AclEntry, type AclMap } from './expected-acl.js';
import { expectDefaultPrivileges, expectRoles, expectRoutines } from './expected-objects.js';
import { fixtureTable, type RoleNames } from './fixture.js';

export interface ExpectationContext {
  readonly roles: RoleNames;
  /** The connected role: current_user in policies, owner of created schemas, of the fixture and of default privileges without forRole. */
  readonly currentUser: string;
  readonly sessionUser: string;
  /** The test database (named in the comment of a role pg-access creates). */
  readonly database: string;
  /** PostgreSQL 16+: memberships have INHERIT and SET options. */
  readonly v16: boolean;
  /** Owners of the schemas a declaration can touch (grants to them are left out; they need no USAGE). */
  readonly schemaOwners: ReadonlyMap<string, string>;
  /** What 'ALL' means on tables for this server. */
  readonly tablePrivileges: readonly string[];
  /** PostgreSQL's stored text for a pool expression on a fixture table. */
  deparse(table: AccessSpec['tables'][number]['table'], expression: string): string;
}

const SCHEMA_PRIVILEGES = ['USAGE', 'CREATE'];
const COLUMN_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'];

const labelFor = (ctx: ExpectationContext) => (g: string) => (g === 'public' ? 'PUBLIC' : ctx.roles[g as keyof RoleNames]);

/** The grantees whose privileges on declared objects the declaration manages, as the snapshot spells them. */
function managedGrantees(spec: AccessSpec, ctx: ExpectationContext): Set<string> {
  const label = labelFor(ctx);
  const managed = new Set<string>(rolesOf(spec).map(label));
  if (spec.member) managed.add(ctx.roles.m);
  for (const g of allGrants(spec)) for (const to of g.to) managed.add(label(to));
  return managed;
}

/** A column ACL entry is `<column> <grantee>:<privilege>`; column names may contain spaces. */
function parseColumnAcl(entries: readonly string[], columns: readonly string[]): (AclEntry & { column: string })[] {
  const longestFirst = [...columns].sort((x, y) => y.length - x.length);
  return entries.map((e) => {
    const column = longestFirst.find((c) => e.startsWith(`${c} `));
    if (column === undefined) throw new Error(`column ACL entry ${JSON.stringify(e)} names no fixture column`);
    return { column, ...parseAcl([e.slice(column.length + 1)])[0]! };
  });
}

export function expectedSnapshot(before: CatalogState, spec: AccessSpec, ctx: ExpectationContext): CatalogState {
  const label = labelFor(ctx);
  const managed = managedGrantees(spec, ctx);
  const result: AccessSnapshot = structuredClone(before.access);
  const usageBySchema = new Map<string, Set<string>>();
  const needUsage = (schema: string, grantees: Iterable<string>) => {
    const usage = usageBySchema.get(schema) ?? new Set<string>();
    for (const g of grantees) usage.add(g);
    usageBySchema.set(schema, usage);
  };

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
    const declared = merge(
      t.grants.filter((g) => !g.columns),
      ctx.tablePrivileges,
      owner,
      label,
    );
    relation.acl = combine(
      parseAcl(relation.acl).filter((e) => !managed.has(e.grantee) || e.grantee === owner),
      declared,
    );

    // Column grants of managed grantees: exactly the declared ones.
    const declaredColumns = new Map<string, AclMap>();
    for (const g of t.grants) {
      for (const column of g.columns ?? []) {
        const acl = declaredColumns.get(column) ?? new Map();
        for (const [grantee, privileges] of merge([g], COLUMN_PRIVILEGES, owner, label)) for (const [p, grantable] of privileges) addTo(acl, grantee, p, grantable);
        declaredColumns.set(column, acl);
      }
    }
    const keptColumns = parseColumnAcl(relation.columnAcl, f.columns).filter((e) => !managed.has(e.grantee) || e.grantee === owner);
    relation.columnAcl = [
      ...keptColumns.map((e) => `${e.column} ${entry(e.grantee, e.privilege, e.grantable)}`),
      ...[...declaredColumns].flatMap(([column, acl]) => flatten(acl).map((e) => `${column} ${e}`)),
    ].sort(byText);
    const columnGrantees = new Set([...declaredColumns.values()].flatMap((acl) => [...acl.keys()]));

    // Sequence USAGE follows INSERT (on the table or any of its columns).
    const inserters = new Set([...declared, ...[...declaredColumns.values()].flatMap((acl) => [...acl])].filter(([, privileges]) => privileges.has('INSERT')).map(([grantee]) => grantee));
    // Without implied grants, owned sequences are left alone.
    for (const name of spec.impliedGrants === false ? [] : f.sequences) {
      const sequence = result.relations.find((r) => r.schema === f.schema && r.name === name)!;
      const kept = parseAcl(sequence.acl).filter((e) => !(managed.has(e.grantee) && e.privilege === 'USAGE' && e.grantee !== owner));
      sequence.acl = [...kept.map((e) => entry(e.grantee, e.privilege, e.grantable)), ...[...inserters].filter((g) => g !== owner).map((g) => entry(g, 'USAGE', false))].sort(byText);
    }

    needUsage(f.schema, [...declared.keys(), ...columnGrantees]);
  }

  for (const [schema, grantees] of expectRoutines(result, spec.routines, managed, ctx, label)) needUsage(schema, grantees);
  expectDefaultPrivileges(result, spec.defaultPrivileges, managed, ctx, label);

  // Schemas: declared ones (created when missing) and those of declared tables and routines.
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
    const declared = declaredSchema ? merge(declaredSchema.grants, SCHEMA_PRIVILEGES, owner, label) : new Map<string, Map<string, boolean>>();
    const publicHasUsage = usage.has('PUBLIC') || acl.some((e) => e.grantee === 'PUBLIC' && e.privilege === 'USAGE');
    const implied = spec.impliedGrants === false ? [] : [...usage].filter((g) => g === 'PUBLIC' || !publicHasUsage);
    if (declaredSchema) {
      // A declared schema's ACL is exactly what it declares: nothing implied. PUBLIC's entry too with revokeFromPublic.
      const managedHere = (g: string) => managed.has(g) || (g === 'PUBLIC' && declaredSchema.revokeFromPublic === true);
      s.acl = combine(
        acl.filter((e) => !managedHere(e.grantee) || e.grantee === owner),
        declared,
      );
    } else {
      // Not declared: USAGE is added where missing, nothing is revoked.
      const missing = implied.filter((g) => !acl.some((e) => e.grantee === g && e.privilege === 'USAGE'));
      s.acl = [...s.acl, ...missing.map((g) => entry(g, 'USAGE', false))].sort(byText);
    }
  }

  result.policies.sort((x, y) => byText(x.schema, y.schema) || byText(x.table, y.table) || byText(x.name, y.name));
  return { access: result, roles: expectRoles(before.roles, spec, ctx) };
}

/**
 * Who holds privileges on a declared table or its columns without being
 * managed (nor its owner): each must be reported as an UNMANAGED_GRANT, as
 * `<schema>.<table>: <grantee>` or `column <schema>.<table>.<column>:
 * <grantee>` ('PUBLIC' for PUBLIC).
 */
export function expectedUnmanagedHolders(before: AccessSnapshot, spec: AccessSpec, ctx: ExpectationContext): string[] {
  const managed = managedGrantees(spec, ctx);
  const holders = new Set<string>();
  for (const t of spec.tables) {
    const f = fixtureTable(t.table);
    const owner = f.owner ? ctx.roles[f.owner] : ctx.currentUser;
    const relation = before.relations.find((r) => r.schema === f.schema && r.name === f.name)!;
    for (const e of parseAcl(relation.acl)) if (!managed.has(e.grantee) && e.grantee !== owner) holders.add(`${f.schema}.${f.name}: ${e.grantee}`);
    for (const e of parseColumnAcl(relation.columnAcl, f.columns)) {
      if (!managed.has(e.grantee) && e.grantee !== owner) holders.add(`column ${f.schema}.${f.name}.${e.column}: ${e.grantee}`);
    }
  }
  return [...holders].sort(byText);
}
