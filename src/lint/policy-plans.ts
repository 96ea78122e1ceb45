import type { Queryable } from '../driver/queryable.js';
import type { CatalogSnapshot } from '../introspect/catalog-snapshot.js';
import type { Policy } from '../model/policy.js';
import { quoteIdent } from '../render/sql/quote.js';

/*
 * What PostgreSQL's planner does with each policy's clauses, rather than
 * what the text suggests. Three facts come from the same plans:
 *
 * Which policies call current_setting() or auth.uid()-style functions once
 * per row: a call wrapped in a scalar sub-select is an InitPlan (evaluated once per query),
 * and a bare call compared with an indexed column becomes an index condition
 * (evaluated once per scan). Each distinct USING text is planned as a WHERE
 * clause on its table, with sequential scans discouraged so that an index
 * that can take the call is used if there is one; the call left in a Filter
 * is evaluated for every row. Tables of the same columns and indexes plan a
 * text the same way, so each (text, shape) is planned once.
 *
 * Which policies compare a column with a per-query value (`owner_id =
 * (SELECT auth.uid())`) on a table no index of which can take it: with
 * sequential scans discouraged, the plan still reads the table by a Seq
 * Scan, so every query under the policy reads every row. The column
 * compared is named from the plan's Filter; the index to add leads with it.
 *
 * Which clauses are true for every row: the planner folds constants, so
 * `1 = 1`, `owner = 1 OR true` and `'a' = 'a'` leave a bare scan with no
 * filter, where a text list knows only the spellings it lists.
 */

/** Functions whose value is the same for every row of a query, worth evaluating once. */
const ONCE_PER_QUERY = /\b(current_setting|auth\.uid|auth\.jwt|auth\.role|auth\.email)\(/;

export interface PerRowCall {
  readonly policy: Policy;
  /** The functions the plan evaluates per row. */
  readonly functions: readonly string[];
  /** The USING text with each such call wrapped in (SELECT ...), as the fix. */
  readonly rewritten: string;
}

export interface UnindexedFilter {
  readonly policy: Policy;
  /** Columns the Filter compares with a per-query value, no index leading with any of them. */
  readonly columns: readonly string[];
}

export interface PolicyPlans {
  readonly perRowCalls: readonly PerRowCall[];
  readonly unindexed: readonly UnindexedFilter[];
  /** Clauses the planner folds away (no filter left): true for every row, however they are written (`1 = 1`, `x OR true`). */
  readonly alwaysTrue: readonly { readonly policy: Policy; readonly clause: 'using' | 'withCheck' }[];
}

interface PlannedText {
  readonly perRow: string[];
  readonly unindexed: string[];
  readonly alwaysTrue: boolean;
}

/** Plans each clause of each policy on tables of `catalog` as a WHERE clause on its table, in one read-only transaction. */
export async function planPolicies(db: Queryable, catalog: CatalogSnapshot, lockTimeoutMs: number): Promise<PolicyPlans> {
  const candidates = catalog.policies.filter((p) => p.using !== null || p.withCheck !== null);
  if (candidates.length === 0) return { perRowCalls: [], unindexed: [], alwaysTrue: [] };
  const tables = [...new Set(candidates.map((p) => `${p.schema}\0${p.table}`))];
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await db.query(`SELECT set_config('lock_timeout', $1, true), set_config('enable_seqscan', 'off', true)`, [`${lockTimeoutMs}ms`]);
    const { rows } = await db.query(SHAPES_SQL, [tables.map((t) => t.split('\0')[0]), tables.map((t) => t.split('\0')[1])]);
    const shapeOf = new Map(rows.map((r) => [`${r.schema}\0${r.name}`, { shape: r.shape as string, columns: r.columns as string[], leading: r.leading as string[] }]));
    const planned = new Map<string, PlannedText | null>();
    const perRowCalls: PerRowCall[] = [];
    const unindexed: UnindexedFilter[] = [];
    const alwaysTrue: PolicyPlans['alwaysTrue'][number][] = [];
    for (const p of candidates) {
      const shape = shapeOf.get(`${p.schema}\0${p.table}`);
      if (!shape) continue;
      const plannedText = async (text: string) => {
        const key = `${shape.shape}\0${text}`;
        if (!planned.has(key)) planned.set(key, await planText(db, p, text, shape.columns, new Set(shape.leading)));
        return planned.get(key)!;
      };
      if (p.using !== null) {
        const found = await plannedText(p.using);
        // Reads go through USING; an INSERT policy has none.
        if (found?.perRow.length) perRowCalls.push({ policy: p, functions: found.perRow, rewritten: wrapCalls(p.using) });
        if (found?.unindexed.length) unindexed.push({ policy: p, columns: found.unindexed });
        if (found?.alwaysTrue) alwaysTrue.push({ policy: p, clause: 'using' });
      }
      if (p.withCheck !== null && (await plannedText(p.withCheck))?.alwaysTrue) alwaysTrue.push({ policy: p, clause: 'withCheck' });
    }
    return { perRowCalls, unindexed, alwaysTrue };
  } finally {
    await db.query('COMMIT').catch(() => undefined);
  }
}

// A table's shape: its columns with types, and its indexes (columns, expressions, predicates, operator classes);
// its column names, and the columns its valid indexes lead with.
const SHAPES_SQL = `SELECT w.schema, w.name,
  ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  ARRAY(SELECT DISTINCT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = c.oid AND i.indisvalid) AS leading, (
    SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  ) || ' | ' || coalesce((
    SELECT string_agg(i.indkey::text || ' ' || i.indclass::text || ' ' || coalesce(pg_get_expr(i.indexprs, i.indrelid), '') || ' ' || coalesce(pg_get_expr(i.indpred, i.indrelid), ''), '; ' ORDER BY i.indkey::text)
    FROM pg_index i WHERE i.indrelid = c.oid AND i.indisvalid), '') AS shape
  FROM unnest($1::text[], $2::text[]) AS w(schema, name)
  JOIN pg_namespace n ON n.nspname = w.schema JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.name`;

/**
 * Values to give the settings a text reads without missing_ok while it is
 * planned: the planner evaluates stable calls to estimate selectivity, so
 * current_setting('app.user_id')::int needs a setting that casts. The first
 * value that plans is used; none of them reaches a table.
 */
const PLANNING_VALUES = ['0', '00000000-0000-0000-0000-000000000000', 'x', '{}', 'true', '2000-01-01'];

/**
 * The once-per-query functions the plan of `WHERE <using>` leaves in a Filter
 * (evaluated per row), and the columns a Seq Scan of the table filters by
 * equality with a per-query value, none of them leading an index; nothing if
 * the text cannot be planned.
 */
async function planText(db: Queryable, p: Policy, text: string, columns: readonly string[], leading: ReadonlySet<string>): Promise<PlannedText | null> {
  const settings = [...new Set([...text.matchAll(/current_setting\('((?:[^']|'')+)'(?:::text)?\)/g)].map((m) => m[1]!.replaceAll("''", "'")))];
  let rows: Record<string, any>[] | undefined;
  for (const value of settings.length ? PLANNING_VALUES : ['']) {
    await db.query('SAVEPOINT pg_access_plan');
    try {
      if (settings.length) await db.query('SELECT set_config(name, $2, true) FROM unnest($1::text[]) AS name', [settings, value]);
      rows = (await db.query(`EXPLAIN (FORMAT JSON, COSTS OFF) SELECT 1 FROM ONLY ${quoteIdent(p.schema)}.${quoteIdent(p.table)} WHERE ${text}`)).rows;
      await db.query('RELEASE SAVEPOINT pg_access_plan');
      break;
    } catch (error) {
      await db.query('ROLLBACK TO SAVEPOINT pg_access_plan');
      // A lock timeout is the database being busy, not a text that cannot be planned.
      if ((error as { code?: string }).code === '55P03') throw error;
    }
  }
  if (!rows) return null;
  const filters: string[] = [];
  const seqScanFilters: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    for (const key of ['Filter', 'Join Filter']) if (typeof node[key] === 'string') filters.push(node[key] as string);
    if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === p.table && typeof node.Filter === 'string') seqScanFilters.push(node.Filter);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  const plan = (rows[0]!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan;
  walk(plan);
  const names = new Set<string>();
  for (const f of filters) for (const m of f.matchAll(new RegExp(ONCE_PER_QUERY.source, 'g'))) names.add(m[1]!);
  const compared = new Set(seqScanFilters.flatMap((f) => comparedWithValue(f, columns)));
  // Folded to nothing: the whole plan is the table's scan, without a filter or a one-time filter.
  const alwaysTrue = plan['Node Type'] === 'Seq Scan' && plan['Relation Name'] === p.table && plan.Filter === undefined && plan.Plans === undefined;
  return { perRow: [...names].sort(), unindexed: [...compared].filter((c) => !leading.has(c)).sort(), alwaysTrue };
}

/**
 * Columns a Filter (as EXPLAIN prints it: bare column names, one relation)
 * compares by `=` with a side that names none of the table's columns: a
 * constant, a setting, a function call, an InitPlan's value. `a = b` of two
 * columns is not one an index on either would serve.
 */
export function comparedWithValue(filter: string, columns: readonly string[]): string[] {
  const known = new Set(columns);
  const found: string[] = [];
  const operands = (side: string) => side.replace(/'(?:[^']|'')*'/g, "''");
  const namesColumn = (side: string) => [...operands(side).matchAll(/"((?:[^"]|"")+)"|\b([a-z_][a-z0-9_$]*)\b/g)].some((m) => known.has(m[1]?.replaceAll('""', '"') ?? m[2]!));
  for (const side of splitEqualities(filter)) {
    const column = bareColumn(side[0], known);
    if (column !== null && !namesColumn(side[1])) found.push(column);
    const other = bareColumn(side[1], known);
    if (other !== null && !namesColumn(side[0])) found.push(other);
  }
  return found;
}

/** The column a comparison operand is, quoted or not; null for anything else (a cast column, `(owner_id)::text`, is not one a plain index serves). */
function bareColumn(operand: string, known: ReadonlySet<string>): string | null {
  const m = /^\(*\s*(?:"((?:[^"]|"")+)"|([a-z_][a-z0-9_$]*))\s*\)*$/.exec(operand.trim());
  if (!m) return null;
  const name = m[1]?.replaceAll('""', '"') ?? m[2]!;
  return known.has(name) ? name : null;
}

/** Each `left = right` of a Filter, the operands cut at the parenthesis that encloses the comparison. */
function splitEqualities(filter: string): [string, string][] {
  const out: [string, string][] = [];
  let inString = false;
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i];
    if (ch === "'") inString = !inString;
    if (inString || ch !== '=' || filter[i - 1] !== ' ' || filter[i + 1] !== ' ') continue;
    out.push([operandBefore(filter, i - 1), operandAfter(filter, i + 2)]);
  }
  return out;
}

function operandBefore(text: string, end: number): string {
  let depth = 0;
  let i = end - 1;
  for (; i >= 0; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && depth-- === 0) break;
  }
  return text.slice(i + 1, end);
}

function operandAfter(text: string, start: number): string {
  let depth = 0;
  let i = start;
  for (; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && depth-- === 0) break;
  }
  return text.slice(start, i);
}

/** Each once-per-query call (a name and its balanced argument list) wrapped in a scalar sub-select, unless it already is. */
export function wrapCalls(text: string): string {
  let out = '';
  let i = 0;
  const pattern = new RegExp(ONCE_PER_QUERY.source, 'g');
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const start = m.index;
    let depth = 0;
    let end = start + m[0].length - 1;
    for (; end < text.length; end++) {
      if (text[end] === '(') depth++;
      else if (text[end] === ')' && --depth === 0) break;
    }
    const before = text.slice(0, start).trimEnd();
    const already = /\(\s*SELECT$/i.test(before);
    out += text.slice(i, start) + (already ? text.slice(start, end + 1) : `(SELECT ${text.slice(start, end + 1)})`);
    i = end + 1;
    pattern.lastIndex = i;
  }
  return out + text.slice(i);
}
