import { type GrantTarget } from '../../model/grant.js';
import type { Policy } from '../../model/policy.js';
import type { GrantOp, RevokeOp } from '../../ops/grant.op.js';
import type { Op, OpKind, OpOfKind } from '../../ops/op.js';
import { renderGrantee } from './grantee.js';
import { quoteIdent, quoteLiteral, quoteQualified } from './quote.js';
import { renderAlterMembership, renderAlterRole, renderCreateRole, renderDropRole, renderGrantMembership, renderRevokeMembership } from './render-role.js';

function onTable(p: Pick<Policy, 'schema' | 'table'>): string {
  return quoteQualified(p.schema, p.table);
}

function renderRoles(roles: readonly string[]): string {
  return roles.map(renderGrantee).join(', ');
}

// The expression text is PostgreSQL's own deparse (pg_get_expr), or, where
// that could not be had (see introspect/normalize-expressions), the declared
// text PostgreSQL parsed in the same parentheses; either way a single,
// complete expression (the declaration layer's expressionProblem rejects
// anything else). The newline keeps a trailing `--` comment in a declared
// expression from swallowing the closing parenthesis.
function clause(keyword: 'USING' | 'WITH CHECK', expression: string): string {
  return expression.includes('--') ? `${keyword} (${expression}\n)` : `${keyword} (${expression})`;
}

export function renderCreatePolicy(p: Policy, name = p.name): string {
  const parts = [
    `CREATE POLICY ${quoteIdent(name)} ON ${onTable(p)}`,
    `AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'}`,
    `FOR ${p.command}`,
    `TO ${renderRoles(p.roles)}`,
  ];
  if (p.using !== null) parts.push(clause('USING', p.using));
  if (p.withCheck !== null) parts.push(clause('WITH CHECK', p.withCheck));
  return parts.join(' ');
}

function renderDropPolicy(p: Policy): string {
  return `DROP POLICY ${quoteIdent(p.name)} ON ${onTable(p)}`;
}

/**
 * A policy's comment travels with its create and alter statements (it holds
 * pg-access's normalization record, model/policy-record): set after the
 * policy is in place under its final name, and restored by the downgrade's
 * statements the same way. DROP POLICY removes a comment by itself.
 */
function renderPolicyComment(p: Pick<Policy, 'schema' | 'table' | 'name'>, comment: string | undefined): string {
  return `COMMENT ON POLICY ${quoteIdent(p.name)} ON ${onTable(p)} IS ${comment === undefined ? 'NULL' : quoteLiteral(comment)}`;
}

function commentIfAny(p: Policy): string[] {
  return p.comment === undefined ? [] : [renderPolicyComment(p, p.comment)];
}

export function renderTarget(target: GrantTarget): string {
  switch (target.kind) {
    case 'schema':
      return `SCHEMA ${quoteIdent(target.name)}`;
    case 'table':
      return `TABLE ${quoteQualified(target.schema, target.name)}`;
    case 'column':
      return `TABLE ${quoteQualified(target.schema, target.table)}`;
    case 'sequence':
      return `SEQUENCE ${quoteQualified(target.schema, target.name)}`;
    case 'function':
      // args is PostgreSQL's own pg_get_function_identity_arguments() text.
      return `${target.routine} ${quoteQualified(target.schema, target.name)}(${target.args})`;
    case 'database':
      return `DATABASE ${quoteIdent(target.name)}`;
    case 'default':
      return target.objects.toUpperCase();
  }
}

/** Column privileges are written `SELECT ("email")`; everything else is the bare keyword. */
function renderPrivileges(target: GrantTarget, privileges: readonly string[]): string {
  return target.kind === 'column' ? privileges.map((p) => `${p} (${quoteIdent(target.column)})`).join(', ') : privileges.join(', ');
}

/** `ALTER DEFAULT PRIVILEGES FOR ROLE o [IN SCHEMA s] ` before a default-privilege GRANT/REVOKE. */
function defaultPrefix(target: GrantTarget): string {
  if (target.kind !== 'default') return '';
  const inSchema = target.schema === null ? '' : ` IN SCHEMA ${quoteIdent(target.schema)}`;
  return `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(target.owner)}${inSchema} `;
}

function renderGrant(op: GrantOp): string {
  const option = op.withGrantOption ? ' WITH GRANT OPTION' : '';
  return `${defaultPrefix(op.target)}GRANT ${renderPrivileges(op.target, op.privileges)} ON ${renderTarget(op.target)} TO ${renderGrantee(op.grantee)}${option}`;
}

function renderRevoke(op: RevokeOp): string {
  const option = op.grantOptionOnly ? 'GRANT OPTION FOR ' : '';
  return `${defaultPrefix(op.target)}REVOKE ${option}${renderPrivileges(op.target, op.privileges)} ON ${renderTarget(op.target)} FROM ${renderGrantee(op.grantee)}`;
}

const renderers: { [K in OpKind]: (op: OpOfKind<K>) => string[] } = {
  'create-role': (op) => renderCreateRole(op.role, op.database),
  'drop-role': (op) => renderDropRole(op.role),
  'alter-role': (op) => renderAlterRole(op.from, op.to),
  'grant-membership': (op) => renderGrantMembership(op.membership),
  'revoke-membership': (op) => renderRevokeMembership(op.membership),
  'alter-membership': (op) => renderAlterMembership(op.from, op.to),
  'create-schema': (op) => [`CREATE SCHEMA ${quoteIdent(op.schema)}`],
  'drop-schema': (op) => [`DROP SCHEMA ${quoteIdent(op.schema)}`],
  'set-rls': (op) => {
    const table = quoteQualified(op.schema, op.table);
    const action =
      op.flag === 'enabled'
        ? `${op.value ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY`
        : `${op.value ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY`;
    return [`ALTER TABLE ${table} ${action}`];
  },
  'create-policy': (op) => [renderCreatePolicy(op.policy), ...commentIfAny(op.policy)],
  'drop-policy': (op) => [renderDropPolicy(op.policy)],
  'rename-policy': (op) => [`ALTER POLICY ${quoteIdent(op.from)} ON ${onTable(op)} RENAME TO ${quoteIdent(op.to)}`],
  'set-policy-comment': (op) => [renderPolicyComment(op, op.to)],
  grant: (op) => [renderGrant(op)],
  revoke: (op) => [renderRevoke(op)],
};

/** The SQL statements (without trailing semicolons) that carry out one operation. */
export function renderOp(op: Op): string[] {
  return (renderers[op.kind] as (o: Op) => string[])(op);
}
