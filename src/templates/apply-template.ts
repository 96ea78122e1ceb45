/**
 * What every template shares: adding its policies and grants to the table
 * it is applied to, columns named by key, and the grants its commands need.
 */
import { grant as grantOf, policy, table } from '../declare/builders.js';
import type { ExpressionInput, GrantDeclaration, PolicyDeclaration, TableDeclaration, TableOptions } from '../declare/declarations.js';
import { columnReference } from '../declare/table-source.js';
import { PgAccessError } from '../errors.js';
import { ROW_COMMANDS, type RowCommand, type TemplateTarget } from './template-types.js';

function isTableDeclaration(value: unknown): value is TableDeclaration {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'table' && 'options' in value;
}

/** The table `target` names, with `add`'s policies and grants after those a table(...) target already declares. */
export function onTable<T>(target: TemplateTarget<T>, add: { policies: readonly PolicyDeclaration<T>[]; grants?: readonly GrantDeclaration[] }): TableDeclaration<T> {
  if (target === undefined || target === null || (typeof target !== 'string' && typeof target !== 'object')) {
    throw new PgAccessError('INVALID_DECLARATION', `A template is applied to a table ('schema.table', a model's table or table(...)), got ${String(target)}.`);
  }
  const declared = isTableDeclaration(target) ? target : undefined;
  const options = declared?.options ?? {};
  return (table as (ref: unknown, options: TableOptions) => TableDeclaration)(declared ? declared.table : target, {
    ...options,
    policies: [...(options.policies ?? []), ...add.policies],
    grants: [...(options.grants ?? []), ...(add.grants ?? [])],
  }) as TableDeclaration<T>;
}

/** An expression comparing column `key` with `value`: `"owner_id" = (SELECT ...)`. */
export function columnEquals(key: string, value: string): ExpressionInput {
  return (columns) => `${columnReference(columns, key)} = ${value}`;
}

/** The roles of a `to` option as a list; undefined stays undefined (PUBLIC). */
export function roleList(to: string | readonly string[] | undefined): readonly string[] | undefined {
  return to === undefined ? undefined : typeof to === 'string' ? [to] : to;
}

const SPECIAL = new Set(['public', 'current_user', 'current_role', 'session_user']);

/**
 * The privileges the commands need, granted to the named roles (a policy
 * only narrows what a privilege allows: without the grant it never
 * applies). None for PUBLIC or the session's roles, or with grant: false.
 */
export function commandGrants(commands: readonly RowCommand[], to: readonly string[] | undefined, grant: boolean | undefined, where: string): GrantDeclaration[] {
  if (grant !== undefined && typeof grant !== 'boolean') throw new PgAccessError('INVALID_DECLARATION', `${where}: grant must be true or false, got ${JSON.stringify(grant)}.`);
  if (grant === false || to === undefined) return [];
  const roles = to.filter((r) => typeof r === 'string' && !SPECIAL.has(r.toLowerCase()));
  return roles.length ? [grantOf(commands, { to: roles })] : [];
}

/**
 * One predicate as policies for `commands`: with all four, one FOR ALL
 * policy (USING and WITH CHECK); otherwise one per command, named
 * `<name>_<command>`, each with the clauses PostgreSQL takes for it.
 */
export function rowPolicies<T>(name: string, commands: readonly RowCommand[], to: readonly string[] | undefined, predicate: ExpressionInput<T>): PolicyDeclaration<T>[] {
  const common = to ? { to } : {};
  if (commands.length === 4) return [policy<T>(name, { ...common, using: predicate, withCheck: predicate })];
  return commands.map((command) =>
    policy<T>(`${name}_${command.toLowerCase()}`, {
      ...common,
      for: command,
      ...(command !== 'INSERT' ? { using: predicate } : {}),
      ...(command === 'INSERT' || command === 'UPDATE' ? { withCheck: predicate } : {}),
    }),
  );
}

/** The commands option: each a row command, none twice; left out, all four. */
export function commandList(commands: readonly RowCommand[] | undefined, where: string): readonly RowCommand[] {
  if (commands === undefined) return ROW_COMMANDS;
  const list = Array.isArray(commands) ? commands : [commands];
  for (const c of list) {
    if (!ROW_COMMANDS.includes(c)) throw new PgAccessError('INVALID_DECLARATION', `${where}: commands lists ${JSON.stringify(c)}; allowed: ${ROW_COMMANDS.join(', ')}.`);
  }
  if (list.length === 0 || new Set(list).size !== list.length) throw new PgAccessError('INVALID_DECLARATION', `${where}: commands must name each command once, at least one.`);
  return list as readonly RowCommand[];
}
