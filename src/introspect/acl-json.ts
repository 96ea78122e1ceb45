import { PgAccessError } from '../errors.js';
import { keyOf } from '../model/qualified-name.js';
import { textPool, type TextPool } from '../model/text-pool.js';
import type { AclEntry } from './catalog-snapshot.js';

/**
 * An ACL as JSON text of its aclitem strings, ["alice=arw/bob","=r/bob"],
 * parsed here (parseAclItem) rather than exploded by the server.
 * aclexplode() with pg_get_userbyid() and json_build_array() per entry cost
 * 330 of the 430 ms the table query took at 10,000 tables; the aclitem text
 * costs the server one syscache lookup per entry, and as the same few ACLs
 * recur table after table, each distinct one is parsed once per catalog read.
 * Text rather than json on purpose: a client would parse a json column as the
 * row arrives and keep every parsed array until the whole result is in.
 * NULL when the ACL is NULL (the owner's implicit privileges only).
 */
export const aclItems = (acl: string) => `array_to_json((${acl})::text[])::text`;

/** A column the catalog queries send as JSON text; a client that parsed it anyway is fine too. */
export function parseJsonColumn<T>(raw: unknown): T {
  return (typeof raw === 'string' ? JSON.parse(raw) : raw) as T;
}

/** aclitem privilege letters (ACL_ALL_RIGHTS_STR in PostgreSQL's acl.h) and the names aclexplode() gives them. */
const PRIVILEGE_BY_LETTER: Readonly<Record<string, string>> = {
  a: 'INSERT',
  r: 'SELECT',
  w: 'UPDATE',
  d: 'DELETE',
  D: 'TRUNCATE',
  x: 'REFERENCES',
  t: 'TRIGGER',
  X: 'EXECUTE',
  U: 'USAGE',
  C: 'CREATE',
  T: 'TEMPORARY',
  c: 'CONNECT',
  s: 'SET',
  A: 'ALTER SYSTEM',
  m: 'MAINTAIN',
};

/** One aclitem: who holds which privileges (grantee 'public' for PUBLIC), each with or without grant option. */
export interface AclItem {
  readonly grantee: string;
  readonly privileges: readonly (readonly [privilege: string, grantable: boolean])[];
}

/**
 * Parses aclitem text as aclitemout() writes it: `grantee=privileges/grantor`,
 * an empty grantee for PUBLIC, `*` after a letter for the grant option, and
 * a role name in double quotes (inner quotes doubled) unless it is all
 * ASCII letters, digits and underscores.
 */
export function parseAclItem(item: string): AclItem {
  const [grantee, afterGrantee] = readRoleName(item, 0);
  if (item[afterGrantee] !== '=') throw malformed(item);
  const privileges: [string, boolean][] = [];
  let at = afterGrantee + 1;
  for (; at < item.length && item[at] !== '/'; at++) {
    const privilege = PRIVILEGE_BY_LETTER[item[at]!];
    if (privilege === undefined) throw malformed(item, `privilege letter "${item[at]}"`);
    const grantable = item[at + 1] === '*';
    privileges.push([privilege, grantable]);
    if (grantable) at++;
  }
  if (item[at] !== '/') throw malformed(item);
  return { grantee: grantee === '' ? 'public' : grantee, privileges };
}

function readRoleName(item: string, from: number): [name: string, next: number] {
  if (item[from] !== '"') {
    let end = from;
    while (end < item.length && item[end] !== '=' && item[end] !== '/') end++;
    return [item.slice(from, end), end];
  }
  let name = '';
  for (let at = from + 1; at < item.length; ) {
    const quote = item.indexOf('"', at);
    if (quote < 0) break;
    name += item.slice(at, quote);
    if (item[quote + 1] !== '"') return [name, quote + 1];
    name += '"';
    at = quote + 2;
  }
  throw malformed(item);
}

function malformed(item: string, what = 'text'): PgAccessError {
  return new PgAccessError('CATALOG_READ_FAILED', `Could not read the access privilege ${JSON.stringify(item)}: unexpected ${what}. Please report this with your PostgreSQL version.`);
}

/**
 * A text pool (see model/text-pool) that also shares parsed ACLs: the same
 * ACL recurs table after table, so it is parsed and merged once and its
 * frozen entries are shared. Entries are immutable, so sharing is safe.
 */
export interface Intern extends TextPool {
  /** The merged entries of an ACL's JSON text (see aclItems), the owner's own entries left out. */
  acl(raw: unknown, owner: string): readonly AclEntry[];
}

export function catalogPool(): Intern {
  const text = textPool();
  const acls = new Map<string, readonly AclEntry[]>();
  const acl = (raw: unknown, owner: string): readonly AclEntry[] => {
    if (typeof raw !== 'string') return mergeAcl(raw, owner, text);
    const key = keyOf(owner, raw);
    let merged = acls.get(key);
    if (merged === undefined) acls.set(key, (merged = Object.freeze(mergeAcl(raw, owner, text).map((e) => Object.freeze(e)))));
    return merged;
  };
  return Object.assign(text, { acl });
}

const asIs: TextPool = (text) => text;

/**
 * An ACL's entries without the owner's (the owner's privileges are implicit
 * and not managed). The same (grantee, privilege) can appear once per
 * grantor; it is held, and grantable if any grantor gave the option.
 */
export function mergeAcl(raw: unknown, owner: string, intern: TextPool = asIs): AclEntry[] {
  return mergeAclItems(parseJsonColumn<string[] | null>(raw) ?? [], owner, intern);
}

function mergeAclItems(items: readonly string[], owner: string, intern: TextPool): AclEntry[] {
  const merged = new Map<string, AclEntry>();
  for (const text of items) {
    const { grantee, privileges } = parseAclItem(text);
    if (grantee === owner) continue;
    for (const [privilege, grantable] of privileges) {
      const key = keyOf(grantee, privilege);
      const prior = merged.get(key);
      if (prior === undefined) merged.set(key, { grantee: intern(grantee), privilege: intern(privilege), grantable });
      else if (grantable && !prior.grantable) merged.set(key, { ...prior, grantable });
    }
  }
  return [...merged.values()];
}

/** Column ACLs as JSON text [[column, [aclitem, ...]], ...] (NULL for none), merged like mergeAcl per column. */
export function mergeColumnAcl(raw: unknown, owner: string, intern: TextPool = asIs): (AclEntry & { column: string })[] {
  const merged: (AclEntry & { column: string })[] = [];
  for (const [column, items] of parseJsonColumn<[string, string[]][] | null>(raw) ?? []) {
    for (const entry of mergeAclItems(items, owner, intern)) merged.push({ column, ...entry });
  }
  return merged;
}
