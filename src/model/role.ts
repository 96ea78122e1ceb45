/**
 * A role whose attributes pg-access manages (declared with `role()`). Every
 * attribute is part of the declaration: one left out takes CREATE ROLE's
 * default, so a role looks the same whether pg-access created it or adopted
 * it. SUPERUSER and REPLICATION are deliberately not managed; a password is
 * never part of the model (it is a secret, see the README).
 */
export interface Role {
  readonly name: string;
  readonly login: boolean;
  /** rolinherit: whether the role uses its groups' privileges without SET ROLE (on 16+, the default of new memberships' INHERIT option). */
  readonly inherit: boolean;
  readonly bypassRls: boolean;
  readonly createDb: boolean;
  readonly createRole: boolean;
  /** -1: no limit. */
  readonly connectionLimit: number;
  /**
   * When the password stops working, as an ISO-8601 UTC timestamp; null: never.
   * PostgreSQL cannot set VALID UNTIL back to NULL, only to 'infinity', which
   * means the same; both are null here.
   */
  readonly validUntil: string | null;
}

/** CREATE ROLE's defaults. */
export const ROLE_DEFAULTS: Omit<Role, 'name'> = Object.freeze({
  login: false,
  inherit: true,
  bypassRls: false,
  createDb: false,
  createRole: false,
  connectionLimit: -1,
  validUntil: null,
});

export type RoleAttribute = Exclude<keyof Role, 'name'>;
export const ROLE_ATTRIBUTES: readonly RoleAttribute[] = ['login', 'inherit', 'bypassRls', 'createDb', 'createRole', 'connectionLimit', 'validUntil'];

/**
 * Whether moving one attribute from `from` to `to` gives the role more power.
 * Widening changes run last and narrowing ones first, like grants, so a role
 * is never transiently more powerful than in both the old and the new state.
 */
export function widens(attribute: RoleAttribute, from: Role, to: Role): boolean {
  switch (attribute) {
    case 'connectionLimit':
      return to.connectionLimit === -1 || (from.connectionLimit !== -1 && to.connectionLimit > from.connectionLimit);
    case 'validUntil':
      return to.validUntil === null || (from.validUntil !== null && to.validUntil > from.validUntil);
    default:
      return to[attribute] === true;
  }
}

/** The comment pg-access puts on roles it creates: the only roles `--allow-drop-roles` may drop. */
export const CREATED_ROLE_COMMENT = 'created by pg-access';
