/**
 * fast-check arbitraries for random but valid access declarations over the
 * fixture (test/property/fixture.ts), as plain data (`AccessSpec`) that is
 * turned into a pg-access declaration (`toDeclaration`), into the catalogs
 * it should produce (expected-catalog.ts), and into readable code
 * (`describeSpec`, `describePair`) for counterexamples. A pair also carries
 * some hand-made drift (fixture.DRIFT_SQL) to start from.
 *
 * Shrinking: everything is built from record / subarray / uniqueArray /
 * constantFrom / option, whose shrinks go towards "not declared", fewer
 * policies and grants, the first (simplest) constant, and no grant option,
 * so a failing pair shrinks to the few objects that matter.
 */
import fc from 'fast-check';
import { defineAccess, grant, policy, schema, table, type AccessDeclaration, type PolicyOptions } from '../../src/index.js';
import { CRM, DRIFT_SQL, EXTRA_SCHEMA, FIXTURE_TABLES, fixtureTable, MANAGED_ROLES, type FixtureTable, type FixtureTableId, type ManagedRole, type RoleNames } from './fixture.js';

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
}

export interface AccessSpec {
  /** Written the way a person might (see `written`) rather than canonically; must mean the same. */
  readonly loose: boolean;
  /** Roles listed in defineAccess({ roles }) besides those the policies and grants name. */
  readonly extraRoles: readonly ManagedRole[];
  readonly schemas: readonly SchemaSpec[];
  readonly tables: readonly TableSpec[];
}

export interface AccessPair {
  /** Hand-made drift (fixture.DRIFT_SQL) run before A. */
  readonly drift: readonly string[];
  readonly a: AccessSpec;
  readonly b: AccessSpec;
}

/** Few names, so two declarations often share one (ALTER / recreate) and differ on others (create / drop); 'own' and 'Own' are two. */
export const POLICY_NAMES = ['own', 'fence', 'Own', 'Read All', `Mine's "view"; --`] as const;
const COMMANDS: readonly Command[] = ['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'];
const POLICY_ROLES: PolicyRole[] = ['a', 'b', 'c', 'public', 'current_user', 'session_user'];
const GRANTEES: Grantee[] = ['a', 'b', 'c', 'public'];

/** Which clauses a command (or every command of a list) accepts, as CREATE POLICY does. */
export function commandsOf(p: Pick<PolicySpec, 'for'>): readonly Command[] {
  return typeof p.for === 'string' ? [p.for] : p.for;
}
const allowsUsing = (commands: readonly Command[]) => !commands.includes('INSERT');
const allowsWithCheck = (commands: readonly Command[]) => !commands.includes('SELECT') && !commands.includes('DELETE');

/** A rarely chosen alternative that shrinks back to the first one. */
function rarely<T, U>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<U>, weight = 4): fc.Arbitrary<T | U> {
  return fc.oneof({ withCrossShrink: true }, { arbitrary: usual, weight }, { arbitrary: rare, weight: 1 });
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

function tableArbitrary(t: FixtureTable, tablePrivileges: readonly string[]): fc.Arbitrary<TableSpec> {
  const isView = t.kind === 'view';
  return fc
    .record({
      table: fc.constant(t.id),
      split: fc.nat(4).map((n) => n === 4),
      rls: isView ? fc.constant(undefined) : fc.constantFrom(undefined, true, 'force' as const, false),
      policies: isView ? fc.constant([]) : fc.uniqueArray(policyArbitrary(t), { maxLength: 4, selector: (p) => p.name }),
      grants: fc.array(grantArbitrary(tablePrivileges), { maxLength: 3 }),
    })
    .map(({ rls, ...rest }) => (rls === undefined ? rest : { ...rest, rls }));
}

function schemaArbitrary(name: string): fc.Arbitrary<SchemaSpec | undefined> {
  const declared = fc.record({ name: fc.constant(name), grants: fc.array(grantArbitrary(['USAGE', 'CREATE']), { maxLength: 2 }) });
  return rarely(fc.constant(undefined), declared, 3);
}

export function accessSpecArbitrary(tablePrivileges: readonly string[]): fc.Arbitrary<AccessSpec> {
  return fc.record({
    loose: fc.boolean(),
    extraRoles: fc.subarray([...MANAGED_ROLES]),
    schemas: fc.tuple(schemaArbitrary('public'), schemaArbitrary(CRM), schemaArbitrary(EXTRA_SCHEMA)).map((list) => list.filter((s): s is SchemaSpec => s !== undefined)),
    tables: fc
      .tuple(...FIXTURE_TABLES.map((t) => fc.option(tableArbitrary(t, tablePrivileges), { nil: undefined, freq: 4 })))
      .map((list) => list.filter((t): t is TableSpec => t !== undefined)),
  });
}

/**
 * Pairs (A, B). B is drawn on its own, and each of its tables is, now and
 * then, A's declaration of that table instead (unchanged), or A's with the
 * roles, expressions, RLS and grants of B's (so the same policies change in
 * place: ALTER POLICY). Shrinks towards independent declarations.
 */
export function accessPairArbitrary(tablePrivileges: readonly string[]): fc.Arbitrary<AccessPair> {
  const spec = accessSpecArbitrary(tablePrivileges);
  const relation = fc.constantFrom('independent', 'independent', 'same', 'edited') as fc.Arbitrary<'independent' | 'same' | 'edited'>;
  return fc
    .record({
      drift: fc.subarray([...DRIFT_SQL], { maxLength: 4 }),
      a: spec,
      b: spec,
      relations: fc.array(relation, { minLength: FIXTURE_TABLES.length, maxLength: FIXTURE_TABLES.length }),
    })
    .map(({ drift, a, b, relations }) => {
      const tables = FIXTURE_TABLES.flatMap((t, i) => {
        const ofA = a.tables.find((x) => x.table === t.id);
        const ofB = b.tables.find((x) => x.table === t.id);
        const chosen = relations[i] === 'same' ? ofA : relations[i] === 'edited' && ofA && ofB ? edited(ofA, ofB) : ofB;
        return chosen ? [chosen] : [];
      });
      return withToString({ drift, a, b: { ...b, tables } });
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

function withToString(pair: AccessPair): AccessPair {
  return Object.assign(pair, { [fc.toStringMethod]: () => describePair(pair) });
}

/** The drift SQL and both declarations, as a failure report shows them. */
export function describePair(pair: AccessPair): string {
  return `\n${pair.drift.length ? `drift before A:\n${pair.drift.map((d) => `  ${d};`).join('\n')}\n` : ''}A = ${describeSpec(pair.a)}\nB = ${describeSpec(pair.b)}\n`;
}

/** The roles defineAccess must list: the extra ones and every managed role a policy or grant names. */
export function rolesOf(spec: AccessSpec): ManagedRole[] {
  const used = new Set<ManagedRole>(spec.extraRoles);
  const add = (names: readonly string[]) => names.forEach((n) => (MANAGED_ROLES as readonly string[]).includes(n) && used.add(n as ManagedRole));
  for (const t of spec.tables) {
    for (const p of t.policies) add(p.to ?? []);
    for (const g of t.grants) add(g.to);
  }
  for (const s of spec.schemas) for (const g of s.grants) add(g.to);
  return MANAGED_ROLES.filter((r) => used.has(r));
}

/** A managed role, written r.a in printed code and resolved to its real name in declarations. */
class RoleRef {
  constructor(readonly key: ManagedRole) {}
}
type Written = string | RoleRef;
type OneOrMany<T> = T | T[];
interface WrittenGrant {
  privileges: OneOrMany<string>;
  options: { to: OneOrMany<Written>; withGrantOption?: true };
}
interface WrittenPolicy {
  name: string;
  options: { as?: string; for?: OneOrMany<string>; to?: OneOrMany<Written>; using?: string; withCheck?: string };
}
interface WrittenTable {
  name: string;
  options: { rls?: boolean | 'force'; policies?: WrittenPolicy[]; grants?: WrittenGrant[] };
}
interface WrittenDeclaration {
  roles: RoleRef[];
  schemas: { name: string; grants: WrittenGrant[] }[];
  tables: WrittenTable[];
}

/**
 * How a spec is written as a declaration. Canonical: every option spelled
 * out, lists everywhere. Loose (spec.loose): what a person might write and
 * pg-access must read the same way: defaults left out, single values
 * without a list, lower-case privileges and commands, 'all privileges',
 * 'PUBLIC', 'CURRENT_USER', fully quoted or unqualified table names. A split
 * table is declared in two table() entries, which pg-access merges.
 */
function written(spec: AccessSpec): WrittenDeclaration {
  const loose = spec.loose;
  const one = <T>(items: T[]): OneOrMany<T> => (loose && items.length === 1 ? items[0]! : items);
  const role = (r: string): Written =>
    (MANAGED_ROLES as readonly string[]).includes(r) ? new RoleRef(r as ManagedRole) : loose ? ({ public: 'PUBLIC', current_user: 'CURRENT_USER', session_user: 'Session_User' } as Record<string, string>)[r]! : r;
  const grants = (list: readonly GrantSpec[]): WrittenGrant[] =>
    list.map((g) => ({
      privileges: g.privileges === 'ALL' ? (loose ? 'all privileges' : 'ALL') : one(g.privileges.map((p) => (loose ? p.toLowerCase() : p))),
      options: { to: one(g.to.map(role)), ...(g.withGrantOption ? { withGrantOption: true as const } : {}) },
    }));
  const policies = (list: readonly PolicySpec[]): WrittenPolicy[] =>
    list.map((p) => {
      const commands = commandsOf(p).map((c) => (loose ? c.toLowerCase() : c));
      return {
        name: p.name,
        options: {
          ...(loose && p.as === 'permissive' ? {} : { as: p.as }),
          ...(loose && typeof p.for === 'string' && p.for === 'ALL' ? {} : { for: typeof p.for === 'string' ? commands[0]! : commands }),
          ...(p.to ? { to: one(p.to.map(role)) } : {}),
          ...(p.using !== undefined ? { using: p.using } : {}),
          ...(p.withCheck !== undefined ? { withCheck: p.withCheck } : {}),
        },
      };
    });
  const tables = spec.tables.flatMap((t): WrittenTable[] => {
    const f = fixtureTable(t.table);
    const name = loose ? f.looseName : f.declaredAs;
    const rls = t.rls !== undefined ? { rls: t.rls } : {};
    const ps = policies(t.policies);
    const gs = grants(t.grants);
    if (!t.split) return [{ name, options: { ...rls, policies: ps, grants: gs } }];
    const half = <T>(items: T[]) => [items.slice(0, Math.ceil(items.length / 2)), items.slice(Math.ceil(items.length / 2))] as const;
    const [p1, p2] = half(ps);
    const [g1, g2] = half(gs);
    return [
      { name: f.declaredAs, options: { ...rls, policies: p1, grants: g1 } },
      { name: f.looseName, options: { policies: p2, grants: g2 } },
    ];
  });
  return {
    roles: rolesOf(spec).map((r) => new RoleRef(r)),
    schemas: spec.schemas.map((x) => ({ name: x.name, grants: grants(x.grants) })),
    tables,
  };
}

export function toDeclaration(spec: AccessSpec, roles: RoleNames): AccessDeclaration {
  const resolve = (w: Written) => (w instanceof RoleRef ? roles[w.key] : w);
  const resolveAll = (w: OneOrMany<Written>) => (Array.isArray(w) ? w.map(resolve) : resolve(w));
  const grants = (list: WrittenGrant[]) => list.map((g) => grant(g.privileges, { ...g.options, to: resolveAll(g.options.to) }));
  const d = written(spec);
  return defineAccess({
    roles: d.roles.map(resolve),
    schemas: d.schemas.map((x) => schema(x.name, { grants: grants(x.grants) })),
    tables: d.tables.map((t) =>
      table(t.name, {
        ...t.options,
        policies: (t.options.policies ?? []).map((p) =>
          policy(p.name, { ...(p.options as PolicyOptions), ...(p.options.to !== undefined ? { to: resolveAll(p.options.to) } : {}) }),
        ),
        grants: grants(t.options.grants ?? []),
      }),
    ),
  });
}

/** The declaration as pg-access code, roles as r.a / r.b / r.c: paste it into a regression test. */
export function describeSpec(spec: AccessSpec): string {
  const str = (s: string) => (/['\\\n]/.test(s) ? JSON.stringify(s) : `'${s}'`);
  const value = (v: unknown): string =>
    v instanceof RoleRef ? `r.${v.key}` : typeof v === 'string' ? str(v) : Array.isArray(v) ? `[${v.map(value).join(', ')}]` : String(v);
  const object = (o: Record<string, unknown>) => {
    const entries = Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0));
    return entries.length ? `{ ${entries.map(([k, v]) => `${k}: ${value(v)}`).join(', ')} }` : '{}';
  };
  const block = (items: string[], indent: string) => (items.length ? `[\n${items.map((i) => `${indent}  ${i},`).join('\n')}\n${indent}]` : '[]');
  const grants = (gs: WrittenGrant[], indent: string) => block(gs.map((g) => `grant(${value(g.privileges)}, ${object(g.options)})`), indent);
  const d = written(spec);
  const tables = d.tables.map((t) => {
    const options = [
      ...(t.options.rls !== undefined ? [`rls: ${value(t.options.rls)}`] : []),
      ...(t.options.policies?.length ? [`policies: ${block(t.options.policies.map((p) => `policy(${str(p.name)}, ${object(p.options)})`), '    ')}`] : []),
      ...(t.options.grants?.length ? [`grants: ${grants(t.options.grants, '    ')}`] : []),
    ];
    return `table(${str(t.name)}${options.length ? `, { ${options.join(', ')} }` : ''})`;
  });
  const schemas = d.schemas.map((x) => `schema(${str(x.name)}, { grants: ${grants(x.grants, '    ')} })`);
  return [
    'defineAccess({',
    `  roles: ${value(d.roles)},`,
    ...(schemas.length ? [`  schemas: ${block(schemas, '  ')},`] : []),
    `  tables: ${block(tables, '  ')},`,
    '})',
  ].join('\n');
}
