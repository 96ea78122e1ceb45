import type { Membership } from '../../model/membership.js';
import { CREATED_ROLE_COMMENT, ROLE_ATTRIBUTES, type Role, type RoleAttribute } from '../../model/role.js';
import { quoteIdent, quoteLiteral } from './quote.js';

function attributeClause(role: Role, attribute: RoleAttribute): string {
  switch (attribute) {
    case 'login':
      return role.login ? 'LOGIN' : 'NOLOGIN';
    case 'inherit':
      return role.inherit ? 'INHERIT' : 'NOINHERIT';
    case 'bypassRls':
      return role.bypassRls ? 'BYPASSRLS' : 'NOBYPASSRLS';
    case 'createDb':
      return role.createDb ? 'CREATEDB' : 'NOCREATEDB';
    case 'createRole':
      return role.createRole ? 'CREATEROLE' : 'NOCREATEROLE';
    case 'connectionLimit':
      return `CONNECTION LIMIT ${Math.trunc(role.connectionLimit)}`;
    case 'validUntil':
      // 'infinity' is how PostgreSQL spells "never" once a date was set.
      return `VALID UNTIL ${quoteLiteral(role.validUntil ?? 'infinity')}`;
  }
}

/** The marker comment; names the database so two projects sharing a cluster never take each other's roles for their own. */
export function createdRoleComment(database: string): string {
  return `${CREATED_ROLE_COMMENT} (database ${JSON.stringify(database)})`;
}

export function renderCreateRole(role: Role, database: string): string[] {
  const clauses = ROLE_ATTRIBUTES.filter((a) => a !== 'validUntil' || role.validUntil !== null).map((a) => attributeClause(role, a));
  return [`CREATE ROLE ${quoteIdent(role.name)} WITH ${clauses.join(' ')}`, `COMMENT ON ROLE ${quoteIdent(role.name)} IS ${quoteLiteral(createdRoleComment(database))}`];
}

export function renderAlterRole(from: Role, to: Role): string[] {
  const changed = ROLE_ATTRIBUTES.filter((a) => from[a] !== to[a]);
  return changed.length ? [`ALTER ROLE ${quoteIdent(to.name)} WITH ${changed.map((a) => attributeClause(to, a)).join(' ')}`] : [];
}

export function renderDropRole(role: Role): string[] {
  return [`DROP ROLE ${quoteIdent(role.name)}`];
}

/**
 * PostgreSQL 16+ stores INHERIT and SET per membership; writing all three
 * options out makes the result independent of the member's rolinherit at the
 * time of the grant. Before 16 only ADMIN OPTION exists (inherit/set null).
 * On 16+ a GRANT of an existing membership updates its options.
 */
function grantWithOptions(m: Membership): string {
  const head = `GRANT ${quoteIdent(m.role)} TO ${quoteIdent(m.member)}`;
  if (m.inherit === null || m.set === null) return m.admin ? `${head} WITH ADMIN OPTION` : head;
  return `${head} WITH ADMIN ${m.admin ? 'TRUE' : 'FALSE'}, INHERIT ${m.inherit ? 'TRUE' : 'FALSE'}, SET ${m.set ? 'TRUE' : 'FALSE'}`;
}

export function renderGrantMembership(m: Membership): string[] {
  return [grantWithOptions(m)];
}

export function renderRevokeMembership(m: Membership): string[] {
  return [`REVOKE ${quoteIdent(m.role)} FROM ${quoteIdent(m.member)}`];
}

export function renderAlterMembership(from: Membership, to: Membership): string[] {
  if (to.inherit !== null && to.set !== null) return [grantWithOptions(to)];
  if (from.admin === to.admin) return [];
  return to.admin ? [grantWithOptions(to)] : [`REVOKE ADMIN OPTION FOR ${quoteIdent(to.role)} FROM ${quoteIdent(to.member)}`];
}
