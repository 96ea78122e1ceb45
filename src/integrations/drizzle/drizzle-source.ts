/**
 * Drizzle as a table source: tables, pgPolicy(...) entries and sql`...`
 * expressions are recognized by Drizzle's own symbols, without importing
 * drizzle-orm (an optional peer, ~100 ms to load), which drizzle-table.ts
 * does once a declaration uses one.
 */
import type { TableSource } from '../../declare/table-source.js';
import { quoteIdent } from '../../render/sql/quote.js';

type DrizzleTableModule = typeof import('./drizzle-table.js');

const IS_DRIZZLE_TABLE = Symbol.for('drizzle:IsDrizzleTable');
const DRIZZLE_NAME = Symbol.for('drizzle:Name');
const ENTITY_KIND = Symbol.for('drizzle:entityKind');

let drizzle: DrizzleTableModule | undefined;

/** drizzle-orm's is(value, PgPolicy), read from the class chain's entityKind. */
function isEntity(value: unknown, kind: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (let cls = Object.getPrototypeOf(value)?.constructor; cls; cls = Object.getPrototypeOf(cls)) {
    if (Object.prototype.hasOwnProperty.call(cls, ENTITY_KIND) && (cls as Record<symbol, unknown>)[ENTITY_KIND] === kind) return true;
  }
  return false;
}

function loadedDrizzle(): DrizzleTableModule {
  if (!drizzle) throw new Error('drizzle source used before load()');
  return drizzle;
}

export const drizzleSource: TableSource = {
  name: 'drizzle',
  policyForm: 'a Drizzle pgPolicy(...)',
  recognizes: (value) => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[IS_DRIZZLE_TABLE] === true,
  recognizesPolicy: (value) => isEntity(value, 'PgPolicy'),
  recognizesExpression: (value) => typeof value === 'object' && value !== null && typeof (value as { getSQL?: unknown }).getSQL === 'function',
  async load() {
    drizzle ??= await import('./drizzle-table.js');
  },
  describe(value) {
    const facts = loadedDrizzle().drizzleTableFacts(value);
    // Drizzle's table object is its own column map: t.ownerId renders "owner_id".
    return { ...facts, columns: value };
  },
  policy: (value, roles, withAttributes) => loadedDrizzle().drizzlePolicy(value as Parameters<DrizzleTableModule['drizzlePolicy']>[0], roles, withAttributes),
  renderExpression: (value) => loadedDrizzle().renderDrizzleSql(value),
  // A column's own name (its database name), checked by Drizzle's class chain: a table's other keys are not columns.
  renderColumn: (value) => (isEntity(value, 'Column') && typeof (value as { name?: unknown }).name === 'string' ? quoteIdent((value as { name: string }).name) : undefined),
  label(value) {
    const name = (value as Record<symbol, unknown>)[DRIZZLE_NAME];
    return typeof name === 'string' ? name : 'a Drizzle table';
  },
};
