import { grant, policy } from '../declare/builders.js';
import type { ExpressionInput, TableDeclaration, TableInput } from '../declare/declarations.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { commandGrants, onTable, roleList } from './apply-template.js';
import type { TemplateTarget } from './template-types.js';

export interface PublicReadOptions<T> {
  /** Who reads; default PUBLIC (every role, e.g. Supabase's anon and authenticated). */
  readonly to?: string | readonly string[];
  /** Which rows: an expression (`(t) => sql\`${t.published}\``, `'published'`); default every row. */
  readonly where?: ExpressionInput<T>;
  /** Policy name; default 'public_read'. */
  readonly name?: string;
  /** Grant SELECT to the readers (to PUBLIC when `to` is left out); default true. */
  readonly grant?: boolean;
}

/** Everyone (or the `to` roles) reads the rows `where` selects, or every row; writing is left to other policies. */
export function publicRead<T>(target: TableDeclaration<T>, options?: PublicReadOptions<T>): TableDeclaration<T>;
export function publicRead<T extends TableInput>(target: T, options?: PublicReadOptions<T>): TableDeclaration<T>;
export function publicRead<T>(target: TemplateTarget<T>, options: PublicReadOptions<T> = {}): TableDeclaration<T> {
  const where = `publicRead(${options?.name ?? 'public_read'})`;
  checkOptionKeys(where, options, ['to', 'where', 'name', 'grant']);
  const to = roleList(options.to);
  const grants = to === undefined ? (options.grant === false ? [] : [grant('SELECT', { to: 'public' })]) : commandGrants(['SELECT'], to, options.grant, where);
  return onTable(target, {
    policies: [policy<T>(options.name ?? 'public_read', { for: 'SELECT', ...(to ? { to } : {}), using: options.where ?? 'true' })],
    grants,
  });
}
