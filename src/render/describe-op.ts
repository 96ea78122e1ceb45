import { describeTarget } from '../model/grant.js';
import type { Membership } from '../model/membership.js';
import { ROLE_ATTRIBUTES, type Role } from '../model/role.js';
import type { Op, OpKind, OpOfKind } from '../ops/op.js';

const policyLabel = (p: { name: string; schema: string; table: string }) => `policy "${p.name}" on ${p.schema}.${p.table}`;

const describers: { [K in OpKind]: (op: OpOfKind<K>) => string } = {
  'create-role': (op) => `create role ${op.role.name}`,
  'drop-role': (op) => `drop role ${op.role.name} (created by pg-access, no longer declared)`,
  'alter-role': (op) => `alter role ${op.to.name}: ${changedAttributes(op.from, op.to)}`,
  'grant-membership': (op) => `grant role ${op.membership.role} to ${op.membership.member}${membershipOptions(op.membership)}`,
  'revoke-membership': (op) => `revoke role ${op.membership.role} from ${op.membership.member}`,
  'alter-membership': (op) => `change membership of ${op.to.member} in ${op.to.role}:${membershipOptions(op.to)}`,
  'create-schema': (op) => `create schema ${op.schema}`,
  'drop-schema': (op) => `drop schema ${op.schema}`,
  'set-rls': (op) => `${op.flag === 'enabled' ? (op.value ? 'enable' : 'disable') : op.value ? 'force' : 'stop forcing'} row level security on ${op.schema}.${op.table}`,
  'create-policy': (op) =>
    op.purpose?.kind === 'staged'
      ? `create the new version of ${policyLabel({ ...op.policy, name: op.purpose.name })} beside the old one, as "${op.policy.name}"`
      : op.purpose?.kind === 'hold'
        ? `hold ${policyLabel({ ...op.policy, name: op.purpose.name })} for ${op.purpose.members.join(', ')} while memberships change, as "${op.policy.name}"`
        : op.purpose?.kind === 'changed'
          ? `create the new version of ${policyLabel(op.policy)}`
          : `create ${policyLabel(op.policy)}`,
  'drop-policy': (op) =>
    op.purpose?.kind === 'staged'
      ? `drop the staged version of ${policyLabel({ ...op.policy, name: op.purpose.name })} ("${op.policy.name}")`
      : op.purpose?.kind === 'hold'
        ? `release the hold of ${policyLabel({ ...op.policy, name: op.purpose.name })} for ${op.purpose.members.join(', ')} ("${op.policy.name}")`
        : op.purpose?.kind === 'changed'
          ? `drop the old version of ${policyLabel(op.policy)}`
          : `drop ${policyLabel(op.policy)}`,
  'rename-policy': (op) =>
    op.stage === 'last'
      ? `put the new version of ${policyLabel({ ...op, name: op.to })} in place (rename "${op.from}")`
      : `move ${policyLabel({ ...op, name: op.from })} aside as "${op.to}" before the old version is created again`,
  'set-policy-comment': (op) => (op.to === undefined ? `remove the comment of ${policyLabel(op)}` : `record the normalized expressions of ${policyLabel(op)} in its comment`),
  grant: (op) => `grant ${op.privileges.join(', ')} on ${describeTarget(op.target)} to ${op.grantee === 'public' ? 'PUBLIC' : op.grantee}${op.withGrantOption ? ' with grant option' : ''}`,
  revoke: (op) => `revoke ${op.grantOptionOnly ? 'grant option for ' : ''}${op.privileges.join(', ')} on ${describeTarget(op.target)} from ${op.grantee === 'public' ? 'PUBLIC' : op.grantee}`,
};

function changedAttributes(from: Role, to: Role): string {
  return ROLE_ATTRIBUTES.filter((a) => from[a] !== to[a]).map((a) => `${a} ${String(from[a])} -> ${String(to[a])}`).join(', ');
}

function membershipOptions(m: Membership): string {
  const options = [`admin ${m.admin}`];
  if (m.inherit !== null) options.push(`inherit ${m.inherit}`);
  if (m.set !== null) options.push(`set ${m.set}`);
  return ` (${options.join(', ')})`;
}

/** One line a person can read in a plan or drift report. */
export function describeOp(op: Op): string {
  return (describers[op.kind] as (o: Op) => string)(op);
}
