import type { Role } from '../model/role.js';

/** CREATE ROLE with every managed attribute written out, and the comment that marks it as created by pg-access (see CREATED_ROLE_COMMENT). */
export interface CreateRoleOp {
  readonly kind: 'create-role';
  readonly role: Role;
  /** The current database's name, part of the marker comment. */
  readonly database: string;
}

/** DROP ROLE of a role pg-access created and the declaration no longer lists. Carries the whole role so the inverse recreates it. */
export interface DropRoleOp {
  readonly kind: 'drop-role';
  readonly role: Role;
  readonly database: string;
}

/** ALTER ROLE for the attributes that differ between `from` and `to`. */
export interface AlterRoleOp {
  readonly kind: 'alter-role';
  readonly from: Role;
  readonly to: Role;
}

export const createRole = (role: Role, database: string): CreateRoleOp => Object.freeze({ kind: 'create-role', role, database });
export const dropRole = (role: Role, database: string): DropRoleOp => Object.freeze({ kind: 'drop-role', role, database });
export const alterRole = (from: Role, to: Role): AlterRoleOp => Object.freeze({ kind: 'alter-role', from, to });
