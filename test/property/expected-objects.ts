/**
 * The expected catalogs for routines, default privileges and the member
 * role, from the README's rules, without pg-access (expected-catalog.ts
 * does tables and schemas and calls these):
 *
 * - routines: the managed grantees' EXECUTE is exactly the declared one (the
 *   owner's is implicit and kept); PUBLIC's is only taken away with
 *   `revokeFromPublic: true` (then PUBLIC keeps exactly what the grants give
 *   it), otherwise a grant to PUBLIC is only added;
 * - default privileges: the same rules on the pg_default_acl entry of
 *   (forRole or the connected role, inSchema or global, tables or
 *   functions). PostgreSQL's rows: a global entry without a row means the
 *   built-in defaults (the owner holds everything; PUBLIC may EXECUTE
 *   functions) and the row disappears when the ACL is back to them; a
 *   per-schema entry without a row means nothing, and the row disappears
 *   when its ACL is empty;
 * - the member role, when declared with role(): attributes as declared
 *   (left out: CREATE ROLE's defaults), created when missing (with the
 *   marker comment naming the database), and memberships exactly its
 *   inRoles: ADMIN as declared (default false); on 16+ INHERIT as declared,
 *   default the role's own inherit attribute, and SET as declared, default
 *   true. Left out of a declaration, the role is left as it is.
 */
import type { AccessSnapshot, RoleFacts } from '../support/catalog.js';
import type { AccessSpec, DefaultPrivilegesSpec, RoutineSpec } from './access-spec.js';
import { byText, combine, entry, merge, parseAcl } from './expected-acl.js';
import type { ExpectationContext } from './expected-catalog.js';
import { fixtureRoutine } from './fixture.js';

/** Applies the declared routines' grants to `result` in place; returns the grantees needing USAGE per schema. */
export function expectRoutines(result: AccessSnapshot, routines: readonly RoutineSpec[], managed: ReadonlySet<string>, ctx: ExpectationContext, label: (g: string) => string): Map<string, Set<string>> {
  const usage = new Map<string, Set<string>>();
  for (const r of routines) {
    const f = fixtureRoutine(r.routine);
    const owner = f.owner ? ctx.roles[f.owner] : ctx.currentUser;
    // Procedures' identity arguments carry their mode (IN) on some versions.
    const routine = result.routines.find((x) => x.signature.replace(/\bIN /g, '') === f.signature);
    if (!routine) throw new Error(`routine ${f.signature} is not in the snapshot (${result.routines.map((x) => x.signature).join(", ")})`);
    const declared = merge(r.grants, ['EXECUTE'], owner, label);
    const kept = parseAcl(routine.acl).filter((e) => e.grantee === owner || (e.grantee === 'PUBLIC' ? !r.revokeFromPublic : !managed.has(e.grantee)));
    routine.acl = combine(kept, declared);
    // Like a table's grantees, a routine's need USAGE on its schema (pg-access grants it; the README says so for tables).
    const needing = usage.get(f.schema) ?? new Set<string>();
    for (const grantee of declared.keys()) needing.add(grantee);
    usage.set(f.schema, needing);
  }
  return usage;
}

/** Applies the declared default privileges to `result` in place. */
export function expectDefaultPrivileges(result: AccessSnapshot, entries: readonly DefaultPrivilegesSpec[], managed: ReadonlySet<string>, ctx: ExpectationContext, label: (g: string) => string): void {
  for (const d of entries) {
    const owner = d.forRole ? ctx.roles[d.forRole] : ctx.currentUser;
    const key = `${owner}|${d.inSchema ?? '-'}|${d.on === 'tables' ? 'r' : 'f'}`;
    const privileges = d.on === 'tables' ? ctx.tablePrivileges : ['EXECUTE'];
    // acldefault(): what a global entry without a row means.
    const builtin = d.inSchema !== undefined ? [] : [...privileges.map((p) => entry(owner, p, false)), ...(d.on === 'functions' ? [entry('PUBLIC', 'EXECUTE', false)] : [])].sort(byText);
    const row = result.defaultAcls.find((x) => x.key === key);
    // PUBLIC is add-only where PostgreSQL gives it a default (a global entry
    // for functions) unless revokeFromPublic; elsewhere it is managed like any
    // grantee once the declaration names it, and on this entry whenever it
    // says revokeFromPublic (PUBLIC then keeps only what the grants give it).
    const publicByDefault = d.inSchema === undefined && d.on === 'functions';
    const publicManaged = (e: { grantee: string }) => (publicByDefault ? d.revokeFromPublic === true : managed.has('PUBLIC') || d.revokeFromPublic === true);
    const kept = parseAcl(row?.acl ?? builtin).filter((e) => e.grantee === owner || (e.grantee === 'PUBLIC' ? !publicManaged(e) : !managed.has(e.grantee)));
    const acl = combine(kept, merge(d.grants, privileges, owner, label));
    const others = result.defaultAcls.filter((x) => x.key !== key);
    result.defaultAcls = acl.join('\n') === builtin.join('\n') ? others : [...others, { key, acl }];
  }
  result.defaultAcls.sort((x, y) => byText(x.key, y.key));
}

/** The fixture roles after the declaration: only the member role changes, and only when declared. */
export function expectRoles(before: readonly RoleFacts[], spec: AccessSpec, ctx: ExpectationContext): RoleFacts[] {
  const m = spec.member;
  if (!m) return structuredClone([...before]);
  const name = ctx.roles.m;
  const existing = before.find((r) => r.name === name);
  const inherit = m.inherit ?? true;
  const facts: RoleFacts = {
    name,
    login: m.login ?? false,
    inherit,
    bypassRls: false,
    createDb: m.createDb ?? false,
    createRole: false,
    connectionLimit: m.connectionLimit ?? -1,
    // The fixture never sets VALID UNTIL.
    validUntil: null,
    comment: existing ? existing.comment : `created by pg-access (database "${ctx.database}")`,
    memberOf: m.inRoles
      .map((g) => `${ctx.roles[g.role]} admin=${g.admin ?? false}${ctx.v16 ? ` inherit=${g.inherit ?? inherit} set=${g.set ?? true}` : ''}`)
      .sort(byText),
  };
  return [...before.filter((r) => r.name !== name), facts].sort((x, y) => byText(x.name, y.name));
}
