/**
 * Bulk selectors: `routines(allIn('app'), { grants })` and its kin declare
 * every object of a kind in some schemas at once. They are data here; the
 * plan finds what they match in the catalogs (introspect/select-objects)
 * and `expandSelectors` turns that into ordinary declarations, in a fixed
 * order, so an object created later by a migration is covered by the next
 * plan. An object declared on its own is left to that declaration, and an
 * `except` entry that matches nothing is an error (a typo never widens).
 */
import { PgAccessError } from '../errors.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { quoteQualified } from '../render/sql/quote.js';
import { routine, sequence, table } from './builders.js';
import type {
  AccessDeclaration,
  ObjectSelector,
  RoutineOptions,
  RoutinesDeclaration,
  SequenceOptions,
  SequencesDeclaration,
  TableOptions,
  TablesDeclaration,
} from './declarations.js';
import { checkOptionKeys, ROUTINE_KEYS, SEQUENCE_KEYS, TABLE_KEYS } from './option-keys.js';
import { parseTableName } from './table-name.js';

/** Every object of the kind in these schemas; `except` leaves some out by name ('app.audit_log', 'app.reset()'). */
export function allIn(schemas: string | readonly string[], options: { readonly except?: readonly string[] } = {}): ObjectSelector {
  const list = typeof schemas === 'string' ? [schemas] : schemas;
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new PgAccessError('INVALID_DECLARATION', `allIn() needs schema names, e.g. allIn('app') or allIn(['app', 'billing']), got ${JSON.stringify(schemas)}.`);
  }
  checkOptionKeys(`allIn(${JSON.stringify(schemas)})`, options, ['except']);
  const except = options.except ?? [];
  if (!Array.isArray(except) || except.some((e) => typeof e !== 'string' || e === '')) throw new PgAccessError('INVALID_DECLARATION', `allIn(${JSON.stringify(schemas)}, { except }) must list names such as 'app.audit_log'.`);
  return Object.freeze({ kind: 'selector', schemas: [...list], except: [...except] });
}

function checkSelector(what: string, selector: unknown): asserts selector is ObjectSelector {
  if ((selector as ObjectSelector | null)?.kind !== 'selector') throw new PgAccessError('INVALID_DECLARATION', `${what}() takes allIn('schema') first, e.g. ${what}(allIn('app'), { grants: [...] }).`);
}

const label = (s: ObjectSelector) => `allIn(${JSON.stringify(s.schemas.length === 1 ? s.schemas[0] : s.schemas)}${s.except.length ? `, { except: ${JSON.stringify(s.except)} }` : ''})`;

/** tables(allIn('app'), { grants, rls, policies }): each table of the schemas (not partitions, not an extension's), declared with these options. */
export function tables(selector: ObjectSelector, options: TableOptions<string>): TablesDeclaration {
  checkSelector('tables', selector);
  checkOptionKeys(`tables(${label(selector)})`, options, TABLE_KEYS);
  return Object.freeze({ kind: 'tables', selector, options });
}

/** sequences(allIn('app'), { grants }): each sequence of the schemas. */
export function sequences(selector: ObjectSelector, options: SequenceOptions): SequencesDeclaration {
  checkSelector('sequences', selector);
  checkOptionKeys(`sequences(${label(selector)})`, options, SEQUENCE_KEYS);
  return Object.freeze({ kind: 'sequences', selector, options });
}

/** routines(allIn('app'), { grants, revokeFromPublic }): each function and procedure of the schemas (not an extension's). */
export function routines(selector: ObjectSelector, options: RoutineOptions): RoutinesDeclaration {
  checkSelector('routines', selector);
  checkOptionKeys(`routines(${label(selector)})`, options, ROUTINE_KEYS);
  return Object.freeze({ kind: 'routines', selector, options });
}

/** An object the catalogs hold, as the selectors see it. */
export interface SelectableObject {
  readonly schema: string;
  readonly name: string;
  /** Routines: 'schema.name(argument types)', quoted as PostgreSQL quotes identifiers. */
  readonly signature?: string;
}

/** What the selectors' schemas hold, read in one query, and which `except` signatures named which routine. */
export interface SelectedObjects {
  readonly schemas: ReadonlySet<string>;
  readonly tables: readonly SelectableObject[];
  readonly sequences: readonly SelectableObject[];
  readonly routines: readonly SelectableObject[];
  /** A routine signature as written (an `except` entry, a routine(...) declaration) → the signature of the routine it names, as `signature` spells it (missing: none). */
  readonly signatures: ReadonlyMap<string, string>;
}

/** The schemas, and the routine signatures as written, the selectors need read. */
export function selectorRequest(declaration: AccessDeclaration): { schemas: string[]; signatures: string[] } {
  const schemas = new Set<string>();
  const signatures = new Set<string>();
  for (const s of declaration.selectors ?? []) {
    for (const name of s.selector.schemas) schemas.add(name);
    if (s.kind === 'routines') {
      for (const e of s.selector.except) if (e.includes('(')) signatures.add(e);
      for (const r of declaration.routines) signatures.add(r.signature);
    }
  }
  return { schemas: [...schemas].sort(), signatures: [...signatures] };
}

const KIND_WORDS = { tables: ['table', 'tables'], sequences: ['sequence', 'sequences'], routines: ['routine', 'routines'] } as const;
/** How many objects a diagnostic names before it counts the rest. */
const LISTED = 20;

/**
 * The declaration with each selector replaced by the declarations of what it
 * matched (after the explicit ones), and an info diagnostic per selector
 * naming what it matched and what it left out.
 */
export function expandSelectors(declaration: AccessDeclaration, found: SelectedObjects): { declaration: AccessDeclaration; diagnostics: Diagnostic[] } {
  const selectors = declaration.selectors ?? [];
  if (selectors.length === 0) return { declaration, diagnostics: [] };
  const errors: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const key = (schema: string, name: string) => JSON.stringify([schema, name]);
  const explicitTables = new Set(declaration.tables.flatMap((t) => (typeof t.table === 'string' ? [parseTableName(t.table)] : [])).flatMap((n) => (n ? [key(n.schema, n.name)] : [])));
  const explicitSequences = new Set(declaration.sequences.map((s) => parseTableName(s.sequence)).flatMap((n) => (n ? [key(n.schema, n.name)] : [])));
  const explicitRoutines = new Set(declaration.routines.flatMap((r) => found.signatures.get(r.signature) ?? []));
  const claimed = new Map<string, string>();
  const added = { tables: [] as AccessDeclaration['tables'][number][], sequences: [] as AccessDeclaration['sequences'][number][], routines: [] as AccessDeclaration['routines'][number][] };

  for (const s of selectors) {
    const subject = `${s.kind}(${label(s.selector)})`;
    for (const schema of s.selector.schemas) if (!found.schemas.has(schema)) errors.push(`${subject}: there is no schema ${JSON.stringify(schema)} in the database.`);
    const candidates = found[s.kind].filter((o) => s.selector.schemas.includes(o.schema));
    const leftOut: string[] = [];
    const matched: SelectableObject[] = [];
    const used = new Set<string>();
    for (const o of candidates) {
      const shown = o.signature ?? quoteQualified(o.schema, o.name);
      const excepted = s.selector.except.find((e) => {
        if (s.kind === 'routines' && e.includes('(')) return found.signatures.get(e) === o.signature;
        const n = parseTableName(e);
        return n !== null && n.schema === o.schema && n.name === o.name;
      });
      if (excepted !== undefined) {
        used.add(excepted);
        leftOut.push(`${shown} (except)`);
        continue;
      }
      const own = s.kind === 'tables' ? explicitTables.has(key(o.schema, o.name)) : s.kind === 'sequences' ? explicitSequences.has(key(o.schema, o.name)) : explicitRoutines.has(o.signature!);
      if (own) {
        leftOut.push(`${shown} (declared on its own)`);
        continue;
      }
      const other = claimed.get(`${s.kind}:${shown}`);
      if (other !== undefined) {
        errors.push(`${subject} and ${other} both match ${shown}; leave it out of one with except.`);
        continue;
      }
      claimed.set(`${s.kind}:${shown}`, subject);
      matched.push(o);
    }
    for (const e of s.selector.except) if (!used.has(e)) errors.push(`${subject}: except names ${JSON.stringify(e)}, which is no ${KIND_WORDS[s.kind][0]} of ${s.selector.schemas.join(', ')}.`);
    for (const o of matched) {
      const name = quoteQualified(o.schema, o.name);
      if (s.kind === 'tables') added.tables.push(table(name, s.options));
      else if (s.kind === 'sequences') added.sequences.push(sequence(name, s.options));
      else added.routines.push(routine(o.signature!, s.options));
    }
    const list = (items: readonly string[]) => items.slice(0, LISTED).join(', ') + (items.length > LISTED ? `, and ${items.length - LISTED} more` : '');
    const [one, many] = KIND_WORDS[s.kind];
    diagnostics.push({
      code: 'SELECTOR_MATCHED',
      severity: 'info',
      subject,
      message:
        `matched ${matched.length} ${matched.length === 1 ? one : many}${matched.length ? `: ${list(matched.map((o) => o.signature ?? quoteQualified(o.schema, o.name)))}` : ''}` +
        (leftOut.length ? `; left out: ${list(leftOut)}` : '') +
        '.',
    });
  }
  if (errors.length) throw new PgAccessError('INVALID_DECLARATION', `The access declaration has ${errors.length} problem${errors.length > 1 ? 's' : ''}; nothing was changed.`, errors);
  const { selectors: _expanded, ...rest } = declaration;
  return {
    declaration: Object.freeze({ ...rest, tables: [...declaration.tables, ...added.tables], sequences: [...declaration.sequences, ...added.sequences], routines: [...declaration.routines, ...added.routines] }),
    diagnostics,
  };
}
