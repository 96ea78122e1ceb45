import { is, SQL } from 'drizzle-orm';
import { getTableConfig, PgDialect, PgPolicy, PgRole, PgTable } from 'drizzle-orm/pg-core';
import type { PolicyDeclaration } from '../../declare/declarations.js';

const IS_DRIZZLE_TABLE = Symbol.for('drizzle:IsDrizzleTable');

/** Detects a Drizzle table without importing drizzle-orm, so the core works without it installed. */
export function isDrizzleTable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[IS_DRIZZLE_TABLE] === true;
}

export interface DrizzleTableFacts {
  schema: string;
  name: string;
  /** Drizzle's own `.enableRLS()` / pgPolicy declarations, picked up as if declared with pg-access. */
  enableRls: boolean;
  policies: PolicyDeclaration[];
  /** Roles the Drizzle policies name (pgRole objects or strings), used as existing roles, as if listed in defineAccess({ roles }). */
  roles: string[];
  /** pgRole(...)s among them that carry attributes (createDb, createRole, inherit), as written: pg-access does not apply those. */
  rolesWithAttributes: Map<string, string>;
}

const SPECIAL_ROLE_NAMES = new Set(['public', 'current_role', 'current_user', 'session_user']);

export function drizzleTableFacts(table: unknown): DrizzleTableFacts {
  if (!is(table, PgTable)) throw new TypeError('not a Drizzle PostgreSQL table');
  const config = getTableConfig(table);
  const roles = new Set<string>();
  const rolesWithAttributes = new Map<string, string>();
  const policies = config.policies.map((p: PgPolicy) => drizzlePolicy(p, roles, rolesWithAttributes));
  return { schema: config.schema ?? 'public', name: config.name, enableRls: config.enableRLS, policies, roles: [...roles], rolesWithAttributes };
}

export function isDrizzlePolicy(value: unknown): boolean {
  return is(value, PgPolicy);
}

/**
 * A Drizzle pgPolicy(...) as the policy(...) it means, with every option it
 * carries (as, for, to, using, withCheck); the roles it names are added to
 * `roles`. Used for a table's own policies and for a pgPolicy placed in a
 * table(..., { policies }) list.
 */
export function drizzlePolicy(p: PgPolicy, roles: Set<string>, rolesWithAttributes: Map<string, string>): PolicyDeclaration {
  const listed: unknown[] = p.to === undefined ? [] : Array.isArray(p.to) ? p.to : [p.to];
  for (const r of listed) if (is(r, PgRole) && attributesOf(r)) rolesWithAttributes.set(r.name, `pgRole(${JSON.stringify(r.name)}, ${attributesOf(r)})`);
  const to = p.to === undefined ? undefined : listed.map((r) => (is(r, PgRole) ? r.name : String(r)));
  for (const r of to ?? []) if (!SPECIAL_ROLE_NAMES.has(r)) roles.add(r);
  return {
    kind: 'policy',
    name: p.name,
    options: {
      ...(p.as ? { as: p.as } : {}),
      ...(p.for ? { for: p.for.toUpperCase() as 'ALL' } : {}),
      ...(to ? { to } : {}),
      ...(p.using ? { using: p.using } : {}),
      ...(p.withCheck ? { withCheck: p.withCheck } : {}),
    },
  };
}

const dialect = new PgDialect();

/**
 * Renders a Drizzle `sql` fragment to SQL text with its parameters inlined as
 * literals (a policy expression is DDL: it cannot take bind parameters).
 * Columns render with their real database names.
 */
export function renderDrizzleSql(value: unknown): string {
  const fragment = is(value, SQL) ? value : (value as { getSQL(): SQL }).getSQL();
  return dialect.sqlToQuery(fragment.inlineParams()).sql;
}

/** `{ createDb: true }` for a pgRole declared with attributes and not .existing(); undefined otherwise. */
function attributesOf(role: PgRole): string | undefined {
  const r = role as unknown as { _existing?: boolean; createDb?: boolean; createRole?: boolean; inherit?: boolean };
  if (r._existing) return undefined;
  const set = (['createDb', 'createRole', 'inherit'] as const).filter((a) => r[a] !== undefined).map((a) => `${a}: ${String(r[a])}`);
  return set.length ? `{ ${set.join(', ')} }` : undefined;
}
