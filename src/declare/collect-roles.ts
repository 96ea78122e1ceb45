import { ROLE_DEFAULTS, type Role } from '../model/role.js';
import { quoteIdent } from '../render/sql/quote.js';
import type { CollectedMembership, CollectedRole } from './collected-access.js';
import { checkIdentifier, describeValue } from './declaration-checks.js';
import type { ExistingRoleDeclaration, MembershipInput, RoleDeclaration } from './declarations.js';

/** Names CREATE ROLE refuses: PUBLIC and NONE, the session-role keywords, and the pg_ prefix PostgreSQL keeps for its own roles. */
const RESERVED_ROLE_NAMES = new Set(['public', 'none', 'current_user', 'current_role', 'session_user']);

const BOOLEAN_ATTRIBUTES = ['login', 'inherit', 'bypassRls', 'createDb', 'createRole'] as const;

/** Validates role declarations: names, attributes, the password's source, memberships and their cycles. */
export function collectRoles(declared: readonly (RoleDeclaration | ExistingRoleDeclaration)[], errors: string[]): CollectedRole[] {
  const byName = new Map<string, CollectedRole>();
  for (const d of declared) {
    const what = `${d.kind === 'role' ? 'role' : 'existingRole'}(${JSON.stringify(d.name)})`;
    checkIdentifier(d.name, what, errors);
    if (d.name.toLowerCase() === 'public') {
      errors.push(`${what}: PUBLIC is not a role to declare; write to: 'public' in a policy or grant instead.`);
      continue;
    }
    if (d.kind === 'role' && (RESERVED_ROLE_NAMES.has(d.name.toLowerCase()) || d.name.startsWith('pg_'))) {
      errors.push(`${what}: PostgreSQL reserves this name (NONE, CURRENT_USER and the pg_ prefix cannot be created); pick another name, or use existingRole() for a built-in role.`);
      continue;
    }
    const collected: CollectedRole = {
      name: d.name,
      managed: d.kind === 'role',
      attributes: d.kind === 'role' ? collectAttributes(d, what, errors) : null,
      inRoles: d.options.inRoles === undefined ? undefined : collectMemberships(d.options.inRoles, what, errors),
      passwordEnv: d.kind === 'role' ? collectPassword(d, what, errors) : undefined,
      ...grantsMode(d, what, errors),
    };
    const prior = byName.get(d.name);
    if (!prior) {
      byName.set(d.name, collected);
    } else if (prior.managed !== collected.managed) {
      errors.push(`Role ${quoteIdent(d.name)} is declared both with role() (managed: created and altered by pg-access) and as an existing role (a plain name or existingRole(): never changed). Keep one of them.`);
    } else if (collected.managed || (prior.inRoles && collected.inRoles) || prior.grantsUnmanaged !== collected.grantsUnmanaged || prior.grantsWhereDeclared !== collected.grantsWhereDeclared) {
      errors.push(`Role ${quoteIdent(d.name)} is declared more than once; declare it once.`);
    } else if (collected.inRoles) {
      byName.set(d.name, collected);
    }
  }
  const roles = [...byName.values()];
  checkMembershipCycles(roles.flatMap((r) => (r.inRoles ?? []).map((m) => ({ member: r.name, role: m.role }))), errors);
  return roles;
}

const GRANT_MODES = ['managed', 'unmanaged', 'where-declared'] as const;

function grantsMode(d: RoleDeclaration | ExistingRoleDeclaration, what: string, errors: string[]): Pick<CollectedRole, 'grantsUnmanaged' | 'grantsWhereDeclared'> {
  if (d.kind !== 'existing-role') return { grantsUnmanaged: false };
  const value = d.options.grants;
  if (value !== undefined && !(GRANT_MODES as readonly unknown[]).includes(value)) {
    errors.push(`${what}: grants must be ${GRANT_MODES.map((m) => `'${m}'`).join(', ')}, got ${describeValue(value)}.`);
  }
  return { grantsUnmanaged: value === 'unmanaged', ...(value === 'where-declared' ? { grantsWhereDeclared: true } : {}) };
}

function collectAttributes(d: RoleDeclaration, what: string, errors: string[]): Omit<Role, 'name'> {
  const o = d.options;
  const attributes = { ...ROLE_DEFAULTS } as { -readonly [K in keyof Omit<Role, 'name'>]: Omit<Role, 'name'>[K] };
  for (const a of BOOLEAN_ATTRIBUTES) {
    if (o[a] === undefined) continue;
    if (typeof o[a] !== 'boolean') errors.push(`${what}: ${a} must be true or false, got ${describeValue(o[a])}.`);
    else attributes[a] = o[a];
  }
  if (o.connectionLimit !== undefined) {
    if (!Number.isInteger(o.connectionLimit) || o.connectionLimit < -1) errors.push(`${what}: connectionLimit must be an integer >= 0, or -1 for no limit; got ${describeValue(o.connectionLimit)}.`);
    else attributes.connectionLimit = o.connectionLimit;
  }
  if (o.validUntil !== undefined && o.validUntil !== null && o.validUntil !== 'infinity') {
    const time = o.validUntil instanceof Date ? o.validUntil.getTime() : typeof o.validUntil === 'string' ? Date.parse(o.validUntil) : Number.NaN;
    if (Number.isNaN(time)) errors.push(`${what}: validUntil must be a Date or a timestamp such as '2027-01-01T00:00:00Z' (or null for never), got ${describeValue(o.validUntil)}.`);
    else attributes.validUntil = new Date(time).toISOString();
  }
  return attributes;
}

function collectPassword(d: RoleDeclaration, what: string, errors: string[]): string | undefined {
  const p = d.options.password as unknown;
  if (p === undefined) return undefined;
  if (typeof p === 'object' && p !== null && typeof (p as { env?: unknown }).env === 'string' && (p as { env: string }).env !== '') return (p as { env: string }).env;
  errors.push(`${what}: password must be { env: 'VARIABLE_NAME' }. pg-access never takes a password written in code; it reads the variable when applying and never writes it to a plan or migration.`);
  return undefined;
}

function collectMemberships(inRoles: readonly (string | MembershipInput)[], what: string, errors: string[]): CollectedMembership[] {
  if (!Array.isArray(inRoles)) {
    errors.push(`${what}: inRoles must be a list of role names or { role, admin, inherit, set }.`);
    return [];
  }
  const seen = new Set<string>();
  const out: CollectedMembership[] = [];
  for (const entry of inRoles) {
    const m: MembershipInput = typeof entry === 'string' ? { role: entry } : entry;
    if (!m || typeof m !== 'object' || typeof m.role !== 'string' || m.role === '') {
      errors.push(`${what}: inRoles entry ${describeValue(entry)} is not a role name or { role, admin, inherit, set }.`);
      continue;
    }
    checkIdentifier(m.role, `${what} inRoles ${JSON.stringify(m.role)}`, errors);
    for (const option of ['admin', 'inherit', 'set'] as const) {
      if (m[option] !== undefined && typeof m[option] !== 'boolean') errors.push(`${what}: membership in ${quoteIdent(m.role)}: ${option} must be true or false.`);
    }
    if (m.role.toLowerCase() === 'public') errors.push(`${what}: every role is a member of PUBLIC already; remove 'public' from inRoles.`);
    if (seen.has(m.role)) errors.push(`${what}: ${quoteIdent(m.role)} appears twice in inRoles.`);
    seen.add(m.role);
    out.push({ role: m.role, admin: m.admin === true, inherit: m.inherit, set: m.set });
  }
  return out;
}

/** PostgreSQL refuses memberships that loop ("role x is a member of role y"); finding one here names the whole loop. */
export function checkMembershipCycles(edges: readonly { member: string; role: string }[], errors: string[], suffix = ''): void {
  const groupsOf = new Map<string, string[]>();
  for (const e of edges) groupsOf.set(e.member, [...(groupsOf.get(e.member) ?? []), e.role]);
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const reported = new Set<string>();
  const visit = (role: string): void => {
    if (state.get(role) === 'done') return;
    if (state.get(role) === 'visiting') {
      const loop = [...path.slice(path.indexOf(role)), role];
      const key = [...loop].sort().join('\0');
      if (!reported.has(key)) {
        reported.add(key);
        errors.push(`Membership cycle: ${loop.map(quoteIdent).join(' is a member of ')}${suffix}. PostgreSQL does not allow a role to be a member of itself, directly or through others; remove one of these memberships.`);
      }
      return;
    }
    state.set(role, 'visiting');
    path.push(role);
    for (const group of groupsOf.get(role) ?? []) visit(group);
    path.pop();
    state.set(role, 'done');
  };
  for (const member of groupsOf.keys()) visit(member);
}
