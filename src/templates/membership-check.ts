import type { ExpressionInput, TableDeclaration, TableInput } from '../declare/declarations.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { describeTable } from '../declare/describe-table.js';
import { columnReference } from '../declare/table-source.js';
import { PgAccessError } from '../errors.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';
import { commandGrants, commandList, onTable, roleList, rowPolicies } from './apply-template.js';
import { sessionValueSql } from './session-value.js';
import type { ColumnKey, RowCommand, SessionValue, TemplateTarget } from './template-types.js';

export type MembershipCheckOptions<T, V> = SessionValue & {
  /** The table of memberships (team_members): 'schema.table', a model's table or table(...). */
  readonly via: V | TableDeclaration<V>;
  /** The column of this table naming the group (team_id). */
  readonly column: ColumnKey<T>;
  /** The column of `via` naming the group; default the same name as `column`. */
  readonly viaColumn?: ColumnKey<V>;
  /** The column of `via` naming the member (user_id), compared with the session value. */
  readonly memberColumn: ColumnKey<V>;
  /** The commands members get; default all four. */
  readonly commands?: readonly RowCommand[];
  readonly to?: string | readonly string[];
  /** Policy name; default 'member_access'. */
  readonly name?: string;
  /** Grant the commands' privileges on this table to the `to` roles; default true. SELECT on `via` is theirs to declare (the check reads it as them). */
  readonly grant?: boolean;
};

const KEYS = ['setting', 'fn', 'type', 'via', 'column', 'viaColumn', 'memberColumn', 'commands', 'to', 'name', 'grant'];

/**
 * A row is reachable when the session's user is a member of its group:
 * `EXISTS (SELECT 1 FROM via WHERE via.group = row.group AND via.member =
 * (SELECT session value))`, the pattern of multi-tenant kits (basejump,
 * makerkit). Members need SELECT on `via`, and `via`'s own policies must
 * let them see their membership rows.
 */
export function membershipCheck<T, V>(target: TableDeclaration<T>, options: MembershipCheckOptions<T, V>): TableDeclaration<T>;
export function membershipCheck<T extends TableInput, V>(target: T, options: MembershipCheckOptions<T, V>): TableDeclaration<T>;
export function membershipCheck<T, V>(target: TemplateTarget<T>, options: MembershipCheckOptions<T, V>): TableDeclaration<T> {
  const where = `membershipCheck(${options?.name ?? 'member_access'})`;
  checkOptionKeys(where, options, KEYS);
  if (options.via === undefined) throw new PgAccessError('INVALID_DECLARATION', `${where}: via names the table of memberships.`);
  const member = sessionValueSql(options, where);
  const name = options.name ?? 'member_access';
  const isMember: ExpressionInput = async (columns) => {
    const own = await describeTable(target, where);
    const via = await describeTable(options.via, where);
    // The row's column qualified by its table (inside the sub-query an unqualified name would be the membership table's).
    const rowGroup = `${quoteIdent(own.name)}.${columnReference(columns, options.column)}`;
    const viaGroup = columnReference(via.columns, options.viaColumn ?? options.column);
    const viaMember = columnReference(via.columns, options.memberColumn);
    return `EXISTS (SELECT 1 FROM ${quoteQualified(via.schema, via.name)} pg_access_m WHERE pg_access_m.${viaGroup} = ${rowGroup} AND pg_access_m.${viaMember} = ${member})`;
  };
  const commands = commandList(options.commands, where);
  const to = roleList(options.to);
  const policies = rowPolicies<T>(name, commands, to, isMember);
  return onTable(target, { policies, grants: commandGrants(commands, to, options.grant, where) });
}
