/**
 * An AccessSpec written out: as a pg-access declaration (`toDeclaration`)
 * and as the same declaration in code (`describeSpec`, `describePair`), roles
 * as r.a / r.b / r.c / r.m, for counterexamples a person can paste into a
 * regression test.
 */
import {
  defaultPrivileges,
  defineAccess,
  existingRole,
  grant,
  policy,
  role,
  routine,
  schema,
  table,
  type AccessDeclaration,
  type DefaultPrivilegesOptions,
  type MembershipInput,
  type PolicyOptions,
  type RoleOptions,
} from '../../src/index.js';
import { commandsOf, rolesOf, type AccessPair, type AccessSpec, type GrantSpec, type PolicySpec } from './access-spec.js';
import { fixtureRoutine, fixtureTable, MANAGED_ROLES, type FixtureRole, type RoleNames } from './fixture.js';

/** A fixture role, written r.a in printed code and resolved to its real name in declarations. */
class RoleRef {
  constructor(readonly key: FixtureRole) {}
}
type Written = string | RoleRef;
type OneOrMany<T> = T | T[];
interface WrittenGrant {
  privileges: OneOrMany<string>;
  options: { to: OneOrMany<Written>; withGrantOption?: true; columns?: string[] };
}
interface WrittenPolicy {
  name: string;
  options: { as?: string; for?: OneOrMany<string>; to?: OneOrMany<Written>; using?: string; withCheck?: string };
}
interface WrittenTable {
  name: string;
  options: { rls?: boolean | 'force'; policies?: WrittenPolicy[]; grants?: WrittenGrant[] };
}
type WrittenMembership = RoleRef | { role: RoleRef; admin?: boolean; inherit?: boolean; set?: boolean };
interface WrittenMember {
  login?: boolean;
  inherit?: boolean;
  createDb?: boolean;
  connectionLimit?: number;
  inRoles: WrittenMembership[];
}
interface WrittenRoutine {
  signature: string;
  options: { grants: WrittenGrant[]; revokeFromPublic?: boolean };
}
interface WrittenDefaultPrivileges {
  forRole?: RoleRef;
  inSchema?: string;
  on: string;
  grants: WrittenGrant[];
  revokeFromPublic?: boolean;
}
interface WrittenDeclaration {
  roles: RoleRef[];
  /** role(r.m, member): first in the roles list when loose, last otherwise. */
  member?: WrittenMember;
  memberFirst: boolean;
  schemas: { name: string; grants: WrittenGrant[]; revokeFromPublic?: boolean }[];
  impliedGrants?: boolean;
  tables: WrittenTable[];
  routines: WrittenRoutine[];
  defaultPrivileges: WrittenDefaultPrivileges[];
}

/**
 * How a spec is written as a declaration. Canonical: every option spelled
 * out (the member role's attributes too, with CREATE ROLE's defaults),
 * lists everywhere. Loose (spec.loose): what a person might write and
 * pg-access must read the same way: defaults left out, single values
 * without a list, a membership without options as a bare role, lower-case
 * privileges and commands, 'all privileges', 'PUBLIC', 'CURRENT_USER', fully
 * quoted or unqualified table names, other spellings of routine signatures,
 * on: 'routines' for functions. A split table is declared in two table()
 * entries, which pg-access merges.
 */
function written(spec: AccessSpec): WrittenDeclaration {
  const loose = spec.loose;
  const one = <T>(items: T[]): OneOrMany<T> => (loose && items.length === 1 ? items[0]! : items);
  const role = (r: string): Written =>
    (MANAGED_ROLES as readonly string[]).includes(r) ? new RoleRef(r as FixtureRole) : loose ? ({ public: 'PUBLIC', current_user: 'CURRENT_USER', session_user: 'Session_User' } as Record<string, string>)[r]! : r;
  const grants = (list: readonly GrantSpec[]): WrittenGrant[] =>
    list.map((g) => ({
      privileges: g.privileges === 'ALL' ? (loose ? 'all privileges' : 'ALL') : one(g.privileges.map((p) => (loose ? p.toLowerCase() : p))),
      options: { to: one(g.to.map(role)), ...(g.withGrantOption ? { withGrantOption: true as const } : {}), ...(g.columns ? { columns: [...g.columns] } : {}) },
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
  const m = spec.member;
  const member: WrittenMember | undefined = m && {
    ...(loose
      ? { login: m.login, inherit: m.inherit, createDb: m.createDb, connectionLimit: m.connectionLimit }
      : { login: m.login ?? false, inherit: m.inherit ?? true, createDb: m.createDb ?? false, connectionLimit: m.connectionLimit ?? -1 }),
    inRoles: m.inRoles.map(({ role: group, ...options }) =>
      loose && Object.values(options).every((v) => v === undefined) ? new RoleRef(group) : { role: new RoleRef(group), ...options },
    ),
  };
  return {
    roles: rolesOf(spec).map((r) => new RoleRef(r)),
    ...(member ? { member } : {}),
    memberFirst: loose,
    schemas: spec.schemas.map((x) => ({ name: x.name, grants: grants(x.grants), ...(x.revokeFromPublic !== undefined ? { revokeFromPublic: x.revokeFromPublic } : {}) })),
    ...(spec.impliedGrants !== undefined ? { impliedGrants: spec.impliedGrants } : {}),
    tables,
    routines: spec.routines.map((r) => {
      const f = fixtureRoutine(r.routine);
      const revoke = loose ? (r.revokeFromPublic ? { revokeFromPublic: true } : {}) : { revokeFromPublic: r.revokeFromPublic ?? false };
      return { signature: loose ? f.looseName : f.declaredAs, options: { grants: grants(r.grants), ...revoke } };
    }),
    defaultPrivileges: spec.defaultPrivileges.map((d) => ({
      ...(d.forRole ? { forRole: new RoleRef(d.forRole) } : {}),
      ...(d.inSchema ? { inSchema: d.inSchema } : {}),
      on: loose && d.on === 'functions' ? 'routines' : d.on,
      grants: grants(d.grants),
      ...(d.revokeFromPublic !== undefined && (!loose || d.revokeFromPublic) ? { revokeFromPublic: d.revokeFromPublic } : {}),
    })),
  };
}

export function toDeclaration(spec: AccessSpec, roles: RoleNames): AccessDeclaration {
  const resolve = (w: Written) => (w instanceof RoleRef ? roles[w.key] : w);
  const resolveAll = (w: OneOrMany<Written>) => (Array.isArray(w) ? w.map(resolve) : resolve(w));
  const grants = (list: WrittenGrant[]) => list.map((g) => grant(g.privileges, { ...g.options, to: resolveAll(g.options.to) }));
  const d = written(spec);
  const member = d.member
    ? [
        role(roles.m, {
          ...(Object.fromEntries(Object.entries(d.member).filter(([k, v]) => k !== 'inRoles' && v !== undefined)) as RoleOptions),
          inRoles: d.member.inRoles.map((x): string | MembershipInput => (x instanceof RoleRef ? roles[x.key] : { ...x, role: roles[x.role.key] })),
        }),
      ]
    : [];
  const listed = d.roles.map((w) => ((spec.whereDeclared as readonly string[] | undefined)?.includes(w.key) ? existingRole(roles[w.key], { grants: 'where-declared' }) : resolve(w)));
  return defineAccess({
    roles: d.memberFirst ? [...member, ...listed] : [...listed, ...member],
    ...(d.impliedGrants !== undefined ? { impliedGrants: d.impliedGrants } : {}),
    schemas: d.schemas.map((x) => schema(x.name, { grants: grants(x.grants), ...(x.revokeFromPublic !== undefined ? { revokeFromPublic: x.revokeFromPublic } : {}) })),
    tables: d.tables.map((t) =>
      table(t.name, {
        ...t.options,
        policies: (t.options.policies ?? []).map((p) =>
          policy(p.name, { ...(p.options as PolicyOptions), ...(p.options.to !== undefined ? { to: resolveAll(p.options.to) } : {}) }),
        ),
        grants: grants(t.options.grants ?? []),
      }),
    ),
    routines: d.routines.map((r) => routine(r.signature, { ...r.options, grants: grants(r.options.grants) })),
    defaultPrivileges: d.defaultPrivileges.map((x) =>
      defaultPrivileges({
        ...(x as unknown as DefaultPrivilegesOptions),
        ...(x.forRole ? { forRole: roles[x.forRole.key] } : {}),
        grants: grants(x.grants),
      }),
    ),
  });
}

/** The declaration as pg-access code, roles as r.a / r.b / r.c / r.m: paste it into a regression test. */
export function describeSpec(spec: AccessSpec): string {
  const str = (s: string) => (/['\\\n]/.test(s) ? JSON.stringify(s) : `'${s}'`);
  const value = (v: unknown): string =>
    v instanceof RoleRef
      ? `r.${v.key}`
      : typeof v === 'string'
        ? str(v)
        : Array.isArray(v)
          ? `[${v.map(value).join(', ')}]`
          : v !== null && typeof v === 'object'
            ? object(v as Record<string, unknown>)
            : String(v);
  const object = (o: Record<string, unknown>): string => {
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
  const schemas = d.schemas.map(
    (x) => `schema(${str(x.name)}, { grants: ${grants(x.grants, '    ')}${x.revokeFromPublic !== undefined ? `, revokeFromPublic: ${x.revokeFromPublic}` : ''} })`,
  );
  const member = d.member ? [`role(r.m, ${object(d.member as unknown as Record<string, unknown>)})`] : [];
  const roles = d.roles.map((w) => ((spec.whereDeclared as readonly string[] | undefined)?.includes(w.key) ? `existingRole(${value(w)}, { grants: 'where-declared' })` : value(w)));
  const routines = d.routines.map((r) => {
    const options = [`grants: ${grants(r.options.grants, '    ')}`, ...(r.options.revokeFromPublic !== undefined ? [`revokeFromPublic: ${r.options.revokeFromPublic}`] : [])];
    return `routine(${str(r.signature)}, { ${options.join(', ')} })`;
  });
  const defaults = d.defaultPrivileges.map((x) => {
    const { grants: gs, ...rest } = x;
    const head = object(rest as unknown as Record<string, unknown>).slice(0, -2);
    return `defaultPrivileges(${head}, grants: ${grants(gs, '    ')} })`;
  });
  return [
    'defineAccess({',
    `  roles: [${(d.memberFirst ? [...member, ...roles] : [...roles, ...member]).join(', ')}],`,
    ...(d.impliedGrants !== undefined ? [`  impliedGrants: ${d.impliedGrants},`] : []),
    ...(schemas.length ? [`  schemas: ${block(schemas, '  ')},`] : []),
    `  tables: ${block(tables, '  ')},`,
    ...(routines.length ? [`  routines: ${block(routines, '  ')},`] : []),
    ...(defaults.length ? [`  defaultPrivileges: ${block(defaults, '  ')},`] : []),
    '})',
  ].join('\n');
}

/** The drift SQL and both declarations, as a failure report shows them. */
export function describePair(pair: AccessPair): string {
  return `\n${pair.drift.length ? `drift before A:\n${pair.drift.map((d) => `  ${d};`).join('\n')}\n` : ''}A = ${describeSpec(pair.a)}\nB = ${describeSpec(pair.b)}\n`;
}
