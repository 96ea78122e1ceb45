import { createSchema, dropSchema } from './create-schema.op.js';
import { grant, revoke } from './grant.op.js';
import type { Op, OpKind, OpOfKind } from './op.js';
import { createPolicy, dropPolicy, renamePolicy } from './policy.op.js';
import { alterMembership, grantMembership, revokeMembership } from './membership.op.js';
import { alterRole, createRole, dropRole } from './role.op.js';
import { setPolicyComment } from './policy-comment.op.js';
import { setRls } from './set-rls.op.js';

const inverters: { [K in OpKind]: (op: OpOfKind<K>) => Op } = {
  'create-role': (op) => dropRole(op.role, op.database),
  'drop-role': (op) => createRole(op.role, op.database),
  'alter-role': (op) => alterRole(op.to, op.from),
  'grant-membership': (op) => revokeMembership(op.membership),
  'revoke-membership': (op) => grantMembership(op.membership),
  'alter-membership': (op) => alterMembership(op.to, op.from),
  'create-schema': (op) => dropSchema(op.schema),
  'drop-schema': (op) => createSchema(op.schema),
  'set-rls': (op) => setRls(op.schema, op.table, op.flag, !op.value),
  'create-policy': (op) => dropPolicy(op.policy, op.purpose),
  'drop-policy': (op) => createPolicy(op.policy, op.purpose),
  'rename-policy': (op) => renamePolicy(op, op.to, op.from, op.stage === 'last' ? 'first' : 'last'),
  'set-policy-comment': (op) => setPolicyComment(op, op.to, op.from),
  grant: (op) =>
    op.hadWithoutGrantOption
      ? revoke({ target: op.target, grantee: op.grantee, privileges: op.privileges, grantOptionOnly: true, wasGrantable: true })
      : revoke({
          target: op.target,
          grantee: op.grantee,
          privileges: op.privileges,
          grantOptionOnly: false,
          wasGrantable: op.withGrantOption,
        }),
  revoke: (op) =>
    op.grantOptionOnly
      ? grant({ target: op.target, grantee: op.grantee, privileges: op.privileges, withGrantOption: true, hadWithoutGrantOption: true })
      : grant({
          target: op.target,
          grantee: op.grantee,
          privileges: op.privileges,
          withGrantOption: op.wasGrantable,
          hadWithoutGrantOption: false,
        }),
};

/** The operation that undoes `op`, computed from the old state the op carries (no database needed). */
export function inverseOf(op: Op): Op {
  return (inverters[op.kind] as (o: Op) => Op)(op);
}
