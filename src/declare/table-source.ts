/**
 * The seam between the declaration layer and the model layers users write
 * their tables in (Drizzle today; TypeORM, MikroORM, Prisma and Kysely
 * plug in the same way). The core never imports one: each front end
 * registers a TableSource from its own module (src/integrations/<orm>/),
 * which the package entry loads, and the core asks the registry.
 *
 * A source recognizes its values cheaply and without importing its ORM (a
 * symbol, a brand), so an unused ORM is never loaded; `load` brings in what
 * `describe` and the rest need, once, and only when a declaration uses it.
 */
import { PgAccessError } from '../errors.js';
import type { PolicyDeclaration } from './declarations.js';

/** What a model says about its table, after the ORM's own naming. */
export interface TableFacts {
  readonly schema: string;
  readonly name: string;
  /** What an expression callback `(t) => ...` receives: the model's column keys, each rendering its database name. */
  readonly columns: unknown;
  /** Row-level security the model itself enables (taken unless the table(...) declaration says otherwise). */
  readonly enableRls?: boolean;
  /** Policies the model itself declares, as if listed in table(..., { policies }). */
  readonly policies?: readonly PolicyDeclaration[];
  /** Roles those policies name, used as existing roles. */
  readonly roles?: readonly string[];
  /** Roles the model declares with attributes pg-access does not apply (a diagnostic says so), by name, as written. */
  readonly rolesWithAttributes?: ReadonlyMap<string, string>;
}

export interface TableSource {
  /** Its name in messages ('drizzle'). */
  readonly name: string;
  /** Whether `value` is one of its tables: cheap, and without loading the ORM. */
  recognizes(value: unknown): boolean;
  /** Whether `value` is a policy in its own form (a Drizzle pgPolicy) in a table's policies list: cheap, likewise. */
  recognizesPolicy?(value: unknown): boolean;
  /** Whether `value` is an expression object of its own (a Drizzle sql`...` fragment): cheap, likewise. */
  recognizesExpression?(value: unknown): boolean;
  /** Imports what the rest needs; called once, before any of the methods below, when a declaration uses the source. */
  load?(): Promise<void>;
  describe(value: unknown): TableFacts;
  /** A recognized policy as policy(...) means it; the roles it names are added to `roles` (with attributes to `withAttributes`). */
  policy?(value: unknown, roles: Set<string>, withAttributes: Map<string, string>): PolicyDeclaration;
  /** A recognized expression as SQL text, with parameters inlined and columns by their database names. */
  renderExpression?(value: unknown): string;
  /**
   * One of its column objects (a Drizzle column, as `t.ownerId` gives it in a
   * callback) as its quoted database name; undefined for anything else.
   * Templates name columns by key and read them through this.
   */
  renderColumn?(value: unknown): string | undefined;
  /** Its policy form for messages ('a Drizzle pgPolicy(...)'), when it has one. */
  readonly policyForm?: string;
  /** A short name of a recognized table for messages, without loading the ORM. */
  label?(value: unknown): string;
}

const sources: TableSource[] = [];
const loaded = new Map<TableSource, Promise<void>>();

/** Adds a front end. Its name must be new. */
export function registerTableSource(source: TableSource): void {
  if (sources.some((s) => s.name === source.name)) throw new PgAccessError('INVALID_TABLE_SOURCE', `A table source named '${source.name}' is already registered.`);
  sources.push(source);
}

export function tableSources(): readonly TableSource[] {
  return sources;
}

/**
 * The source of a table value, or a message saying why there is none: no
 * source recognizes it, or two do (then neither is guessed).
 */
export function sourceOfTable(value: unknown): TableSource | string {
  const claiming = sources.filter((s) => s.recognizes(value));
  if (claiming.length === 1) return claiming[0]!;
  if (claiming.length > 1) return `is claimed by more than one table source (${claiming.map((s) => s.name).join(', ')}); declare it with a 'schema.table' string instead`;
  return `is neither a 'schema.table' string nor a table of a registered front end (${sources.map((s) => s.name).join(', ') || 'none registered'})`;
}

export function sourceOfPolicy(value: unknown): TableSource | undefined {
  return sources.find((s) => s.recognizesPolicy?.(value) === true);
}

export function sourceOfExpression(value: unknown): TableSource | undefined {
  return sources.find((s) => s.recognizesExpression?.(value) === true);
}

/** Loads a source once; a source whose ORM is missing is an error naming it and the fix. */
export async function loadTableSource(source: TableSource): Promise<void> {
  if (!source.load) return;
  let loading = loaded.get(source);
  if (!loading) loaded.set(source, (loading = source.load()));
  try {
    await loading;
  } catch (cause) {
    loaded.delete(source);
    throw new PgAccessError(
      'TABLE_SOURCE_UNAVAILABLE',
      `The declaration uses ${source.name} objects, but ${source.name} could not be loaded (${(cause as Error).message}). Install it in the project, or name the tables with strings such as 'public.documents'.`,
    );
  }
}

/**
 * The quoted database name of column `key` in what an expression callback
 * receives (`columns`): a front end's column map renders quoted names
 * itself, a column object (Drizzle's) is rendered by the source that knows
 * it. A key that names no column throws, naming it; the caller adds where.
 */
export function columnReference(columns: unknown, key: string): string {
  if (typeof key !== 'string' || key === '') throw new Error(`a column is named by a non-empty string, got ${JSON.stringify(key)}`);
  const value = (columns as Record<string, unknown>)[key];
  if (typeof value === 'string') return value;
  for (const s of sources) {
    const rendered = s.renderColumn?.(value);
    if (rendered !== undefined) return rendered;
  }
  throw new Error(`the table has no column ${JSON.stringify(key)}`);
}
