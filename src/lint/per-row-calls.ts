import type { Queryable } from '../driver/queryable.js';
import type { CatalogSnapshot } from '../introspect/catalog-snapshot.js';
import type { Policy } from '../model/policy.js';
import { quoteIdent } from '../render/sql/quote.js';

/*
 * Which policies call current_setting() or auth.uid()-style functions once
 * per row, judged by PostgreSQL's planner rather than by the text: a call
 * wrapped in a scalar sub-select is an InitPlan (evaluated once per query),
 * and a bare call compared with an indexed column becomes an index condition
 * (evaluated once per scan). Each distinct USING text is planned as a WHERE
 * clause on its table, with sequential scans discouraged so that an index
 * that can take the call is used if there is one; the call left in a Filter
 * is evaluated for every row. Tables of the same columns and indexes plan a
 * text the same way, so each (text, shape) is planned once.
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

/** Policies (on tables of `catalog`) whose USING calls a once-per-query function in a per-row Filter. */
export async function perRowCalls(db: Queryable, catalog: CatalogSnapshot, lockTimeoutMs: number): Promise<PerRowCall[]> {
  const candidates = catalog.policies.filter((p) => p.using !== null && p.command !== 'INSERT' && ONCE_PER_QUERY.test(p.using));
  if (candidates.length === 0) return [];
  const tables = [...new Set(candidates.map((p) => `${p.schema}\0${p.table}`))];
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await db.query(`SELECT set_config('lock_timeout', $1, true), set_config('enable_seqscan', 'off', true)`, [`${lockTimeoutMs}ms`]);
    const { rows } = await db.query(SHAPES_SQL, [tables.map((t) => t.split('\0')[0]), tables.map((t) => t.split('\0')[1])]);
    const shapeOf = new Map(rows.map((r) => [`${r.schema}\0${r.name}`, r.shape as string]));
    const planned = new Map<string, string[]>();
    const found: PerRowCall[] = [];
    for (const p of candidates) {
      const key = `${shapeOf.get(`${p.schema}\0${p.table}`)}\0${p.using}`;
      let perRow = planned.get(key);
      if (perRow === undefined) {
        perRow = await filterCalls(db, p);
        planned.set(key, perRow);
      }
      if (perRow.length) found.push({ policy: p, functions: perRow, rewritten: wrapCalls(p.using!) });
    }
    return found;
  } finally {
    await db.query('COMMIT').catch(() => undefined);
  }
}

// A table's shape: its columns with types, and its indexes (columns, expressions, predicates, operator classes).
const SHAPES_SQL = `SELECT w.schema, w.name, (
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

/** The once-per-query functions the plan of `WHERE <using>` leaves in a Filter (evaluated per row); [] if it cannot be planned. */
async function filterCalls(db: Queryable, p: Policy): Promise<string[]> {
  const settings = [...new Set([...p.using!.matchAll(/current_setting\('((?:[^']|'')+)'(?:::text)?\)/g)].map((m) => m[1]!.replaceAll("''", "'")))];
  let rows: Record<string, any>[] | undefined;
  for (const value of settings.length ? PLANNING_VALUES : ['']) {
    await db.query('SAVEPOINT pg_access_plan');
    try {
      if (settings.length) await db.query('SELECT set_config(name, $2, true) FROM unnest($1::text[]) AS name', [settings, value]);
      rows = (await db.query(`EXPLAIN (FORMAT JSON, COSTS OFF) SELECT 1 FROM ONLY ${quoteIdent(p.schema)}.${quoteIdent(p.table)} WHERE ${p.using}`)).rows;
      await db.query('RELEASE SAVEPOINT pg_access_plan');
      break;
    } catch (error) {
      await db.query('ROLLBACK TO SAVEPOINT pg_access_plan');
      // A lock timeout is the database being busy, not a text that cannot be planned.
      if ((error as { code?: string }).code === '55P03') throw error;
    }
  }
  if (!rows) return [];
  const filters: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    for (const key of ['Filter', 'Join Filter']) if (typeof node[key] === 'string') filters.push(node[key] as string);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  const plan = (rows[0]!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan;
  walk(plan);
  const names = new Set<string>();
  for (const f of filters) for (const m of f.matchAll(new RegExp(ONCE_PER_QUERY.source, 'g'))) names.add(m[1]!);
  return [...names].sort();
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
