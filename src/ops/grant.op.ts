import type { GrantTarget } from '../model/grant.js';
import type { Grantee } from '../model/grantee.js';

/**
 * GRANT privileges ON target TO grantee [WITH GRANT OPTION].
 * `hadWithoutGrantOption` marks privileges that were already held and only gain
 * the grant option, so the inverse revokes just the option.
 */
export interface GrantOp {
  readonly kind: 'grant';
  readonly target: GrantTarget;
  readonly grantee: Grantee;
  readonly privileges: readonly string[];
  readonly withGrantOption: boolean;
  readonly hadWithoutGrantOption: boolean;
}

/**
 * REVOKE [GRANT OPTION FOR] privileges ON target FROM grantee.
 * `wasGrantable` records the old state so the inverse re-grants it exactly.
 */
export interface RevokeOp {
  readonly kind: 'revoke';
  readonly target: GrantTarget;
  readonly grantee: Grantee;
  readonly privileges: readonly string[];
  readonly grantOptionOnly: boolean;
  readonly wasGrantable: boolean;
}

export const grant = (op: Omit<GrantOp, 'kind'>): GrantOp => Object.freeze({ kind: 'grant', ...op });
export const revoke = (op: Omit<RevokeOp, 'kind'>): RevokeOp => Object.freeze({ kind: 'revoke', ...op });
