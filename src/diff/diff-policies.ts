import { policyKey, type Policy } from '../model/policy.js';
import { qualifiedKey, type QualifiedName } from '../model/qualified-name.js';
import { changePolicy, createPolicy, dropPolicy, type Op } from '../ops/index.js';

export function policiesEqual(a: Policy, b: Policy): boolean {
  return (
    a.command === b.command &&
    a.permissive === b.permissive &&
    a.using === b.using &&
    a.withCheck === b.withCheck &&
    a.roles.length === b.roles.length &&
    a.roles.every((r, i) => r === b.roles[i])
  );
}

/**
 * The whole policy set of each declared table is managed: declared policies
 * are created or changed, others on those tables dropped. Policies of tables
 * outside the declaration are never looked at. Expressions are compared as
 * PostgreSQL deparsed them, on both sides.
 */
export function diffPolicies(desired: readonly Policy[], actual: readonly Policy[], tables: readonly QualifiedName[]): Op[] {
  const inScope = new Set(tables.map(qualifiedKey));
  const tableOf = (p: Policy) => qualifiedKey({ schema: p.schema, name: p.table });
  const actualByKey = new Map(actual.filter((p) => inScope.has(tableOf(p))).map((p) => [policyKey(p), p]));
  const ops: Op[] = [];
  for (const want of desired) {
    const key = policyKey(want);
    const have = actualByKey.get(key);
    actualByKey.delete(key);
    if (!have) ops.push(createPolicy(want));
    else if (!policiesEqual(want, have)) ops.push(changePolicy(have, want));
  }
  for (const stale of actualByKey.values()) ops.push(dropPolicy(stale));
  return ops;
}
