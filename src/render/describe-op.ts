import { describeTarget } from '../model/grant.js';
import type { Op, OpKind, OpOfKind } from '../ops/op.js';

const policyLabel = (p: { name: string; schema: string; table: string }) => `policy "${p.name}" on ${p.schema}.${p.table}`;

const describers: { [K in OpKind]: (op: OpOfKind<K>) => string } = {
  'create-schema': (op) => `create schema ${op.schema}`,
  'drop-schema': (op) => `drop schema ${op.schema}`,
  'set-rls': (op) => `${op.flag === 'enabled' ? (op.value ? 'enable' : 'disable') : op.value ? 'force' : 'stop forcing'} row level security on ${op.schema}.${op.table}`,
  'create-policy': (op) => `create ${policyLabel(op.policy)}`,
  'drop-policy': (op) => `drop ${policyLabel(op.policy)}`,
  'alter-policy': (op) => `alter ${policyLabel(op.to)}`,
  'replace-policy': (op) => `recreate ${policyLabel(op.to)} (command or permissive/restrictive changed)`,
  grant: (op) => `grant ${op.privileges.join(', ')} on ${describeTarget(op.target)} to ${op.grantee === 'public' ? 'PUBLIC' : op.grantee}${op.withGrantOption ? ' with grant option' : ''}`,
  revoke: (op) => `revoke ${op.grantOptionOnly ? 'grant option for ' : ''}${op.privileges.join(', ')} on ${describeTarget(op.target)} from ${op.grantee === 'public' ? 'PUBLIC' : op.grantee}`,
};

/** One line a person can read in a plan or drift report. */
export function describeOp(op: Op): string {
  return (describers[op.kind] as (o: Op) => string)(op);
}
