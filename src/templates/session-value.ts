import { quoteLiteral } from '../render/sql/quote.js';
import type { SessionValue } from './template-types.js';

/** A type name as a cast takes it: words, dots, digits, a typmod, array brackets (uuid, bigint, numeric(10,2), "my type", text[]). */
const TYPE_NAME = /^(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\.(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?(?: [A-Za-z_]+)*(?:\(\d+(?:, ?\d+)?\))?(?:\[\])*$/;

/**
 * The session value as SQL PostgreSQL evaluates once per statement: wrapped
 * in a scalar sub-select, it is an InitPlan, where a bare
 * `current_setting(...)` or `auth.uid()` is called again for every row
 * (on a million rows, about three times slower: `npm run bench:runtime`).
 * An unset or reset setting reads as '' and is taken as NULL, so it
 * matches no row (fail closed) instead of failing the cast.
 */
export function sessionValueSql(value: SessionValue, where: string): string {
  if (!value || typeof value !== 'object') throw new TypeError(`${where}: give the session value as { setting: 'app.user_id' } or { fn: 'auth.uid()' }.`);
  const { setting, fn, type } = value;
  if ((setting === undefined) === (fn === undefined)) {
    throw new TypeError(`${where}: give exactly one of setting (a configuration parameter such as 'app.user_id') or fn (a call such as 'auth.uid()').`);
  }
  if (type !== undefined && (typeof type !== 'string' || !TYPE_NAME.test(type))) throw new TypeError(`${where}: type ${JSON.stringify(type)} is not a type name such as 'uuid' or 'bigint'.`);
  const cast = type === undefined ? '' : `::${type}`;
  if (setting !== undefined) {
    if (typeof setting !== 'string' || !/^[A-Za-z_][\w$]*\.[\w$.]+$/.test(setting)) {
      throw new TypeError(`${where}: setting ${JSON.stringify(setting)} is not a custom configuration parameter; name it with a prefix and a dot, such as 'app.user_id'.`);
    }
    return `(SELECT NULLIF(current_setting(${quoteLiteral(setting)}, true), '')${cast})`;
  }
  if (typeof fn !== 'string' || fn.trim() === '') throw new TypeError(`${where}: fn must be SQL such as 'auth.uid()', got ${JSON.stringify(fn)}.`);
  return type === undefined ? `(SELECT ${fn})` : `(SELECT (${fn})${cast})`;
}
