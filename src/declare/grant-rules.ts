import type { AclEntry } from '../introspect/catalog-snapshot.js';
import { privilegesFor } from '../model/privileges.js';
import type { GrantedKind } from './collect-grant.js';

/*
 * The rules that turn declared grants into the grants PostgreSQL stores,
 * as pure functions of what the declaration says and what the catalogs
 * hold: ALL expansion, owner exclusion, and the USAGE a grant implies on its
 * schema and, for INSERT, on the table's own sequences. Desired-state
 * resolution applies them forward; reading a database back into a
 * declaration (pull) needs the same rules to leave out what pg-access would
 * add anyway, so they live here once.
 */

/**
 * The privileges one declared list stands for on `kind` on this server
 * version: ALL becomes the server's list (for a column grant, the column
 * privileges), duplicates go. MAINTAIN exists from PostgreSQL 17 on; before
 * that it is returned in `unsupported` (the caller names the declaration).
 * Privileges that do not exist on the kind were rejected when the
 * declaration was collected.
 */
export function expandPrivileges(
  declared: readonly string[],
  kind: GrantedKind | 'column',
  versionNum: number,
): { privileges: string[]; unsupported: string[] } {
  const privileges = new Set<string>();
  const unsupported: string[] = [];
  for (const p of declared) {
    if (p === 'ALL') for (const q of privilegesFor(kind, versionNum)) privileges.add(q);
    else if (p === 'MAINTAIN' && versionNum < 170000) unsupported.push(p);
    else privileges.add(p);
  }
  return { privileges: [...privileges], unsupported };
}

/** An owner holds every privilege on its object implicitly; a grant to it is left out (PostgreSQL would record nothing new). */
export function isOwnerGrant(grantee: string, owner: string | undefined): boolean {
  return grantee === owner;
}

/**
 * INSERT into a serial column calls nextval(), which needs USAGE on the
 * sequence; identity columns do not check it, but granting it keeps explicit
 * nextval()/currval() calls working the same for both. So every role that
 * may insert into a table gets USAGE on the sequences the table owns,
 * except the sequence's owner.
 */
export function impliedSequenceUsage(inserters: Iterable<string>, sequenceOwner: string): string[] {
  return [...inserters].filter((grantee) => !isOwnerGrant(grantee, sequenceOwner));
}

export interface SchemaUsageFacts {
  /** The roles granted something on an object in the schema. */
  readonly grantees: ReadonlySet<string>;
  /** The schema's owner, if the schema exists. */
  readonly owner: string | undefined;
  /** The schema is declared with schema(): its ACL is exactly what it declares. */
  readonly declared: boolean;
  /** The declaration's impliedGrants switch. */
  readonly impliedGrants: boolean;
  /** The roles the declaration grants USAGE on the schema (declared schemas only). */
  readonly declaredUsage: ReadonlySet<string>;
  /** The schema's ACL as the catalogs hold it now. */
  readonly held: readonly AclEntry[];
  /** PUBLIC's entries on this schema are managed by the declaration (it grants to PUBLIC somewhere, or revokes from PUBLIC here). */
  readonly publicManaged: boolean;
}

/**
 * Privileges on an object are useless without USAGE on its schema. On a
 * schema that is not declared, every grantee gets it (`implied`), unless
 * everyone has it through PUBLIC once the plan is applied (as on the
 * `public` schema by default); nothing is ever revoked there, so what PUBLIC
 * holds now it keeps. A declared schema's ACL is exactly what it declares: a
 * grantee left without USAGE there is `inert` (its grants have no effect; the
 * caller tells the user), never granted USAGE silently, which would widen
 * the declared ACL. PUBLIC's USAGE on a declared schema is what the
 * declaration says once PUBLIC is managed there. With implied grants off, an
 * undeclared schema is left alone and only a grantee holding no USAGE is
 * inert.
 */
export function schemaUsageNeeds(facts: SchemaUsageFacts): { implied: string[]; inert: string[] } {
  const implied = facts.impliedGrants && !facts.declared;
  const holds = (grantee: string) => facts.held.some((e) => e.grantee === grantee && e.privilege === 'USAGE');
  const publicManagedHere = facts.declared && facts.publicManaged;
  const publicHasUsage = facts.declaredUsage.has('public') || (implied && facts.grantees.has('public')) || (!publicManagedHere && holds('public'));
  const result = { implied: [] as string[], inert: [] as string[] };
  for (const grantee of facts.grantees) {
    if (isOwnerGrant(grantee, facts.owner) || facts.declaredUsage.has(grantee) || (publicHasUsage && grantee !== 'public')) continue;
    if (implied) result.implied.push(grantee);
    else if (facts.declared || !holds(grantee)) result.inert.push(grantee);
  }
  return result;
}
