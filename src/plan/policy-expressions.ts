import type { ExtraConnection, Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import type { ServerFacts } from '../introspect/catalog-snapshot.js';
import { normalizeExpressions, type ExpressionsToNormalize } from '../introspect/normalize-expressions.js';
import type { Policy } from '../model/policy.js';
import { setPolicyComment, type SetPolicyCommentOp } from '../ops/policy-comment.op.js';
import { recordHasher, recordOf, userPartOf, withRecord, type RecordTexts } from '../model/policy-record.js';

export interface JudgeOptions {
  readonly inTransaction: boolean;
  readonly lockTimeoutMs: number;
  /** Normalize every declared expression, trusting neither equal texts nor records (check --verify). */
  readonly verify: boolean;
  /** Record hashes to trust as if they were in the comments (apply's check before commit: what its own plan normalized). */
  readonly trusted?: ReadonlySet<string>;
  /** See NormalizeOptions.extraConnection. */
  readonly extraConnection?: (() => Promise<ExtraConnection>) | undefined;
}

export interface JudgedPolicies {
  /** The declared policies with their expressions as PostgreSQL stores them (and the existing policy's comment, unchanged). */
  readonly policies: Policy[];
  /** Comment changes that record the normalizations this plan did (bookkeeping, no access change). */
  readonly records: SetPolicyCommentOp[];
  /** The record hash of every policy this plan normalized, whether or not a comment records it. */
  readonly hashes: ReadonlySet<string>;
  /** How many had to be normalized through PostgreSQL (the others were settled from the catalogs alone). */
  readonly normalized: number;
  readonly roundTrips: number;
}

/**
 * Gives every declared policy its expressions in PostgreSQL's stored form,
 * asking PostgreSQL only where the catalogs cannot settle it:
 *
 * 1. the declared texts are the existing policy's pg_get_expr texts, word for
 *    word: PostgreSQL prints a stored expression so that reading it back
 *    under the same search_path yields the same expression, so they are equal;
 * 2. the existing policy's comment holds the record (model/policy-record) of
 *    these declared texts normalizing to exactly its current texts;
 * 3. otherwise the declared texts are normalized (introspect/
 *    normalize-expressions), on temporary clones, never on the table.
 *
 * An in-sync plan of policies pg-access applied therefore reads the catalogs
 * and nothing else: no transaction ID, no WAL, no temporary object; and a
 * plan after changes normalizes only what changed. A policy changed by hand
 * prints differently, fails both 1 and 2, and is normalized and compared.
 */
export async function judgeExpressions(
  db: Queryable,
  desired: readonly Policy[],
  actual: readonly Policy[],
  server: ServerFacts,
  options: JudgeOptions,
): Promise<JudgedPolicies> {
  const recordHash = recordHasher({ major: Math.floor(server.versionNum / 10000), searchPath: server.searchPath });
  const existing = new Map<string, Map<string, Map<string, Policy>>>();
  for (const p of actual) {
    let tables = existing.get(p.schema);
    if (!tables) existing.set(p.schema, (tables = new Map()));
    let names = tables.get(p.table);
    if (!names) tables.set(p.table, (names = new Map()));
    names.set(p.name, p);
  }
  const result: Policy[] = new Array(desired.length);
  const pending: number[] = [];
  const toNormalize: ExpressionsToNormalize[] = [];
  desired.forEach((want, i) => {
    const have = existing.get(want.schema)?.get(want.table)?.get(want.name);
    if (have && !options.verify && settledByCatalog(want, have, recordHash, options.trusted)) {
      result[i] = { ...want, using: have.using, withCheck: have.withCheck, ...commentField(have.comment) };
      return;
    }
    pending.push(i);
    toNormalize.push({ ...want, ...(have ? { actual: { using: have.using, withCheck: have.withCheck } } : {}) });
  });
  if (toNormalize.length > 0 && server.inRecovery) {
    const first = toNormalize[0]!;
    throw new PgAccessError(
      'READ_ONLY_SERVER',
      `This server is a hot standby: ${toNormalize.length} declared ${toNormalize.length === 1 ? 'policy is' : 'policies are'} not settled by the catalogs (changed, or never applied by pg-access; the first is "${first.name}" on ${first.schema}.${first.table}), and judging them needs temporary tables, which a standby cannot create. Run it against the primary; once pg-access has applied the declaration there, check works on the standby too.`,
    );
  }
  const normalized = await normalizeExpressions(db, toNormalize, {
    inTransaction: options.inTransaction,
    lockTimeoutMs: options.lockTimeoutMs,
    extraConnection: options.extraConnection,
  });
  const records: SetPolicyCommentOp[] = [];
  const hashes = new Set<string>();
  pending.forEach((i, k) => {
    const want = desired[i]!;
    const n = normalized[k]!;
    const have = existing.get(want.schema)?.get(want.table)?.get(want.name);
    // Texts already in stored form settle themselves (rule 1), and texts judged through views are not a stored form: neither needs a record.
    const needsRecord = !n.asWritten && (n.using !== want.using || n.withCheck !== want.withCheck);
    const hash = needsRecord
      ? recordHash({ command: want.command, declaredUsing: want.using, declaredWithCheck: want.withCheck, storedUsing: n.using, storedWithCheck: n.withCheck })
      : null;
    if (hash !== null) hashes.add(hash);
    result[i] = { ...want, using: n.using, withCheck: n.withCheck, ...commentField(have?.comment) };
    const comment = withRecord(userPartOf(have?.comment), hash);
    if (comment !== have?.comment) records.push(setPolicyComment(want, have?.comment, comment));
  });
  return { policies: result, records, hashes, normalized: toNormalize.length, roundTrips: toNormalize.length ? 6 : 0 };
}

function settledByCatalog(want: Policy, have: Policy, recordHash: (texts: RecordTexts) => string, trusted: ReadonlySet<string> | undefined): boolean {
  if (want.using === have.using && want.withCheck === have.withCheck) return true;
  const record = recordOf(have.comment);
  if (record === null && !trusted?.size) return false;
  const hash = recordHash({ command: want.command, declaredUsing: want.using, declaredWithCheck: want.withCheck, storedUsing: have.using, storedWithCheck: have.withCheck });
  return hash === record || trusted?.has(hash) === true;
}

function commentField(comment: string | undefined): { comment?: string } {
  return comment === undefined ? {} : { comment };
}
