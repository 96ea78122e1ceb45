import { grant, policy } from '../declare/builders.js';
import type { TableDeclaration, TableInput } from '../declare/declarations.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { PgAccessError } from '../errors.js';
import { onTable, roleList } from './apply-template.js';
import type { TemplateTarget } from './template-types.js';

export interface ReadOnlyOptions {
  /** Policy names start with it; default 'read_only'. */
  readonly name?: string;
}

/**
 * The roles read every row and write none: SELECT is granted with a policy
 * that shows every row, and RESTRICTIVE policies refuse INSERT, UPDATE and
 * DELETE to them, so that a write privilege they get elsewhere (from a
 * group, a grant outside the declaration) still changes no row.
 */
export function readOnly<T>(target: TableDeclaration<T>, roles: string | readonly string[], options?: ReadOnlyOptions): TableDeclaration<T>;
export function readOnly<T extends TableInput>(target: T, roles: string | readonly string[], options?: ReadOnlyOptions): TableDeclaration<T>;
export function readOnly<T>(target: TemplateTarget<T>, roles: string | readonly string[], options: ReadOnlyOptions = {}): TableDeclaration<T> {
  const where = `readOnly(${JSON.stringify(roles)})`;
  checkOptionKeys(where, options, ['name']);
  const to = roleList(roles);
  if (!to || to.length === 0 || to.some((r) => typeof r !== 'string' || r === '' || r.toLowerCase() === 'public')) {
    throw new PgAccessError('INVALID_DECLARATION', `${where}: name the roles that only read (PUBLIC is not one: use publicRead).`);
  }
  const name = options.name ?? 'read_only';
  return onTable(target, {
    policies: [
      policy<T>(name, { for: 'SELECT', to, using: 'true' }),
      policy<T>(`${name}_no_insert`, { as: 'restrictive', for: 'INSERT', to, withCheck: 'false' }),
      policy<T>(`${name}_no_update`, { as: 'restrictive', for: 'UPDATE', to, using: 'false' }),
      policy<T>(`${name}_no_delete`, { as: 'restrictive', for: 'DELETE', to, using: 'false' }),
    ],
    grants: [grant('SELECT', { to })],
  });
}
