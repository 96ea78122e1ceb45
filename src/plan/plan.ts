import { collectStructure, type CollectedAccess } from '../declare/collect-declaration.js';
import type { AccessDeclaration } from '../declare/declarations.js';
import { expandSelectors, selectorRequest } from '../declare/selectors.js';
import { readSelectedObjects } from '../introspect/select-objects.js';
import { resolveDesired } from '../declare/resolve-desired.js';
import { diffAccess } from '../diff/diff-access.js';
import { reportUnmanaged } from '../diff/report-unmanaged.js';
import { borrowConnection, isPoolLike, shareConnection, withSession, type ExtraConnection, type Queryable } from '../driver/queryable.js';
import { catalogToState } from '../introspect/catalog-to-state.js';
import type { CatalogSnapshot, ServerFacts } from '../introspect/catalog-snapshot.js';
import { readCatalog, type CatalogRequest } from '../introspect/read-catalog.js';
import type { AccessState, Scope } from '../model/access-state.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { inverseOf } from '../ops/inverse.js';
import type { Op } from '../ops/op.js';
import type { Policy } from '../model/policy.js';
import { describeOp } from '../render/describe-op.js';
import { renderOp } from '../render/sql/render-op.js';
import { orderOperations } from './order-operations.js';
import { judgeExpressions } from './policy-expressions.js';
import { nonMonotonePolicies } from './non-monotone-policies.js';
import { edgesAfter, transitionFences } from './transition-fences.js';
import { accessImpact, type AccessChange } from '../audit/access-impact.js';
import { effectiveAccess } from '../audit/effective-access.js';
import { simulateOps } from '../audit/simulate-ops.js';
import type { PasswordSource } from './role-passwords.js';

export interface PlannedOperation {
  readonly op: Op;
  readonly description: string;
  /** Statements without trailing semicolons. */
  readonly sql: readonly string[];
  readonly inverse: Op;
  readonly inverseSql: readonly string[];
}

export interface Plan {
  /** In execution order. */
  readonly operations: readonly PlannedOperation[];
  /** The downgrade: inverses of `operations`, in their own safe order. */
  readonly downOperations: readonly PlannedOperation[];
  readonly up: readonly string[];
  readonly down: readonly string[];
  readonly isEmpty: boolean;
  /**
   * Bookkeeping, not a difference: COMMENT ON POLICY statements recording how
   * the declared expressions this plan had to normalize are stored
   * (model/policy-record), so that the next plan needs no normalization. They
   * are part of `up` (last) and their inverses of `down` (first), so
   * migrations carry them; `apply` runs them after committing the access
   * changes, in batches (each takes a lock on its policy); `check` and
   * `isEmpty` ignore them.
   */
  readonly records: readonly PlannedOperation[];
  /** @internal The record hashes of what this plan normalized (apply trusts them when it checks before committing). */
  readonly normalizationHashes: ReadonlySet<string>;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * With `impact: true`: who gains and loses access when the plan is
   * applied, per role (the declaration's roles and PUBLIC), declared table
   * and command (audit/access-impact); empty when nothing changes.
   */
  readonly impact?: readonly AccessChange[];
  /** @internal With `impact: true`: the catalogs as the plan would leave them (its operations played on what it read), for lint. */
  readonly stateAfter?: CatalogSnapshot;
  readonly server: ServerFacts;
  readonly stats: PlanStats;
  /** Managed roles whose password `apply` sets from an environment variable (never part of the SQL above). */
  readonly passwordSources: readonly PasswordSource[];
}

export interface PlanStats {
  readonly roundTrips: number;
  readonly tables: number;
  readonly policies: number;
  /** Declared policies whose expressions had to be normalized through PostgreSQL (the others were settled from the catalogs). */
  readonly normalizedPolicies: number;
  readonly milliseconds: { readonly declaration: number; readonly introspection: number; readonly normalization: number; readonly diff: number };
}

export interface PlanOptions {
  /** Set by apply: the caller holds a transaction, so normalization uses a savepoint. */
  readonly inTransaction?: boolean;
  readonly lockTimeoutMs?: number;
  /** Drop roles pg-access created that the declaration no longer lists (CLI: --allow-drop-roles). Default false: they are reported. */
  readonly allowDropRoles?: boolean;
  /** Normalize every declared policy expression through PostgreSQL, trusting neither equal texts nor recorded normalizations (check --verify). */
  readonly verify?: boolean;
  /** @internal See Plan.normalizationHashes. */
  readonly trustedNormalizations?: ReadonlySet<string>;
  /**
   * Compute Plan.impact: the effective access of the declared tables before
   * and after the plan (reads every named role's memberships, and keeps the
   * catalog snapshot until the plan is made). Default false.
   */
  readonly impact?: boolean;
  /**
   * @internal Called once the catalogs are read and the declaration resolved,
   * before expressions are judged: what reading made and dropped (the
   * policies' JSON, the parsed rows) is garbage from here on. The CLI passes
   * a full collection (cli/collect-garbage).
   */
  readonly afterRead?: () => void;
  /**
   * Opens one more connection to the same database (released when the plan
   * is made), so that the largest catalog query, the policies, is read in
   * two halves at once on plans of 1,000 tables or more, and many changed
   * policies are normalized in two halves at once. With a pool as
   * `db` the pool gives it; with a single client, only if this is set (the
   * CLI sets it). If it cannot be opened, everything is read on one
   * connection. Never used inside a transaction (`inTransaction`).
   */
  readonly extraConnection?: () => Promise<ExtraConnection>;
}

/** Reads the database, compares it with the declaration and returns the operations that would make them equal. Changes nothing. */
export async function plan(db: Queryable, declaration: AccessDeclaration, options: PlanOptions = {}): Promise<Plan> {
  // Normalization opens a transaction: with a pool, every query must go to the same connection.
  const open = options.inTransaction ? undefined : (options.extraConnection ?? (isPoolLike(db) ? () => borrowConnection(db) : undefined));
  if (!open) return withSession(db, (session) => planOnSession(session, declaration, { ...options, extraConnection: undefined }));
  const extra = shareConnection(open);
  try {
    return await withSession(db, (session) => planOnSession(session, declaration, { ...options, extraConnection: extra.lend }));
  } finally {
    await extra.close();
  }
}

async function planOnSession(db: Queryable, declaration: AccessDeclaration, options: PlanOptions): Promise<Plan> {
  const { states, timings } = await readStates(db, declaration, options);
  const { desired, actual, scope } = states;
  options.afterRead?.();
  const t2 = performance.now();
  const judged = await judgeExpressions(db, desired.policies, actual.policies, states.server, {
    inTransaction: options.inTransaction ?? false,
    lockTimeoutMs: options.lockTimeoutMs ?? 5000,
    verify: options.verify ?? false,
    extraConnection: options.extraConnection,
    ...(options.trustedNormalizations ? { trusted: options.trustedNormalizations } : {}),
  });
  const policies = judged.policies;
  const t3 = performance.now();
  const ops = diffAccess({ ...desired, policies }, actual, scope);
  const records = orderOperations(judged.records).map(plannedOperation);
  const { operations, downOperations } = bothDirections(ops, actual.policies, policies, states.membershipEdges, states.server.versionNum);
  const stateAfter = options.impact && states.catalog ? simulateOps(states.catalog, operations.map((o) => o.op)) : undefined;
  const impact = stateAfter && states.catalog ? planImpact(states.catalog, stateAfter, operations.length) : undefined;
  const t4 = performance.now();
  let up: readonly string[] | undefined;
  let down: readonly string[] | undefined;
  return {
    operations,
    downOperations,
    // Rendered when first read (see plannedOperation).
    get up() {
      return (up ??= [...operations, ...records].flatMap((o) => o.sql));
    },
    get down() {
      return (down ??= [...records.map((o) => o.inverseSql), ...downOperations.map((o) => o.sql)].flat());
    },
    isEmpty: operations.length === 0,
    ...(impact ? { impact } : {}),
    ...(stateAfter ? { stateAfter } : {}),
    records,
    normalizationHashes: judged.hashes,
    diagnostics: [...states.diagnostics, ...reportUnmanaged(actual, scope), ...(operations.length ? nonMonotonePolicies([...actual.policies, ...policies]) : [])],
    server: states.server,
    passwordSources: states.passwordRoles.map((r) => ({ ...r, createdByPlan: ops.some((o) => o.kind === 'create-role' && o.role.name === r.role) })),
    stats: {
      roundTrips: states.roundTrips + judged.roundTrips,
      tables: states.tableCount,
      policies: policies.length,
      normalizedPolicies: judged.normalized,
      milliseconds: { declaration: timings.declaration, introspection: timings.introspection, normalization: t3 - t2, diff: t4 - t3 },
    },
  };
}

/** Both sides of the diff, before policy expressions are normalized, and what else the plan reports. */
interface PlanStates {
  readonly desired: AccessState;
  readonly actual: AccessState;
  readonly scope: Scope;
  readonly diagnostics: readonly Diagnostic[];
  readonly server: ServerFacts;
  readonly passwordRoles: readonly Omit<PasswordSource, 'createdByPlan'>[];
  readonly tableCount: number;
  readonly roundTrips: number;
  /** Every membership when the catalogs were read (read when the declaration manages memberships; see plan/transition-fences). */
  readonly membershipEdges: CatalogSnapshot['membershipEdges'];
  /** Kept only for PlanOptions.impact. */
  readonly catalog?: CatalogSnapshot;
}

/** Effective access before and after the plan's operations, compared; nothing to evaluate when there is no operation. */
/**
 * @internal A plan of given operations on the catalogs they were chosen
 * from (lint --fix): ordered, inverted and fenced as a declared plan's, with
 * the access impact the operations have, so that the writers and the
 * impact lines of a migration's header serve them unchanged.
 */
export function planOperations(catalog: CatalogSnapshot, ops: readonly Op[]): Plan {
  const after = simulateOps(catalog, ops);
  const { operations, downOperations } = bothDirections(ops, catalog.policies, after.policies, catalog.membershipEdges, catalog.server.versionNum);
  return {
    operations,
    downOperations,
    up: operations.flatMap((o) => o.sql),
    down: downOperations.flatMap((o) => o.sql),
    isEmpty: operations.length === 0,
    impact: planImpact(catalog, after, operations.length),
    stateAfter: after,
    records: [],
    normalizationHashes: new Set(),
    diagnostics: [],
    server: catalog.server,
    passwordSources: [],
    stats: { roundTrips: 0, tables: catalog.tables.size, policies: after.policies.length, normalizedPolicies: 0, milliseconds: { declaration: 0, introspection: 0, normalization: 0, diff: 0 } },
  };
}

/**
 * The operations and their downgrade, each in its safe order. Holds belong
 * to one direction's transition, not to its operations: each direction
 * computes its own, from the policies and memberships it starts from.
 */
function bothDirections(
  ops: readonly Op[],
  policiesBefore: readonly Policy[],
  policiesAfter: readonly Policy[],
  edges: CatalogSnapshot['membershipEdges'],
  versionNum: number,
): { operations: PlannedOperation[]; downOperations: PlannedOperation[] } {
  const undo = ops.map(inverseOf);
  return {
    operations: orderOperations([...ops, ...transitionFences(ops, policiesBefore, edges, versionNum, policiesAfter)]).map(plannedOperation),
    downOperations: orderOperations([...undo, ...transitionFences(undo, policiesAfter, edgesAfter(edges, ops), versionNum, policiesBefore)]).map(plannedOperation),
  };
}

function planImpact(before: CatalogSnapshot, after: CatalogSnapshot, operations: number): AccessChange[] {
  if (operations === 0) return [];
  return accessImpact(effectiveAccess(before), effectiveAccess(after));
}

/**
 * Collects the declaration, reads the catalogs and turns both into the
 * canonical model. Only the two states leave this function, and each
 * intermediate is released as soon as it has served: the collected
 * declaration when the desired state is resolved (it lives in
 * resolveAgainstCatalog's frame), the catalog snapshot once the actual state
 * is built. At 10,000 tables these were a third of what a plan held, and a
 * plan's peak memory follows what is alive at once.
 */
async function readStates(db: Queryable, declaration: AccessDeclaration, options: PlanOptions): Promise<{ states: PlanStates; timings: { declaration: number; introspection: number } }> {
  const { catalog, resolved, facts, timings } = await resolveAgainstCatalog(db, declaration, options);
  const states: PlanStates = {
    desired: resolved.desired,
    actual: catalogToState(catalog),
    scope: resolved.scope,
    diagnostics: resolved.diagnostics,
    server: catalog.server,
    roundTrips: catalog.roundTrips,
    membershipEdges: catalog.membershipEdges,
    ...(options.impact ? { catalog } : {}),
    ...facts,
  };
  return { states, timings: { declaration: timings.declaration, introspection: timings.introspection } };
}

async function resolveAgainstCatalog(db: Queryable, declared: AccessDeclaration, options: PlanOptions) {
  const t0 = performance.now();
  // Bulk selectors first: what they match now becomes ordinary declarations (one catalog query, only when there are any).
  const { declaration, diagnostics: selected } = declared.selectors?.length
    ? expandSelectors(declared, await readSelectedObjects(async (sql, params) => (await db.query(sql, params)).rows, selectorRequest(declared)))
    : { declaration: declared, diagnostics: [] };
  // The structure says what to read; the policies are collected while the catalog queries run.
  const staged = await collectStructure(declaration);
  if (staged.invalid) await staged.withPolicies();
  const collecting = staged.withPolicies();
  // Observed by the resolution below; a failed read must not leave it an unhandled rejection.
  collecting.catch(() => undefined);
  let t1 = t0;
  let read: Awaited<ReturnType<typeof readCatalog<{ collected: CollectedAccess; resolved: ReturnType<typeof resolveDesired> }>>>;
  try {
    // Resolved while the server computes the policies (see readCatalog).
    read = await readCatalog(
      db,
      catalogRequest(staged.structure, options),
      { inTransaction: options.inTransaction ?? false, lockTimeoutMs: options.lockTimeoutMs ?? 5000, extraConnection: options.extraConnection },
      async (structure) => {
        const collected = await collecting;
        t1 = performance.now();
        return { collected, resolved: resolveDesired(collected, structure, { allowDropRoles: options.allowDropRoles }) };
      },
    );
  } catch (error) {
    // An error in the declaration comes first, as when nothing was read.
    await collecting;
    throw error;
  }
  const { catalog, during } = read;
  const { collected } = during;
  const resolved = selected.length ? { ...during.resolved, diagnostics: [...selected, ...during.resolved.diagnostics] } : during.resolved;
  const facts = {
    passwordRoles: collected.roleDeclarations.filter((r) => r.managed && r.passwordEnv !== undefined).map((r) => ({ role: r.name, env: r.passwordEnv! })),
    tableCount: collected.tables.length,
  };
  return { catalog, resolved, facts, timings: { declaration: t1 - t0, introspection: performance.now() - t1 } };
}

/** What to read: every object the declaration names, and nothing else. */
function catalogRequest(collected: CollectedAccess, options: PlanOptions): CatalogRequest {
  const roleNames = new Set(collected.roles);
  for (const r of collected.roleDeclarations) for (const m of r.inRoles ?? []) roleNames.add(m.role);
  for (const d of collected.defaultPrivileges) if (d.forRole) roleNames.add(d.forRole);
  return {
    tables: collected.tables.map((t) => ({ schema: t.schema, name: t.name, withColumns: t.grants.some((g) => g.columns.length > 0) })),
    schemas: [
      ...new Set([
        ...collected.tables.map((t) => t.schema),
        ...collected.schemas.map((s) => s.name),
        ...collected.sequences.map((s) => s.schema),
        ...collected.defaultPrivileges.flatMap((d) => (d.inSchema ? [d.inSchema] : [])),
      ]),
    ],
    roles: [...roleNames],
    // The access impact counts privileges and policies that reach a role through its groups: every named role's memberships.
    membershipMembers: options.impact ? [...roleNames] : collected.roleDeclarations.filter((r) => r.managed || r.inRoles !== undefined).map((r) => r.name),
    sequences: collected.sequences,
    routines: collected.routines.map((r) => r.signature),
    database: collected.database !== undefined,
    defaultAcls: collected.defaultPrivileges.map((d) => ({ owner: d.forRole, schema: d.inSchema, objects: d.objects })),
    dropCreatedRoles: options.allowDropRoles === true,
  };
}

/**
 * Each field is computed when first read, once: a check reads only
 * descriptions, and at 4,000 changed policies rendering every statement of
 * the plan and its downgrade up front (each operation four times: its SQL,
 * its inverse's, and the same for the downgrade's operation) kept ~35 MB
 * more alive at the check's peak. A class, not an object literal with
 * getters: the literal made four closures and accessor pairs per operation,
 * ~19 MB at 10,000 tables; the prototype's getters are shared. toJSON keeps
 * JSON.stringify of an operation showing every field, as the literal did.
 */
class LazyPlannedOperation implements PlannedOperation {
  #description: string | undefined;
  #sql: readonly string[] | undefined;
  #inverse: Op | undefined;
  #inverseSql: readonly string[] | undefined;
  constructor(readonly op: Op) {}
  get description(): string {
    return (this.#description ??= describeOp(this.op));
  }
  get sql(): readonly string[] {
    return (this.#sql ??= renderOp(this.op));
  }
  get inverse(): Op {
    return (this.#inverse ??= inverseOf(this.op));
  }
  get inverseSql(): readonly string[] {
    return (this.#inverseSql ??= renderOp(this.inverse));
  }
  toJSON(): PlannedOperation {
    return { op: this.op, description: this.description, sql: this.sql, inverse: this.inverse, inverseSql: this.inverseSql };
  }
}

function plannedOperation(op: Op): PlannedOperation {
  return new LazyPlannedOperation(op);
}
