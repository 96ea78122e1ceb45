import { describe, expect, it } from 'vitest';
import type { Policy } from '../model/policy.js';
import { createSchema } from './create-schema.op.js';
import { grant, revoke } from './grant.op.js';
import { inverseOf } from './inverse.js';
import type { Op } from './op.js';
import { changePolicy, createPolicy, dropPolicy } from './policy.op.js';
import { setRls } from './set-rls.op.js';

const base: Policy = { schema: 's', table: 't', name: 'p', command: 'ALL', permissive: true, roles: ['a'], using: '(x = 1)', withCheck: null };
const target = { kind: 'table' as const, schema: 's', name: 't' };

const ops: Op[] = [
  createSchema('s'),
  setRls('s', 't', 'enabled', true),
  setRls('s', 't', 'forced', false),
  createPolicy(base),
  dropPolicy(base),
  changePolicy(base, { ...base, roles: ['b'], using: '(x = 2)' }),
  changePolicy(base, { ...base, withCheck: '(x > 0)' }),
  changePolicy(base, { ...base, permissive: false }),
  grant({ target, grantee: 'a', privileges: ['SELECT'], withGrantOption: false, hadWithoutGrantOption: false }),
  grant({ target, grantee: 'a', privileges: ['SELECT'], withGrantOption: true, hadWithoutGrantOption: true }),
  revoke({ target, grantee: 'public', privileges: ['INSERT', 'UPDATE'], grantOptionOnly: false, wasGrantable: true }),
  revoke({ target, grantee: 'a', privileges: ['SELECT'], grantOptionOnly: true, wasGrantable: true }),
];

describe('inverseOf', () => {
  it.each(ops.map((op) => [op.kind, op] as const))('%s: the inverse of the inverse is the operation itself', (_kind, op) => {
    expect(inverseOf(inverseOf(op))).toEqual(op);
  });

  it('an ALTER that added a WITH CHECK is undone by recreating (ALTER POLICY cannot remove a clause)', () => {
    expect(inverseOf(changePolicy(base, { ...base, withCheck: '(x > 0)' })).kind).toBe('replace-policy');
    expect(changePolicy(base, { ...base, withCheck: '(x > 0)' }).kind).toBe('alter-policy');
  });
});
