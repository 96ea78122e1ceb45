import type { CreateSchemaOp, DropSchemaOp } from './create-schema.op.js';
import type { GrantOp, RevokeOp } from './grant.op.js';
import type { SetPolicyCommentOp } from './policy-comment.op.js';
import type { CreatePolicyOp, DropPolicyOp, RenamePolicyOp } from './policy.op.js';
import type { AlterMembershipOp, GrantMembershipOp, RevokeMembershipOp } from './membership.op.js';
import type { AlterRoleOp, CreateRoleOp, DropRoleOp } from './role.op.js';
import type { SetRlsOp } from './set-rls.op.js';

/** Every operation pg-access can emit. Adding a kind breaks the exhaustive maps until it can be inverted, ordered and rendered. */
export type Op =
  | CreateRoleOp
  | DropRoleOp
  | AlterRoleOp
  | GrantMembershipOp
  | RevokeMembershipOp
  | AlterMembershipOp
  | CreateSchemaOp
  | DropSchemaOp
  | SetRlsOp
  | CreatePolicyOp
  | DropPolicyOp
  | RenamePolicyOp
  | SetPolicyCommentOp
  | GrantOp
  | RevokeOp;

export type OpKind = Op['kind'];
export type OpOfKind<K extends OpKind> = Extract<Op, { kind: K }>;
