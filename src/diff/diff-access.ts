import type { AccessState, Scope } from '../model/access-state.js';
import type { Op } from '../ops/op.js';
import { diffGrants } from './diff-grants.js';
import { diffMemberships } from './diff-memberships.js';
import { diffPolicies } from './diff-policies.js';
import { diffRls } from './diff-rls.js';
import { diffRoles } from './diff-roles.js';
import { diffSchemas } from './diff-schemas.js';

/** Pure: desired × actual within scope → the operations that make actual equal desired. Unordered; see plan/order-operations. */
export function diffAccess(desired: AccessState, actual: AccessState, scope: Scope): Op[] {
  return [
    ...diffRoles(desired.roles, actual.roles, scope, scope.database),
    ...diffMemberships(desired.memberships, actual.memberships, scope),
    ...diffSchemas(desired.schemas, actual.schemas),
    ...diffRls(desired.tables, actual.tables),
    ...diffPolicies(desired.policies, actual.policies, scope.tables),
    ...diffGrants(desired.grants, actual.grants, scope),
  ];
}
