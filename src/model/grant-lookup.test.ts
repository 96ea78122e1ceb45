import { describe, expect, it } from 'vitest';
import type { Grant, GrantTarget } from './grant.js';
import { GrantLookup } from './grant-lookup.js';

const table = (name: string): GrantTarget => ({ kind: 'table', schema: 's', name });
const entry = (target: GrantTarget, grantee: string, privilege = 'SELECT', grantable = false): Grant => ({ target, grantee, privilege, grantable });

describe('GrantLookup', () => {
  it('finds entries by target key, not by target object identity', () => {
    const lookup = new GrantLookup([entry(table('a'), 'r1'), entry(table('b'), 'r1', 'UPDATE')]);
    expect(lookup.indexOf(table('a'), 'r1', 'SELECT')).toBe(0);
    expect(lookup.indexOf(table('b'), 'r1', 'UPDATE')).toBe(1);
    expect(lookup.indexOf(table('b'), 'r1', 'SELECT')).toBe(-1);
    expect(lookup.indexOf(table('c'), 'r1', 'SELECT')).toBe(-1);
    expect(lookup.indexOf({ kind: 'sequence', schema: 's', name: 'a' }, 'r1', 'SELECT')).toBe(-1);
  });

  // Past the scan limit an object's entries are found through a map: both paths must agree.
  it.each([3, 24, 25, 200])('gives the first matching entry with %i grantees on one object, also for entries added later', (grantees) => {
    const target = table('t');
    const lookup = new GrantLookup();
    for (let i = 0; i < grantees; i++) lookup.add(entry(target, `r${i}`));
    lookup.add(entry(target, 'r0', 'SELECT', true));
    for (let i = 0; i < grantees; i++) expect(lookup.indexOf(target, `r${i}`, 'SELECT')).toBe(i);
    expect(lookup.indexOf(target, 'r0', 'INSERT')).toBe(-1);
    // Added after the map was built.
    const late = lookup.add(entry(target, 'late', 'INSERT'));
    expect(lookup.indexOf(target, 'late', 'INSERT')).toBe(late);
    expect(lookup.indexOf(target, 'r0', 'SELECT')).toBe(0);
  });
});
