import { policy } from '../declare/builders.js';
import type { TableDeclaration, TableInput } from '../declare/declarations.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { PgAccessError } from '../errors.js';
import { columnEquals, onTable, roleList } from './apply-template.js';
import { sessionValueSql } from './session-value.js';
import type { ColumnKey, SessionValue, TemplateTarget } from './template-types.js';

/** The keys every table of the list has: a column the fence may name. */
type CommonColumnKey<Ts extends readonly unknown[]> = { [I in keyof Ts]: (key: ColumnKey<Ts[I]>) => void }[number] extends (key: infer K) => void ? K & string : never;

export type TenantIsolationOptions<Ts extends readonly unknown[]> = SessionValue & {
  /** The column holding the tenant's id, in every table. */
  readonly column: CommonColumnKey<Ts>;
  /** The roles the fence is for; default PUBLIC (everyone but the owner and BYPASSRLS roles). */
  readonly to?: string | readonly string[];
  /** Policy name; default 'tenant_isolation'. */
  readonly name?: string;
};

const KEYS = ['setting', 'fn', 'type', 'column', 'to', 'name'];

/**
 * A RESTRICTIVE policy on every listed table: whatever the permissive
 * policies allow, a row is seen and written only when `column` is the
 * session's tenant. It grants nothing by itself (restrictive policies only
 * narrow): combine it with permissive policies (ownerOnly, publicRead, ...)
 * and grants.
 */
export function tenantIsolation<const Ts extends readonly (TableInput | TableDeclaration<any>)[]>(targets: Ts, options: TenantIsolationOptions<{ [I in keyof Ts]: Ts[I] extends TableDeclaration<infer U> ? U : Ts[I] }>): TableDeclaration[] {
  const where = `tenantIsolation(${options?.name ?? 'tenant_isolation'})`;
  checkOptionKeys(where, options, KEYS);
  if (!Array.isArray(targets) || targets.length === 0) throw new PgAccessError('INVALID_DECLARATION', `${where}: give the tables it fences as a non-empty list.`);
  const fence = columnEquals(options.column, sessionValueSql(options, where));
  const to = roleList(options.to);
  return targets.map((target: TemplateTarget<unknown>) =>
    onTable(target, { policies: [policy(options.name ?? 'tenant_isolation', { as: 'restrictive', ...(to ? { to } : {}), using: fence, withCheck: fence })] }),
  );
}
