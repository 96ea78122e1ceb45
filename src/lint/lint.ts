import { effectiveAccess } from '../audit/effective-access.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { withSession, type Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import type { CatalogSnapshot } from '../introspect/catalog-snapshot.js';
import { DISCOVERY_KEYS, readDiscovered, type DiscoveryOptions } from '../introspect/read-discovered.js';
import { LINT_SEVERITIES, type LintFinding, type LintRule, type LintSeverity } from './lint-rule.js';
import { LINT_RULES } from './rules/index.js';
import { planPolicies, type PolicyPlans } from './policy-plans.js';
import { definerFacts, type DefinerFacts } from './definer-facts.js';
import type { AccessDeclaration } from '../declare/declarations.js';
import { plan, type PlanOptions } from '../plan/plan.js';

/** A finding the team accepted: the rule, the object exactly as findings name it, and why (required). */
export interface LintIgnore {
  readonly rule: string;
  readonly object: string;
  readonly reason: string;
}

export interface LintOptions extends DiscoveryOptions {
  readonly ignore?: readonly LintIgnore[];
}

export interface LintResult {
  readonly database: string;
  readonly schemas: readonly string[];
  readonly findings: readonly LintFinding[];
  /** Findings an ignore entry matched, with its reason. */
  readonly suppressed: readonly (LintFinding & { readonly reason: string })[];
  /** Ignore entries that matched nothing (stale: the problem is gone, or the object was misspelled). */
  readonly unusedIgnores: readonly LintIgnore[];
  /** @internal The catalogs linted (the database's, or the state a declaration would leave): lint --fix plans its repairs on them. */
  readonly catalog: CatalogSnapshot;
}

const LINT_KEYS = [...DISCOVERY_KEYS, 'ignore'];

/** Lints a database: discovery read (read-only, ACCESS SHARE at most), then every rule. */
export async function lint(db: Queryable, options: LintOptions = {}): Promise<LintResult> {
  checkOptionKeys('lint()', options, LINT_KEYS);
  const ignore = validateIgnores(options.ignore ?? [], 'lint({ ignore })');
  const { catalog, found } = await readDiscovered(db, options, 'lint()');
  const plans = await withSession(db, (session) => planPolicies(session, catalog, options.lockTimeoutMs ?? 5000));
  const definer = await definerFacts(db, found.schemas, catalog.server.versionNum);
  return { database: catalog.server.database, schemas: found.schemas, ...lintCatalog(catalog, ignore, LINT_RULES, plans, definer), catalog };
}

/** The rules over a snapshot (a live database's, or the state a plan would leave), with the ignores applied. */
export function lintCatalog(
  catalog: CatalogSnapshot,
  ignore: readonly LintIgnore[] = [],
  rules: readonly LintRule[] = LINT_RULES,
  plans?: PolicyPlans,
  definer?: DefinerFacts,
): Pick<LintResult, 'findings' | 'suppressed' | 'unusedIgnores'> {
  const facts = { catalog, access: effectiveAccess(catalog), ...(plans ? { plans } : {}), ...(definer ? { definer } : {}) };
  const all: LintFinding[] = rules.flatMap((rule) => rule.check(facts).map((f) => ({ rule: rule.id, severity: rule.severity, ...f })));
  const used = new Set<LintIgnore>();
  const findings: LintFinding[] = [];
  const suppressed: (LintFinding & { reason: string })[] = [];
  for (const f of all) {
    const match = ignore.find((i) => i.rule === f.rule && i.object === f.object);
    if (match) (used.add(match), suppressed.push({ ...f, reason: match.reason }));
    else findings.push(f);
  }
  return { findings, suppressed, unusedIgnores: ignore.filter((i) => !used.has(i)) };
}

/** Each ignore names a rule that exists, an object and a reason; anything else is an error naming the entry. */
export function validateIgnores(value: unknown, where: string): LintIgnore[] {
  if (!Array.isArray(value)) throw new PgAccessError('INVALID_OPTIONS', `${where} must be a list of { rule, object, reason }.`);
  const ids = LINT_RULES.map((r) => r.id);
  return value.map((entry, i) => {
    const e = entry as Record<string, unknown>;
    const at = `${where}[${i}]`;
    if (typeof e !== 'object' || e === null) throw new PgAccessError('INVALID_OPTIONS', `${at} must be { rule, object, reason }.`);
    const unknown = Object.keys(e).filter((k) => !['rule', 'object', 'reason'].includes(k));
    if (unknown.length) throw new PgAccessError('INVALID_OPTIONS', `${at}: unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: rule, object, reason.`);
    if (typeof e.rule !== 'string' || !ids.includes(e.rule)) throw new PgAccessError('INVALID_OPTIONS', `${at}: rule ${JSON.stringify(e.rule)} is not a lint rule; the rules are ${ids.join(', ')}.`);
    if (typeof e.object !== 'string' || e.object === '') throw new PgAccessError('INVALID_OPTIONS', `${at}: object must name what the finding names, e.g. 'public.documents' or 'policy "name" on public.documents'.`);
    if (typeof e.reason !== 'string' || e.reason.trim() === '') throw new PgAccessError('INVALID_OPTIONS', `${at}: a reason is required: say why this ${e.rule} finding on ${e.object} is accepted.`);
    return { rule: e.rule, object: e.object, reason: e.reason };
  });
}

/** Whether any finding is at or above `threshold` (error > warning > info). */
export function failsAt(findings: readonly LintFinding[], threshold: LintSeverity): boolean {
  const rank = (s: LintSeverity) => LINT_SEVERITIES.indexOf(s);
  return findings.some((f) => rank(f.severity) <= rank(threshold));
}

/**
 * Lints the state a declaration would leave: the plan's operations played on
 * the catalogs it read (the declared tables and the roles it names), so that
 * a problem is caught before it ships. Read-only, as plan.
 */
export async function lintDeclaration(
  db: Queryable,
  declaration: AccessDeclaration,
  options: Pick<PlanOptions, 'lockTimeoutMs' | 'extraConnection'> & { readonly ignore?: readonly LintIgnore[] } = {},
): Promise<LintResult> {
  const ignore = validateIgnores(options.ignore ?? [], 'lintDeclaration({ ignore })');
  const planned = await plan(db, declaration, { ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }), ...(options.extraConnection ? { extraConnection: options.extraConnection } : {}), impact: true });
  const state = planned.stateAfter!;
  // The declared texts are planned as WHERE clauses on the real tables: that needs no policy to exist.
  const plans = await withSession(db, (session) => planPolicies(session, state, options.lockTimeoutMs ?? 5000));
  const schemas = [...new Set([...state.tables.values()].map((t) => t.schema))].sort();
  // Routines and views are not declared: the definer rules read them as they are, in the declared tables' schemas.
  const definer = await definerFacts(db, schemas, state.server.versionNum);
  return { database: planned.server.database, schemas, ...lintCatalog(state, ignore, LINT_RULES, plans, definer), catalog: state };
}
