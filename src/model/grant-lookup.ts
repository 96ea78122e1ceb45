import { targetKey, type Grant, type GrantTarget } from './grant.js';

/** Past this many entries on one object, its entries are found through a map rather than a scan. */
const SCAN_LIMIT = 24;

/**
 * Finds grants by (target, grantee, privilege). A plan at 10,000 tables
 * compares over 100,000 entries on each side; building a string key per
 * entry (and a map of them) was the largest part of the diff's memory. Here
 * entries are grouped under their target's key, which is computed once per
 * target object, and a group (a handful of grantees and privileges) is
 * scanned; only an object with many entries gets a keyed map of its own.
 */
export class GrantLookup {
  readonly grants: Grant[] = [];
  private readonly byTarget = new Map<string, number[]>();
  private readonly keyed = new Map<number[], Map<string, number>>();

  constructor(grants: Iterable<Grant> = []) {
    for (const g of grants) this.add(g);
  }

  /** Appends an entry and returns its index (no check for an equal entry: see indexOf). */
  add(grant: Grant): number {
    const index = this.grants.push(grant) - 1;
    const key = targetKey(grant.target);
    let group = this.byTarget.get(key);
    if (!group) this.byTarget.set(key, (group = []));
    group.push(index);
    const keyed = this.keyed.get(group);
    if (keyed) {
      const entry = entryKey(grant.grantee, grant.privilege);
      if (!keyed.has(entry)) keyed.set(entry, index);
    }
    return index;
  }

  /** The index of the first entry with this target, grantee and privilege, or -1. */
  indexOf(target: GrantTarget, grantee: string, privilege: string): number {
    const group = this.byTarget.get(targetKey(target));
    if (!group) return -1;
    if (group.length <= SCAN_LIMIT) {
      for (const i of group) {
        const g = this.grants[i]!;
        if (g.grantee === grantee && g.privilege === privilege) return i;
      }
      return -1;
    }
    let keyed = this.keyed.get(group);
    if (!keyed) {
      keyed = new Map();
      // Earlier entries win, as in the scan.
      for (let j = group.length - 1; j >= 0; j--) keyed.set(entryKey(this.grants[group[j]!]!.grantee, this.grants[group[j]!]!.privilege), group[j]!);
      this.keyed.set(group, keyed);
    }
    return keyed.get(entryKey(grantee, privilege)) ?? -1;
  }
}

const entryKey = (grantee: string, privilege: string) => `${grantee}\0${privilege}`;
