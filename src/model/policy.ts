import type { Grantee } from './grantee.js';
import { keyOf } from './qualified-name.js';

export const POLICY_COMMANDS = ['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type PolicyCommand = (typeof POLICY_COMMANDS)[number];

/**
 * One row-level-security policy, in the canonical form both the declaration
 * and the catalogs produce: expressions as PostgreSQL deparses them
 * (pg_get_expr), roles as a sorted set with PUBLIC as 'public'.
 */
export interface Policy {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly command: PolicyCommand;
  readonly permissive: boolean;
  /** Sorted, de-duplicated. PostgreSQL stores an empty TO list as {PUBLIC}. */
  readonly roles: readonly Grantee[];
  readonly using: string | null;
  readonly withCheck: string | null;
  /**
   * COMMENT ON POLICY, absent when there is none. Bookkeeping, not access: it
   * holds pg-access's normalization record (model/policy-record) and is never
   * compared by policiesEqual.
   */
  readonly comment?: string;
}

export function policyKey(p: Pick<Policy, 'schema' | 'table' | 'name'>): string {
  return keyOf(p.schema, p.table, p.name);
}

/** Which clauses a command accepts (CREATE POLICY rejects the others). */
export function commandAllowsUsing(command: PolicyCommand): boolean {
  return command !== 'INSERT';
}
export function commandAllowsWithCheck(command: PolicyCommand): boolean {
  return command !== 'SELECT' && command !== 'DELETE';
}

/**
 * A RESTRICTIVE policy whose clauses are the constant false (readOnly's
 * no-write fences): it refuses every row, so it is meant for commands the
 * role should never get, and lacking the privilege is no mistake.
 */
export function refusesEverything(p: Pick<Policy, 'permissive' | 'using' | 'withCheck'>): boolean {
  const isFalse = (text: string | null) => text === null || /^\(*\s*false\s*\)*$/i.test(text);
  return !p.permissive && isFalse(p.using) && isFalse(p.withCheck);
}
