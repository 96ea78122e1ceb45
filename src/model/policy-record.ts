import { createHash } from 'node:crypto';
import type { PolicyCommand } from './policy.js';

/*
 * A policy's normalization record: the fact "the declared texts D, under this
 * search_path on this major version, are stored by PostgreSQL as the texts
 * N", kept as a line of the policy's COMMENT. A plan that finds the record
 * matching the declaration and the policy's current pg_get_expr texts knows
 * the expressions are in sync without asking PostgreSQL to parse anything,
 * so an in-sync check writes nothing and needs no temporary objects.
 *
 * Why a comment: COMMENT ON POLICY needs the ownership of the table, exactly
 * the privilege that can change the policy itself, so nobody who could not
 * already change a policy can forge its record; the catalogs are readable by
 * every role that checks; DROP POLICY removes it. The record is a hash, so a
 * policy changed by hand (its pg_get_expr text moves) no longer matches and
 * is normalized again. What it cannot see: a later object that would change
 * how the declared text resolves without changing how the stored policy
 * prints (a new overload of a function it calls, say). `check --verify`
 * ignores records and normalizes everything.
 */

/** The last line of a policy comment that holds a record. */
const RECORD_LINE = /^pg-access normalized v1 ([0-9a-f]{64})$/;

export interface RecordContext {
  /** server_version_num / 10000 */
  readonly major: number;
  /** current_setting('search_path') of the session that planned. */
  readonly searchPath: string;
}

export interface RecordTexts {
  readonly command: PolicyCommand;
  readonly declaredUsing: string | null;
  readonly declaredWithCheck: string | null;
  readonly storedUsing: string | null;
  readonly storedWithCheck: string | null;
}

/**
 * The record hash of declared and stored texts, for one context, hashing
 * each distinct input once: tables share their policies' texts word for
 * word, and 40,000 hashes were half of what settling an in-sync plan of
 * 10,000 tables cost. The memo is keyed field by field: the texts are pooled
 * strings whose hashes V8 keeps, where a joined key would be built and
 * hashed anew for every policy.
 */
export function recordHasher(context: RecordContext): (texts: RecordTexts) => string {
  const root = new Map<unknown, unknown>();
  return (texts) => {
    const fields = [texts.command, texts.declaredUsing, texts.declaredWithCheck, texts.storedUsing];
    let level = root;
    for (const field of fields) {
      let next = level.get(field) as Map<unknown, unknown> | undefined;
      if (next === undefined) level.set(field, (next = new Map()));
      level = next;
    }
    let hash = level.get(texts.storedWithCheck) as string | undefined;
    if (hash === undefined) level.set(texts.storedWithCheck, (hash = sha256(recordInput(context, texts))));
    return hash;
  };
}

function recordInput(context: RecordContext, texts: RecordTexts): string {
  return JSON.stringify([1, context.major, context.searchPath, texts.command, texts.declaredUsing, texts.declaredWithCheck, texts.storedUsing, texts.storedWithCheck]);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The record a comment holds, or null. */
export function recordOf(comment: string | undefined): string | null {
  if (comment === undefined) return null;
  const last = comment.slice(comment.lastIndexOf('\n') + 1);
  return RECORD_LINE.exec(last)?.[1] ?? null;
}

/** The comment without its record line: what a person wrote, kept as is. */
export function userPartOf(comment: string | undefined): string | undefined {
  if (comment === undefined || recordOf(comment) === null) return comment;
  const cut = comment.lastIndexOf('\n');
  return cut < 0 ? undefined : comment.slice(0, cut);
}

/** A comment holding `userPart` and, if given, the record. */
export function withRecord(userPart: string | undefined, hash: string | null): string | undefined {
  if (hash === null) return userPart;
  const line = `pg-access normalized v1 ${hash}`;
  return userPart === undefined ? line : `${userPart}\n${line}`;
}
