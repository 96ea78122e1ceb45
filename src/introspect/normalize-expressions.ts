import { openQuietly, type ExtraConnection, type Queryable } from '../driver/queryable.js';
import { PgAccessError, isConnectionLost } from '../errors.js';
import type { PolicyCommand } from '../model/policy.js';
import { quoteIdent, quoteQualified } from '../render/sql/quote.js';

export interface ExpressionsToNormalize {
  readonly schema: string;
  readonly table: string;
  /** The policy's name, for error messages only. */
  readonly name: string;
  readonly command: PolicyCommand;
  readonly using: string | null;
  readonly withCheck: string | null;
  /** The existing policy's texts (pg_get_expr), when the table has a policy of that name: compared through views if the clone route cannot judge the declared ones. */
  readonly actual?: { readonly using: string | null; readonly withCheck: string | null };
}

export interface NormalizedExpressions {
  readonly using: string | null;
  readonly withCheck: string | null;
  /**
   * True when the text could not be checked on a temporary clone and was
   * judged through views on the real table instead (see below): the texts are
   * then the existing policy's where PostgreSQL reads them as equal, else the
   * declared ones as written, not PostgreSQL's deparse.
   */
  readonly asWritten: boolean;
}

const PAYLOAD_SETTING = 'pg_access.normalize_payload';
const RESULTS_SETTING = 'pg_access.normalize_results';
const ERRORS_SETTING = 'pg_access.normalize_errors';
const SAME_SETTING = 'pg_access.normalize_same';
const TEMPORARY_PREFIX = 'pg_access_normalize_';
/** A private SQLSTATE that rolls a subtransaction back on purpose. */
const ROLLBACK_STATE = 'PGA01';
/** Tables with clones of their own per subtransaction: bounds how many temporary tables (and their locks) exist at once. */
export const TABLES_PER_BATCH = 50;
/**
 * Tables judged on shared clones (markShared) per subtransaction: they add a
 * clone only for a column shape the batch has not seen. Fewer batches, fewer
 * clones: 4,000 changed policies took 0.4 s less than at 50.
 */
export const SHARED_TABLES_PER_BATCH = 200;

/*
 * PostgreSQL is the judge of expressions, and it judges them without touching
 * the declared tables. For each table with policies to check, a temporary
 * table of the same name and the same columns (types, typmods, collations,
 * read from pg_attribute: no privilege on the table is needed) is created in
 * pg_temp; each declared policy is created on it under a temporary name, read
 * back with pg_get_expr, and everything is rolled back.
 *
 * Why a clone of the same name, and why this search_path:
 * - pg_get_expr names the policy's own table by its relation name (outer
 *   references inside sub-selects print as `documents.org_id`), and a
 *   declared text may write `documents.col`: the clone must be called
 *   `documents` for both to read as they will on the real table.
 * - Every other name must resolve exactly as it will when the policy is
 *   created for real. pg_temp is searched first unless the search_path lists
 *   it, so for the duration of the check the path is the session's effective
 *   path with pg_temp moved to the end: a sub-select's `documents` or
 *   `public.documents` reaches the real table, functions and types resolve
 *   as before (functions are never looked up in pg_temp). The deparsed text
 *   is therefore the one the catalogs will hold, and it is compared as
 *   before with pg_get_expr of the existing policies.
 * - A bare name that resolves nowhere else would find a clone. For tables
 *   whose name is not visible on the path, any declared text that mentions
 *   that name is first parsed against the real table through a temporary
 *   view (SELECT ... FROM the table WHERE the expression), before any clone
 *   exists, so such a reference fails as it would on the real table.
 * - Two declared tables of the same name never share a batch.
 *
 * Locks and writes: no lock is taken on a declared table (its columns are
 * read from pg_attribute by oid, to_regclass takes none); tables read by a
 * sub-select get ACCESS SHARE while their batch is parsed, as any reader
 * would. The temporary tables live in the session's own pg_temp schema and
 * disappear with the rolled-back subtransaction. This needs the TEMPORARY
 * privilege on the database (PUBLIC holds it by default) and a server that
 * accepts writes: a hot standby or a read-only transaction refuses
 * temporary tables, and the error says so.
 *
 * A text a clone cannot take (a whole-row value passed to a function of the
 * table's row type, whose clone has another row type) is judged through
 * temporary views on the real table instead; see the end of the DO block.
 *
 * Batched: the expressions travel as one JSON parameter through a
 * transaction-local setting (no user text is spliced into this SQL), and one
 * DO block handles every table; a batch that fails is redone statement by
 * statement, so every rejected expression is reported at once.
 */
/** CREATE TEMPORARY VIEW <name> AS SELECT 1 AS x FROM <table> WHERE (<text>): parses a text against the real table. */
function viewOf(name: string, text: string): string {
  return `format(E'CREATE TEMPORARY VIEW %I AS SELECT 1 AS x FROM %I.%I WHERE (%s\\n)', '${TEMPORARY_PREFIX}' || ${name}, tbl->>'schema', tbl->>'table', ${text})`;
}

function viewdef(name: string): string {
  return `pg_get_viewdef(to_regclass('pg_temp.${TEMPORARY_PREFIX}${name}'))`;
}

/**
 * Runs `body` in a subtransaction that is always rolled back (a private
 * SQLSTATE raised at its end), so every temporary object it made is gone;
 * `onError` handles any other failure (default: let it propagate).
 */
function rolledBack(body: string, onError?: string): string {
  return `BEGIN
        ${body}
        RAISE EXCEPTION USING ERRCODE = '${ROLLBACK_STATE}';
      EXCEPTION
        WHEN SQLSTATE '${ROLLBACK_STATE}' THEN NULL;
        WHEN lock_not_available THEN ${GIVE_UP}${onError === undefined ? '' : `
        WHEN OTHERS THEN ${onError}`}
      END;`;
}

/*
 * A lock timeout ends the whole check (LOCK_TIMEOUT): it is reported once and
 * nothing more is tried, where redoing the batch statement by statement, or
 * going on with the next batches, would wait for the same lock again.
 */
const GIVE_UP = `${reportError("coalesce(item->'i', '0'::jsonb)")}
          gave_up := true;`;

/** Appends to `errors`: the declared item (by index), PostgreSQL's message and SQLSTATE, and any extra fields. */
function reportError(item = "item->'i'", message = 'SQLERRM', state = 'SQLSTATE', extra = ''): string {
  return `errors := errors || jsonb_build_array(jsonb_build_object('i', ${item}, 'message', ${message}, 'state', ${state}${extra}));`;
}

/**
 * Creates each table's clone and its declared policies. The first pass has no
 * exception block per statement: every one would be a subtransaction with
 * its own transaction ID, and a few thousand of them overflow the 64 that a
 * backend can list in shared memory, which slows every other session's
 * snapshots. Only if the batch fails is it redone `careful`ly, one
 * subtransaction per statement, to report each failure (and send texts the
 * clone rejects to the views below).
 */
function tablePass(careful: boolean): string {
  const createClone = `EXECUTE format('CREATE TEMPORARY TABLE %I (%s)', clone, coalesce(cols, ''));`;
  const createPolicy = `EXECUTE format('CREATE POLICY %I ON pg_temp.%I AS PERMISSIVE FOR %s TO PUBLIC%s%s',
              '${TEMPORARY_PREFIX}' || (item->>'i'), clone, item->>'command',
              CASE WHEN item ? 'using' THEN E' USING (' || (item->>'using') || E'\\n)' ELSE '' END,
              CASE WHEN item ? 'check' THEN E' WITH CHECK (' || (item->>'check') || E'\\n)' ELSE '' END);`;
  // One query per batch for every table's columns and every item: a query per table (for its columns, then for its
  // items) was most of the block's time once the policies themselves were fast. The table is looked up again when
  // its first item's turn comes: one dropped while an earlier table's policies waited for a lock is reported.
  return `FOR tbl, item, first_of_table, cols IN
        SELECT b.value, i.value, i.k = 1, c.cols
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS b(value, n),
          LATERAL (SELECT to_regclass(format('%I.%I', b.value->>'schema', b.value->>'table'))::oid AS rel) r,
          LATERAL (SELECT string_agg(format('%I %s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                 CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                      THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) ELSE '' END), ', ' ORDER BY a.attnum) AS cols
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            WHERE a.attrelid = r.rel AND a.attnum > 0 AND NOT a.attisdropped) c,
          LATERAL jsonb_array_elements(b.value->'items') WITH ORDINALITY AS i(value, k)
        ORDER BY b.n, i.k
      LOOP
        EXIT WHEN gave_up;
        IF first_of_table THEN
          skip_table := false;
          IF to_regclass(format('%I.%I', tbl->>'schema', tbl->>'table')) IS NULL THEN
            ${reportError("item->'i'", "'the table no longer exists'", "'PGA03'")}
            skip_table := true;
          ELSE
            -- A table of a shape already cloned in this batch shares that clone (see markShared).
            clone := CASE WHEN (tbl->>'shared')::boolean THEN shapes->>coalesce(cols, '') END;
            IF clone IS NULL THEN
              IF (tbl->>'shared')::boolean THEN
                clone := '${TEMPORARY_PREFIX}shape_' || (SELECT count(*) FROM jsonb_object_keys(shapes));
                shapes := shapes || jsonb_build_object(coalesce(cols, ''), clone);
              ELSE
                clone := tbl->>'table';
              END IF;
            ${
              careful
                ? `BEGIN
              ${createClone}
            EXCEPTION WHEN OTHERS THEN
              ${reportError("item->'i'", 'SQLERRM', 'SQLSTATE', ", 'clone', true")}
              skip_table := true;
            END;`
                : createClone
            }
            IF NOT skip_table THEN clones := array_append(clones, format('pg_temp.%I', clone)::regclass::oid); END IF;
            END IF;
          END IF;
        END IF;
        CONTINUE WHEN skip_table;
        ${
          careful
            ? ''
            : `-- The same texts for the same command on the same shared clone deparse alike: created once (see SAME_TEXTS).
        IF (tbl->>'shared')::boolean THEN
          same_key := jsonb_build_array(clone, item->'command', item->'using', item->'check')::text;
          IF same ? same_key THEN
            dups := dups || jsonb_build_array(jsonb_build_array(item->'i', same->same_key));
            CONTINUE;
          END IF;
          same := same || jsonb_build_object(same_key, item->'i');
        END IF;`
        }
        ${
          careful
            ? `BEGIN
          ${createPolicy}
        EXCEPTION
          WHEN lock_not_available THEN
            ${GIVE_UP}
          WHEN OTHERS THEN
            failed := failed || jsonb_build_array(jsonb_build_object('schema', tbl->'schema', 'table', tbl->'table', 'item', item));
        END;`
            : createPolicy
        }
      END LOOP;`;
}

/*
 * SAME_TEXTS: on a shared clone (markShared: a text that names neither its
 * table nor any other relation), what PostgreSQL stores depends only on the
 * clone's columns, the command and the texts, so a policy repeated on many
 * tables (a tenant fence, an owner check) is created once per batch and its
 * deparse given to every repeat. The careful redo creates every one, so
 * that each failure is reported where it is.
 */
/** The temporary policies of this batch's clones, by their index (found through pg_policy's index on polrelid). */
const readBack = `FOR created IN
        SELECT jsonb_build_array(substr(p.polname, ${TEMPORARY_PREFIX.length + 1})::int, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_policy p WHERE p.polrelid = ANY (clones) AND p.polname LIKE '${TEMPORARY_PREFIX.replaceAll('_', '\\_')}%'
      LOOP
        results := array_append(results, created);
      END LOOP;`;

const NORMALIZE_DO = `DO $pg_access$
DECLARE
  batch jsonb;
  tbl jsonb;
  item jsonb;
  first_of_table boolean;
  skip_table boolean := false;
  same jsonb;
  same_key text;
  dups jsonb;
  aliases jsonb := '[]'::jsonb;
  created jsonb;
  cols text;
  failed jsonb;
  f jsonb;
  clones oid[];
  redo boolean;
  clone text;
  shapes jsonb;
  views text[];
  results jsonb[] := '{}';
  errors jsonb := '[]'::jsonb;
  gave_up boolean := false;
BEGIN
  FOR batch IN SELECT value FROM jsonb_array_elements(current_setting('${PAYLOAD_SETTING}')::jsonb) LOOP
    EXIT WHEN gave_up;
    failed := '[]'::jsonb;
    clones := '{}';
    shapes := '{}';
    redo := false;
    same := '{}';
    dups := '[]';
    -- Texts that may name a table only a clone would make visible: parsed against the real table first, before any clone exists.
    FOR tbl, item IN
        SELECT b.value, i.value FROM jsonb_array_elements(batch) b, jsonb_array_elements(b.value->'items') i WHERE (i.value->>'view')::boolean
      LOOP
        EXIT WHEN gave_up;
        ${rolledBack(
          `IF item ? 'using' THEN EXECUTE ${viewOf("'u'", "item->>'using'")}; END IF;
          IF item ? 'check' THEN EXECUTE ${viewOf("'c'", "item->>'check'")}; END IF;`,
          reportError(),
        )}
      END LOOP;
    EXIT WHEN gave_up;
    ${rolledBack(`${tablePass(false)}
      ${readBack}`, 'redo := true;')}
    -- Something in the batch failed: redo it with a subtransaction per statement, to know which ones.
    IF redo AND NOT gave_up THEN
      dups := '[]';
      failed := '[]'::jsonb;
      clones := '{}';
      shapes := '{}';
      ${rolledBack(`${tablePass(true)}
        ${readBack}`)}
    END IF;
    aliases := aliases || dups;
    -- Rejected on the clone: a whole-row value of the clone's row type, or a schema-qualified reference to the
    -- policy's own table. Judged instead through views on the real table (no clone exists now): the declared
    -- text and the existing policy's text are each parsed there and PostgreSQL's deparse of both compared.
    FOR f IN SELECT value FROM jsonb_array_elements(failed) LOOP
      tbl := jsonb_build_object('schema', f->'schema', 'table', f->'table');
      item := f->'item';
      ${rolledBack(
        `views := ARRAY[]::text[];
        IF item ? 'using' THEN EXECUTE ${viewOf("'du'", "item->>'using'")}; END IF;
        IF item ? 'check' THEN EXECUTE ${viewOf("'dc'", "item->>'check'")}; END IF;
        BEGIN
          IF item ? 'au' THEN EXECUTE ${viewOf("'au'", "item->>'au'")}; views := array_append(views, 'au'); END IF;
          IF item ? 'ac' THEN EXECUTE ${viewOf("'ac'", "item->>'ac'")}; views := array_append(views, 'ac'); END IF;
        EXCEPTION WHEN OTHERS THEN views := ARRAY[]::text[]; -- an existing text that no longer parses differs from the declaration
        END;
        results := array_append(results, jsonb_build_array((item->>'i')::int,
          CASE WHEN NOT item ? 'using' THEN NULL WHEN 'au' = ANY (views) AND ${viewdef('au')} = ${viewdef('du')} THEN item->>'au' ELSE item->>'using' END,
          CASE WHEN NOT item ? 'check' THEN NULL WHEN 'ac' = ANY (views) AND ${viewdef('ac')} = ${viewdef('dc')} THEN item->>'ac' ELSE item->>'check' END,
          true));`,
        reportError(),
      )}
    END LOOP;
  END LOOP;
  PERFORM set_config('${RESULTS_SETTING}', array_to_json(results)::text, true);
  PERFORM set_config('${SAME_SETTING}', aliases::text, true);
  PERFORM set_config('${ERRORS_SETTING}', errors::text, true);
END
$pg_access$`;

/*
 * The deparsed expressions come back once each: many tables' policies deparse
 * to the same text, so the server sends the distinct texts and, per policy,
 * [index, using text's number, check text's number].
 */
const READ_BACK = `WITH created AS (
  SELECT (e->>0)::int AS i, e->>1 AS u, e->>2 AS c, e->3 IS NOT NULL AS fb FROM json_array_elements(current_setting('${RESULTS_SETTING}')::json) e
), r AS (
  SELECT * FROM created
  UNION ALL
  SELECT (a->>0)::int, o.u, o.c, o.fb FROM json_array_elements(current_setting('${SAME_SETTING}')::json) a JOIN created o ON o.i = (a->>1)::int
), t AS (
  SELECT v, (row_number() OVER () - 1)::int AS n FROM (SELECT u AS v FROM r WHERE u IS NOT NULL UNION SELECT c FROM r WHERE c IS NOT NULL) d
)
SELECT current_setting('${ERRORS_SETTING}') AS errors,
  (SELECT COALESCE(json_agg(v ORDER BY n), '[]') FROM t)::text AS texts,
  (SELECT COALESCE(json_agg(json_build_array(r.i, tu.n, tc.n, r.fb)), '[]')
   FROM r LEFT JOIN t tu ON tu.v = r.u LEFT JOIN t tc ON tc.v = r.c)::text AS results`;

/**
 * Which declared table names are visible by their bare name on the session's
 * search_path (to_regclass takes no lock), and the path the DO block runs
 * with: the session's effective path with pg_temp moved to the end. Read on
 * the session and set on every connection that normalizes, so that a second
 * connection resolves names exactly as the session would.
 */
const VISIBLE_NAMES = `SELECT coalesce(json_agg(n), '[]')::text AS names,
  (SELECT coalesce(string_agg(quote_ident(s), ', ' ORDER BY o) || ', ', '') || 'pg_temp'
   FROM unnest(current_schemas(true)) WITH ORDINALITY AS u(s, o) WHERE s NOT LIKE 'pg\\_temp\\_%') AS path
FROM json_array_elements_text($1::text::json) n WHERE to_regclass(quote_ident(n)) IS NOT NULL`;

export interface NormalizeOptions {
  /** True when the caller already holds a transaction (apply): a savepoint is used instead of BEGIN. */
  readonly inTransaction?: boolean;
  /** Milliseconds to wait for a lock on a table a sub-select reads. Default 5000. */
  readonly lockTimeoutMs?: number;
  /**
   * A second connection to the same database: from SPLIT_FROM_BATCHES
   * batches, half of them are normalized there at the same time (the server
   * does the work, and the DO block runs on one core). Unused inside a
   * transaction: apply's normalization must see its own transaction.
   */
  readonly extraConnection?: (() => Promise<ExtraConnection>) | undefined;
}

/**
 * Batches from which normalization runs in two halves at once: 4,000 changed
 * policies on 10,000 tables (20 batches) took 0.74 s in the DO block on one
 * connection. Below it, opening a connection costs about what it saves.
 */
export const SPLIT_FROM_BATCHES = 4;

interface TableGroup {
  readonly schema: string;
  readonly table: string;
  /** Set by markShared: its policies can be judged on a clone shared by every table of the same columns. */
  shared?: boolean;
  readonly items: { i: number; command: PolicyCommand; using?: string; check?: string; au?: string; ac?: string; view?: boolean }[];
}

/** What one connection's DO block sends back (see READ_BACK). */
interface ReadBackRow {
  readonly errors: string;
  readonly texts: string;
  readonly results: string;
}

type NormalizeError = { i: number; message: string; state: string; clone?: boolean };

/** Normalizes the given policies' expressions through PostgreSQL (see above); 4 round trips plus BEGIN/ROLLBACK, per connection. */
export async function normalizeExpressions(
  db: Queryable,
  items: readonly ExpressionsToNormalize[],
  options: NormalizeOptions = {},
): Promise<NormalizedExpressions[]> {
  if (items.length === 0) return [];
  const groups = groupByTable(items);
  const begin = options.inTransaction ? 'SAVEPOINT pg_access_normalize' : 'BEGIN';
  const end = options.inTransaction ? 'ROLLBACK TO SAVEPOINT pg_access_normalize' : 'ROLLBACK';
  const lockTimeout = `${options.lockTimeoutMs ?? 5000}ms`;
  let rows: ReadBackRow[];
  await db.query(begin);
  try {
    const names = [...new Set(groups.map((g) => g.table))];
    const seen = (await db.query(VISIBLE_NAMES, [JSON.stringify(names)])).rows[0] as { names: string; path: string };
    const visible = new Set(JSON.parse(seen.names) as string[]);
    markViewChecks(groups, names.filter((n) => !visible.has(n)));
    markShared(groups);
    const all = batches(groups);
    const extra = !options.inTransaction && options.extraConnection && all.length >= SPLIT_FROM_BATCHES ? await openQuietly(options.extraConnection) : null;
    if (extra) {
      const [mine, theirs] = halves(all);
      rows = await bothSettled(runBatches(db, mine, seen.path, lockTimeout), inRolledBackTransaction(extra, () => runBatches(extra, theirs, seen.path, lockTimeout)));
    } else {
      rows = [await runBatches(db, all, seen.path, lockTimeout)];
    }
  } catch (cause) {
    await db.query(end).catch(() => undefined);
    throw normalizeFailure(cause);
  }
  await db.query(end);
  if (options.inTransaction) await db.query('RELEASE SAVEPOINT pg_access_normalize');

  throwForErrors(
    rows.flatMap((row) => JSON.parse(row.errors) as NormalizeError[]),
    items,
  );
  const result: NormalizedExpressions[] = new Array(items.length);
  for (const row of rows) {
    const texts = JSON.parse(row.texts) as string[];
    for (const [i, using, withCheck, asWritten] of JSON.parse(row.results) as [number, number | null, number | null, boolean][]) {
      result[i] = { using: using === null ? null : texts[using]!, withCheck: withCheck === null ? null : texts[withCheck]!, asWritten };
    }
  }
  for (let i = 0; i < items.length; i++) {
    if (!result[i]) throw new Error(`internal: expression ${i} was not normalized`);
  }
  return result;
}

/** The DO block over these batches on one connection, inside its transaction, and what it found. */
async function runBatches(connection: Queryable, list: readonly TableGroup[][], path: string, lockTimeout: string): Promise<ReadBackRow> {
  await connection.query(`SELECT set_config('lock_timeout', $1, true), set_config('search_path', $2, true), set_config('${PAYLOAD_SETTING}', $3, true)`, [
    lockTimeout,
    path,
    JSON.stringify(list),
  ]);
  await connection.query(NORMALIZE_DO);
  return (await connection.query(READ_BACK)).rows[0];
}

async function inRolledBackTransaction<T>(connection: ExtraConnection, fn: () => Promise<T>): Promise<T> {
  await connection.query('BEGIN');
  try {
    return await fn();
  } finally {
    await connection.query('ROLLBACK').catch(() => undefined);
    connection.release();
  }
}

/** Alternate batches to each half: neighbours are alike (a schema's tables come together), so the halves weigh about the same. */
function halves<T>(list: readonly T[]): [T[], T[]] {
  return [list.filter((_, k) => k % 2 === 0), list.filter((_, k) => k % 2 === 1)];
}

/** Both results; if either failed, the first failure, once both have finished (the session must be idle before its ROLLBACK). */
async function bothSettled<T>(a: Promise<T>, b: Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled([a, b]);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function groupByTable(items: readonly ExpressionsToNormalize[]): TableGroup[] {
  const bySchema = new Map<string, Map<string, TableGroup>>();
  let group: TableGroup | undefined;
  items.forEach((item, i) => {
    // A table's policies usually come one after another: only a change of table needs a lookup.
    if (!group || group.schema !== item.schema || group.table !== item.table) {
      let tables = bySchema.get(item.schema);
      if (!tables) bySchema.set(item.schema, (tables = new Map()));
      group = tables.get(item.table);
      if (!group) tables.set(item.table, (group = { schema: item.schema, table: item.table, items: [] }));
    }
    // Absent clauses are left out (JSON.stringify drops undefined): the DO block tests `item ? 'using'`.
    group.items.push({
      i,
      command: item.command,
      using: item.using === null ? undefined : forClone(item.using, item.schema, item.table),
      check: item.withCheck === null ? undefined : forClone(item.withCheck, item.schema, item.table),
      au: item.actual?.using ?? undefined,
      ac: item.actual?.withCheck ?? undefined,
    });
  });
  return [...bySchema.values()].flatMap((tables) => [...tables.values()]);
}

/**
 * `"content"."notes"."owner_id"` (how Drizzle writes a column) names the
 * policy's table by schema, which a clone in pg_temp is not. Where every
 * mention of the table's name in the text is such a prefix, no sub-select can
 * have a relation or alias of that name, so `"notes"."owner_id"` means the
 * same column; the clone is given that text (the record and the real
 * statements keep the declared one). Otherwise the text is left alone, and
 * the clone rejects it and views judge it (see the DO block).
 */
function forClone(text: string, schema: string, table: string): string {
  const prefix = `${quoteIdent(schema)}.${quoteIdent(table)}.`;
  if (!text.includes(prefix)) return text;
  const mentions = (haystack: string, needle: string) => haystack.toLowerCase().split(needle.toLowerCase()).length - 1;
  const perPrefix = mentions(prefix, table);
  const prefixes = mentions(text, prefix);
  if (mentions(text, table) !== prefixes * perPrefix) return text;
  return replaceInCode(text, prefix, `${quoteIdent(table)}.`) ?? text;
}

/**
 * Replaces `from` (which starts with a double quote) where it starts a token
 * outside string literals, dollar quotes and comments, and not after a dot.
 * Returns null if the text does not lex (the server will say why).
 */
function replaceInCode(text: string, from: string, to: string): string | null {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    let end = i + 1;
    if (c === '"' && text.startsWith(from, i) && !out.trimEnd().endsWith('.')) {
      out += to;
      i += from.length;
      continue;
    } else if (c === '-' && next === '-') {
      const nl = text.indexOf('\n', i);
      end = nl < 0 ? text.length : nl + 1;
    } else if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0 || text.slice(i + 2, close).includes('/*')) return null; // nested comments: leave it to the server
      end = close + 2;
    } else if (c === "'" || c === '"') {
      end = i + 1;
      const backslashes = c === "'" && i > 0 && /[eE]/.test(text[i - 1]!);
      for (;;) {
        if (end >= text.length) return null;
        if (backslashes && text[end] === '\\') end += 2;
        else if (text[end] === c && text[end + 1] === c) end += 2;
        else if (text[end] === c) break;
        else end++;
      }
      end++;
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i));
      if (tag && (i === 0 || !/[\w$]/.test(text[i - 1]!))) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        if (close < 0) return null;
        end = close + tag[0].length;
      }
    }
    out += text.slice(i, end);
    i = end;
  }
  return out;
}

/**
 * The table's name reaches the deparsed text only through a sub-query (outer
 * references inside it print as `docs.col`) or a reference that names the
 * table (`docs.col`, a whole-row `docs`). A table none of whose texts contains
 * a sub-query keyword (SELECT, VALUES, TABLE) or its own name, in any case,
 * can be judged on a clone shared by every table of the same columns: its
 * column references print bare and resolve to the same columns of the same
 * types, and every other name resolves as before. Thousands of changed
 * tables of a few shapes then cost a few temporary tables, not thousands.
 * (Over-matching is harmless: the table just gets a clone of its own.)
 */
function markShared(groups: TableGroup[]): void {
  for (const g of groups) {
    const name = g.table.toLowerCase();
    g.shared = g.items.every((item) => {
      const text = `${item.using ?? ''}\n${item.check ?? ''}`.toLowerCase();
      return !item.view && !text.includes(name) && !/select|values|table|pg_access_normalize/.test(text);
    });
  }
}

/**
 * A text that names (in any case) a table not visible on the path might
 * reach a clone by that name. A table is named by an identifier, bare or in
 * double quotes, so the texts' identifiers are looked up among those names:
 * comparing every text with every name took a second for 4,000 changed
 * policies on 10,000 tables outside the path.
 */
function markViewChecks(groups: readonly TableGroup[], invisible: readonly string[]): void {
  if (invisible.length === 0) return;
  const lowered = new Set(invisible.map((n) => n.toLowerCase()));
  for (const g of groups) {
    for (const item of g.items) {
      if (identifiersOf(`${item.using ?? ''}\n${item.check ?? ''}`).some((word) => lowered.has(word.toLowerCase()))) item.view = true;
    }
  }
}

/** Every bare word and every double-quoted identifier of a text (words inside string literals too: more checks, never fewer). */
function identifiersOf(text: string): string[] {
  const words: string[] = text.match(/[\p{L}\p{N}_$]+/gu) ?? [];
  for (const quoted of text.matchAll(/"((?:[^"]|"")*)"/g)) words.push(quoted[1]!.replaceAll('""', '"'));
  return words;
}

/**
 * TABLES_PER_BATCH tables with their own clones, or SHARED_TABLES_PER_BATCH
 * on shared ones, per batch (a table of its own counts for as many shared
 * ones); never two of the same name with their own clones in one batch
 * (their clones would collide in pg_temp).
 */
function batches(groups: readonly TableGroup[]): TableGroup[][] {
  const capacity = SHARED_TABLES_PER_BATCH;
  const weight = (g: TableGroup) => (g.shared ? 1 : SHARED_TABLES_PER_BATCH / TABLES_PER_BATCH);
  const result: { names: Set<string>; tables: TableGroup[]; load: number }[] = [];
  let open = 0;
  for (const g of groups) {
    let target = result.slice(open).find((b) => b.load + weight(g) <= capacity && (g.shared || !b.names.has(g.table)));
    if (!target) result.push((target = { names: new Set(), tables: [], load: 0 }));
    if (!g.shared) target.names.add(g.table);
    target.tables.push(g);
    target.load += weight(g);
    while (open < result.length && result[open]!.load >= capacity) open++;
  }
  return result.map((b) => b.tables);
}

function throwForErrors(errors: NormalizeError[], items: readonly ExpressionsToNormalize[]): void {
  if (errors.length === 0) return;
  // An item checked through a view and on its clone may fail twice: report it once.
  const seen = new Set<number>();
  errors = errors.filter((e) => !seen.has(e.i) && (seen.add(e.i), true));
  const at = (e: { i: number }) => items[e.i]!;
  const vanished = errors.find((e) => e.state === 'PGA03');
  if (vanished) {
    throw new PgAccessError(
      'CONCURRENT_CHANGE',
      `Table ${quoteQualified(at(vanished).schema, at(vanished).table)} was dropped while its policies were being checked (another session changed the database). Nothing was changed; run it again.`,
    );
  }
  const clone = errors.find((e) => e.clone);
  if (clone) throw cloneFailure(clone, at(clone));
  const lockFailure = errors.find((e) => e.state === '55P03');
  if (lockFailure) {
    throw new PgAccessError(
      'LOCK_TIMEOUT',
      `Timed out waiting for a lock while checking the policies of ${quoteQualified(at(lockFailure).schema, at(lockFailure).table)} (${lockFailure.message}): a table one of its expressions reads is locked by another session. Nothing was changed; retry, or raise the lock timeout.`,
    );
  }
  throw new PgAccessError(
    'INVALID_EXPRESSION',
    `PostgreSQL rejected ${errors.length} policy expression${errors.length > 1 ? 's' : ''}; nothing was changed.`,
    errors.map((e) => describeFailure(at(e), e.message)),
  );
}

/** Creating the temporary clone failed: almost always a missing privilege or a read-only server. */
function cloneFailure(e: { message: string; state: string }, item: ExpressionsToNormalize): PgAccessError {
  const table = quoteQualified(item.schema, item.table);
  if (e.state === '42501' && /temporary/i.test(e.message)) {
    return new PgAccessError(
      'PERMISSION_DENIED',
      `Checking changed policy expressions creates temporary tables, which needs the TEMPORARY privilege on the database (PUBLIC holds it by default): ${e.message}. Grant it (GRANT TEMPORARY ON DATABASE <database> TO <role>), or connect as a role that has it. Nothing was changed.`,
    );
  }
  if (e.state === '25006') {
    return new PgAccessError(
      'READ_ONLY_SERVER',
      `This server accepts no writes (a hot standby, or default_transaction_read_only), and checking changed policy expressions needs temporary tables: ${e.message}. Run it against the primary; a database whose policies were applied by pg-access is checked on a standby without this step.`,
    );
  }
  return new PgAccessError('NORMALIZATION_FAILED', `Could not prepare ${table} for checking its policy expressions: ${e.message} (SQLSTATE ${e.state}).`);
}

function describeFailure(item: ExpressionsToNormalize, message: string): string {
  const parts = [`policy ${quoteIdent(item.name)} on ${quoteQualified(item.schema, item.table)}: ${message}`];
  if (item.using !== null) parts.push(`using: ${item.using}`);
  if (item.withCheck !== null) parts.push(`withCheck: ${item.withCheck}`);
  return parts.join('\n      ');
}

function normalizeFailure(cause: unknown): Error {
  const e = cause as { code?: string; message?: string };
  if (e.code === '55P03') return new PgAccessError('LOCK_TIMEOUT', `Timed out waiting for a lock while checking policy expressions (${e.message}). Another session holds it; retry later.`);
  if (isConnectionLost(cause)) return new PgAccessError('CONNECTION_LOST', `The connection to PostgreSQL was lost while checking policy expressions (${e.message}). PostgreSQL rolls back an unfinished transaction, so nothing was changed; run it again.`);
  if (e.code === '25006') return new PgAccessError('READ_ONLY_SERVER', `This server accepts no writes (a hot standby, or default_transaction_read_only), and checking changed policy expressions needs temporary tables: ${e.message}. Run it against the primary.`);
  return cause instanceof Error ? cause : new Error(String(cause));
}
