/**
 * fast-check arbitraries for random but valid access declarations over the
 * fixture (test/property/fixture.ts), as plain data (`AccessSpec`,
 * access-spec.ts) that declaration-code.ts turns into a pg-access
 * declaration and into readable code for counterexamples, and
 * expected-catalog.ts into the catalogs it should produce. A pair also
 * carries some hand-made drift (fixture.driftTemplates) to start from.
 *
 * A spec covers tables (RLS, policies, table and column grants), schemas,
 * the member role with its attributes and memberships (INHERIT and SET
 * options only on PostgreSQL 16+), routines (EXECUTE, revokeFromPublic) and
 * default privileges (global or per schema, on tables or functions, for a
 * managed role or the connected one).
 *
 * Shrinking: everything is built from record / subarray / uniqueArray /
 * constantFrom / option, whose shrinks go towards "not declared", fewer
 * policies and grants, the first (simplest) constant, table-level grants and
 * no grant option, so a failing pair shrinks to the few objects that matter.
 */
import fc from 'fast-check';
import type { AccessPair, AccessSpec, Command, DefaultPrivilegesSpec, GrantSpec, Grantee, MemberSpec, MembershipSpec, PolicyRole, PolicySpec, RoutineSpec, TableSpec } from './access-spec.js';
import { commandsOf } from './access-spec.js';
import { describePair } from './declaration-code.js';
import { CRM, DEFAULT_PRIVILEGE_SCHEMAS, EXTRA_SCHEMA, FIXTURE_ROUTINES, FIXTURE_TABLES, MANAGED_ROLES, type FixtureRoutine, type FixtureTable } from './fixture.js';

export interface ArbitraryOptions {
  /** What 'ALL' means on tables for this server. */
  readonly tablePrivileges: readonly string[];
  /** PostgreSQL 16+: memberships may carry inherit and set. */
  readonly v16: boolean;
  /** The drift statements this server accepts (fixture.driftTemplates). */
  readonly drift: readonly string[];
  /**
   * Also draw roles declared with grants: 'where-declared'. Only for the
   * properties that observe both states (statement by statement, audit):
   * the round trip's catalog oracle does not model them.
   */
  readonly whereDeclared?: boolean;
}

/** Few names, so two declarations often share one (ALTER / recreate) and differ on others (create / drop); 'own' and 'Own' are two. */
export const POLICY_NAMES = ['own', 'fence', 'Own', 'Read All', `Mine's "view"; --`] as const;
const COMMANDS: readonly Command[] = ['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'];
const POLICY_ROLES: PolicyRole[] = ['a', 'b', 'c', 'public', 'current_user', 'session_user'];
const GRANTEES: Grantee[] = ['a', 'b', 'c', 'public'];

const COLUMN_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'];

const allowsUsing = (commands: readonly Command[]) => !commands.includes('INSERT');
const allowsWithCheck = (commands: readonly Command[]) => !commands.includes('SELECT') && !commands.includes('DELETE');

/** A rarely chosen alternative that shrinks back to the first one. */
function rarely<T, U>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<U>, weight = 4): fc.Arbitrary<T | U> {
  return fc.oneof({ withCrossShrink: true }, { arbitrary: usual, weight }, { arbitrary: rare, weight: 1 });
}

/** An optional value, left out (undefined) `1 / freq` of the time. */
const maybe = <T>(arbitrary: fc.Arbitrary<T>, freq = 2) => fc.option(arbitrary, { nil: undefined, freq });

/** Drops the keys whose value is undefined, so specs print and compare as written. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function policyArbitrary(t: FixtureTable): fc.Arbitrary<PolicySpec> {
  const expression = fc.option(fc.constantFrom(...t.expressions), { nil: undefined });
  return fc
    .record({
      name: fc.constantFrom(...POLICY_NAMES),
      as: fc.constantFrom('permissive' as const, 'restrictive' as const),
      for: rarely(fc.constantFrom(...COMMANDS), fc.subarray(['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as Command[], { minLength: 2, maxLength: 2 })),
      to: fc.option(fc.subarray(POLICY_ROLES, { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 5 }),
      using: expression,
      withCheck: expression,
    })
    .map((p) => {
      // Keep only the clauses the command accepts; an unused draw costs nothing and keeps shrinking simple.
      const commands = commandsOf(p);
      const { using, withCheck, to, ...rest } = p;
      return {
        ...rest,
        ...(to !== undefined ? { to } : {}),
        ...(using !== undefined && allowsUsing(commands) ? { using } : {}),
        ...(withCheck !== undefined && allowsWithCheck(commands) ? { withCheck } : {}),
      };
    });
}

function grantArbitrary(privileges: readonly string[]): fc.Arbitrary<GrantSpec> {
  return fc
    .record({
      privileges: rarely(fc.subarray([...privileges], { minLength: 1, maxLength: Math.min(3, privileges.length) }), fc.constant('ALL' as const)),
      to: fc.subarray(GRANTEES, { minLength: 1, maxLength: 3 }),
      withGrantOption: fc.nat(3).map((n) => n === 3),
    })
    // PostgreSQL: "grant options can only be granted to roles", never to PUBLIC.
    .map((g) => (g.withGrantOption && g.to.includes('public') ? { ...g, withGrantOption: false } : g));
}

/**
 * A table grant: table-level, or (2 in 5) column privileges on one or two
 * of its columns. The privileges overlap on purpose (SELECT INSERT UPDATE
 * REFERENCES exist on both), so a table-level REVOKE often meets column
 * grants of the same privilege (PostgreSQL revokes those too).
 */
function tableGrantArbitrary(t: FixtureTable, tablePrivileges: readonly string[]): fc.Arbitrary<GrantSpec> {
  const columnGrant = fc
    .record({ grant: grantArbitrary(COLUMN_PRIVILEGES), columns: fc.subarray([...t.columns], { minLength: 1, maxLength: 2 }) })
    .map(({ grant, columns }) => ({ ...grant, columns }));
  return fc.oneof({ withCrossShrink: true }, { arbitrary: grantArbitrary(tablePrivileges), weight: 3 }, { arbitrary: columnGrant, weight: 2 });
}

function tableArbitrary(t: FixtureTable, tablePrivileges: readonly string[]): fc.Arbitrary<TableSpec> {
  const isView = t.kind === 'view';
  return fc
    .record({
      table: fc.constant(t.id),
      split: fc.nat(4).map((n) => n === 4),
      rls: isView ? fc.constant(undefined) : fc.constantFrom(undefined, true, 'force' as const, false),
      policies: isView ? fc.constant([]) : fc.uniqueArray(policyArbitrary(t), { maxLength: 4, selector: (p) => p.name }),
      grants: fc.array(tableGrantArbitrary(t, tablePrivileges), { maxLength: 3 }),
    })
    .map(({ rls, ...rest }) => (rls === undefined ? rest : { ...rest, rls }));
}

function schemaArbitrary(name: string): fc.Arbitrary<AccessSpec['schemas'][number] | undefined> {
  const declared = fc
    .record({ name: fc.constant(name), grants: fc.array(grantArbitrary(['USAGE', 'CREATE']), { maxLength: 2 }), revokeFromPublic: maybe(fc.boolean(), 3) })
    .map((s) => defined(s));
  return rarely(fc.constant(undefined), declared, 3);
}

function membershipArbitrary(v16: boolean): fc.Arbitrary<MembershipSpec> {
  const option = v16 ? maybe(fc.boolean()) : fc.constant(undefined);
  return fc
    .record({ role: fc.constantFrom(...MANAGED_ROLES), admin: maybe(fc.boolean()), inherit: option, set: option })
    .map((m) => defined(m));
}

/** The member role: a few attributes (inherit matters: on 16+ it is the default of a membership's INHERIT) and 0-3 memberships. */
function memberArbitrary(v16: boolean): fc.Arbitrary<MemberSpec> {
  return fc
    .record({
      login: maybe(fc.boolean(), 3),
      inherit: maybe(fc.boolean()),
      createDb: maybe(fc.boolean(), 3),
      connectionLimit: maybe(fc.constantFrom(-1, 0, 5), 3),
      inRoles: fc.uniqueArray(membershipArbitrary(v16), { maxLength: 3, selector: (m) => m.role }),
    })
    .map((m) => defined(m));
}

function routineArbitrary(r: FixtureRoutine): fc.Arbitrary<RoutineSpec> {
  return fc
    .record({ routine: fc.constant(r.id), grants: fc.array(grantArbitrary(['EXECUTE']), { maxLength: 2 }), revokeFromPublic: maybe(fc.boolean()) })
    .map((x) => defined(x));
}

export const defaultPrivilegesKey = (d: Pick<DefaultPrivilegesSpec, 'forRole' | 'inSchema' | 'on'>) => `${d.forRole ?? '-'}|${d.inSchema ?? '-'}|${d.on}`;

function defaultPrivilegesArbitrary(tablePrivileges: readonly string[]): fc.Arbitrary<DefaultPrivilegesSpec> {
  return fc
    .record({
      forRole: maybe(fc.constantFrom(...MANAGED_ROLES), 4),
      inSchema: maybe(fc.constantFrom(...DEFAULT_PRIVILEGE_SCHEMAS)),
      on: fc.constantFrom('tables' as const, 'functions' as const),
      tableGrants: fc.array(grantArbitrary(tablePrivileges), { maxLength: 2 }),
      functionGrants: fc.array(grantArbitrary(['EXECUTE']), { maxLength: 2 }),
      revokeFromPublic: maybe(fc.boolean()),
    })
    .map(({ tableGrants, functionGrants, revokeFromPublic, ...d }) =>
      // pg-access refuses revokeFromPublic with inSchema (per-schema entries only add to the global ones).
      defined({ ...d, grants: d.on === 'tables' ? tableGrants : functionGrants, revokeFromPublic: d.inSchema === undefined ? revokeFromPublic : undefined }),
    );
}

export function accessSpecArbitrary(o: ArbitraryOptions): fc.Arbitrary<AccessSpec> {
  return fc
    .record({
      loose: fc.boolean(),
      extraRoles: fc.subarray([...MANAGED_ROLES]),
      member: maybe(memberArbitrary(o.v16), 3),
      schemas: fc.tuple(schemaArbitrary('public'), schemaArbitrary(CRM), schemaArbitrary(EXTRA_SCHEMA)).map((list) => list.filter((s) => s !== undefined)),
      tables: fc
        .tuple(...FIXTURE_TABLES.map((t) => fc.option(tableArbitrary(t, o.tablePrivileges), { nil: undefined, freq: 4 })))
        .map((list) => list.filter((t): t is TableSpec => t !== undefined)),
      routines: fc.tuple(...FIXTURE_ROUTINES.map((r) => maybe(routineArbitrary(r)))).map((list) => list.filter((r): r is RoutineSpec => r !== undefined)),
      defaultPrivileges: fc.uniqueArray(defaultPrivilegesArbitrary(o.tablePrivileges), { maxLength: 2, selector: defaultPrivilegesKey }),
      impliedGrants: rarely(fc.constant(undefined), fc.constant(false), 5),
      whereDeclared: o.whereDeclared ? rarely(fc.constant(undefined), fc.subarray([...MANAGED_ROLES], { minLength: 1 }), 3) : fc.constant(undefined),
    })
    .map((spec) => defined(spec));
}

type Relation = 'independent' | 'same' | 'edited';

/**
 * Pairs (A, B). B is drawn on its own, and each of its tables, its member
 * role, its routines and its default privileges are, now and then, A's
 * (unchanged), or A's objects with B's contents: a table with A's policies
 * but B's roles, expressions, RLS and grants (so policies change: their
 * old versions are replaced); the member role with A's groups but B's options and
 * attributes (options change in place); A's routines and default-privilege
 * entries with B's grants. Shrinks towards independent declarations.
 */
export function accessPairArbitrary(o: ArbitraryOptions): fc.Arbitrary<AccessPair> {
  const spec = accessSpecArbitrary(o);
  const relation = fc.constantFrom<Relation>('independent', 'independent', 'same', 'edited');
  return fc
    .record({
      drift: fc.subarray([...o.drift], { maxLength: 5 }),
      a: spec,
      b: spec,
      relations: fc.array(relation, { minLength: FIXTURE_TABLES.length + 3, maxLength: FIXTURE_TABLES.length + 3 }),
    })
    .map(({ drift, a, b, relations }) => {
      const tables = FIXTURE_TABLES.flatMap((t, i) => {
        const ofA = a.tables.find((x) => x.table === t.id);
        const ofB = b.tables.find((x) => x.table === t.id);
        const chosen = relations[i] === 'same' ? ofA : relations[i] === 'edited' && ofA && ofB ? edited(ofA, ofB) : ofB;
        return chosen ? [chosen] : [];
      });
      const [forMember, forRoutines, forDefaults] = relations.slice(FIXTURE_TABLES.length) as [Relation, Relation, Relation];
      const member = forMember === 'same' ? a.member : forMember === 'edited' && a.member && b.member ? editedMember(a.member, b.member) : b.member;
      const routines = forRoutines === 'same' ? a.routines : forRoutines === 'edited' ? a.routines.map((r, i) => withContentsOf(r, b.routines[i])) : b.routines;
      const defaultPrivileges =
        forDefaults === 'same'
          ? a.defaultPrivileges
          : forDefaults === 'edited'
            ? a.defaultPrivileges.map((d, i) => {
                const q = b.defaultPrivileges[i];
                // Grants fit the kind of object: only an entry on the same kind lends them.
                return q?.on === d.on ? withContentsOf(d, q, d.inSchema === undefined) : d;
              })
            : b.defaultPrivileges;
      const { member: _member, ...restOfB } = b;
      return withToString({ drift, a, b: defined({ ...restOfB, member, tables, routines, defaultPrivileges }) });
    });
}

/** A's policies (names, commands, permissive or not) with B's roles and expressions where B has a policy at the same position. */
function edited(a: TableSpec, b: TableSpec): TableSpec {
  const policies = a.policies.map((p, i) => {
    const q = b.policies[i];
    if (!q) return p;
    const commands = commandsOf(p);
    const { to: _to, using: _using, withCheck: _withCheck, ...kept } = p;
    return {
      ...kept,
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.using !== undefined && allowsUsing(commands) ? { using: q.using } : {}),
      ...(q.withCheck !== undefined && allowsWithCheck(commands) ? { withCheck: q.withCheck } : {}),
    };
  });
  return { ...b, policies };
}

/** A's groups with the options B gives its memberships (by position), and B's attributes. */
function editedMember(a: MemberSpec, b: MemberSpec): MemberSpec {
  const inRoles = a.inRoles.map((m, i) => {
    const q = b.inRoles[i];
    return q ? defined({ role: m.role, admin: q.admin, inherit: q.inherit, set: q.set }) : m;
  });
  return { ...b, inRoles };
}

/** The same object (routine or default-privileges entry) with the grants and revokeFromPublic of another. */
function withContentsOf<T extends RoutineSpec | DefaultPrivilegesSpec>(a: T, b: RoutineSpec | DefaultPrivilegesSpec | undefined, revokeAllowed = true): T {
  if (!b) return a;
  const { revokeFromPublic: _r, ...rest } = a;
  return defined({ ...rest, grants: b.grants, revokeFromPublic: revokeAllowed ? b.revokeFromPublic : undefined }) as T;
}

function withToString(pair: AccessPair): AccessPair {
  return Object.assign(pair, { [fc.toStringMethod]: () => describePair(pair) });
}
