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
  ...changePolicy(base, { ...base, roles: ['b'], using: '(x = 2)' }),
  ...changePolicy(base, { ...base, withCheck: '(x > 0)' }),
  ...changePolicy(base, { ...base, permissive: false }),
  ...changePolicy({ ...base, permissive: false }, { ...base, permissive: false, using: '(x = 2)' }),
  grant({ target, grantee: 'a', privileges: ['SELECT'], withGrantOption: false, hadWithoutGrantOption: false }),
  grant({ target, grantee: 'a', privileges: ['SELECT'], withGrantOption: true, hadWithoutGrantOption: true }),
  revoke({ target, grantee: 'public', privileges: ['INSERT', 'UPDATE'], grantOptionOnly: false, wasGrantable: true }),
  revoke({ target, grantee: 'a', privileges: ['SELECT'], grantOptionOnly: true, wasGrantable: true }),
];

describe('inverseOf', () => {
  it.each(ops.map((op) => [op.kind, op] as const))('%s: the inverse of the inverse is the operation itself', (_kind, op) => {
    expect(inverseOf(inverseOf(op))).toEqual(op);
  });

  it('a permissive change is the old version dropped and the new one created; undone the other way round', () => {
    const change = changePolicy(base, { ...base, withCheck: '(x > 0)' });
    expect(change).toEqual([dropPolicy(base, { kind: 'changed' }), createPolicy({ ...base, withCheck: '(x > 0)' }, { kind: 'changed' })]);
    expect(change.map(inverseOf)).toEqual([createPolicy(base, { kind: 'changed' }), dropPolicy({ ...base, withCheck: '(x > 0)' }, { kind: 'changed' })]);
  });

  it('a restrictive version on either side is staged: created beside the old one, the old one dropped, the new one renamed; undone the other way round', () => {
    const restrictive = { ...base, permissive: false };
    const change = changePolicy(restrictive, { ...restrictive, using: '(x = 2)' });
    expect(change.map((op) => op.kind)).toEqual(['create-policy', 'drop-policy', 'rename-policy']);
    const [stage, drop, rename] = change;
    expect(stage).toMatchObject({ policy: { name: expect.stringMatching(/^pg_access_swap_[0-9a-f]{16}$/), using: '(x = 2)' }, purpose: { kind: 'staged', name: 'p' } });
    expect(drop).toMatchObject({ policy: restrictive });
    expect(rename).toMatchObject({ from: (stage as { policy: Policy }).policy.name, to: 'p', stage: 'last' });
    expect(inverseOf(rename!)).toMatchObject({ from: 'p', to: (stage as { policy: Policy }).policy.name, stage: 'first' });
    expect(changePolicy(base, restrictive).map((op) => op.kind)).toEqual(['create-policy', 'drop-policy', 'rename-policy']);
  });
});
