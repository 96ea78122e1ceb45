import type { TableDeclaration, TableInput } from '../declare/declarations.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { columnEquals, commandGrants, commandList, onTable, roleList, rowPolicies } from './apply-template.js';
import { sessionValueSql } from './session-value.js';
import type { ColumnKey, RowCommand, SessionValue, TemplateTarget } from './template-types.js';

export type OwnerOnlyOptions<T> = SessionValue & {
  /** The column holding the owner's id. */
  readonly column: ColumnKey<T>;
  /** The commands owners get; default all four. */
  readonly commands?: readonly RowCommand[];
  /** The roles the policies are for; default PUBLIC. */
  readonly to?: string | readonly string[];
  /** Policy name; default 'owner_only' (with several commands: owner_only_select, ...). */
  readonly name?: string;
  /** Grant the commands' privileges to the `to` roles; default true (there is nothing to grant for PUBLIC). */
  readonly grant?: boolean;
};

const KEYS = ['setting', 'fn', 'type', 'column', 'commands', 'to', 'name', 'grant'];

/**
 * Each row belongs to the user in `column`: a user sees, adds, changes and
 * deletes only their own rows (`column = (SELECT session value)`), and can
 * neither write a row for someone else nor give one away.
 */
export function ownerOnly<T>(target: TableDeclaration<T>, options: OwnerOnlyOptions<T>): TableDeclaration<T>;
export function ownerOnly<T extends TableInput>(target: T, options: OwnerOnlyOptions<T>): TableDeclaration<T>;
export function ownerOnly<T>(target: TemplateTarget<T>, options: OwnerOnlyOptions<T>): TableDeclaration<T> {
  const where = `ownerOnly(${options?.name ?? 'owner_only'})`;
  checkOptionKeys(where, options, KEYS);
  const name = options.name ?? 'owner_only';
  const owns = columnEquals(options.column, sessionValueSql(options, where));
  const commands = commandList(options.commands, where);
  const to = roleList(options.to);
  const policies = rowPolicies<T>(name, commands, to, owns);
  return onTable(target, { policies, grants: commandGrants(commands, to, options.grant, where) });
}
