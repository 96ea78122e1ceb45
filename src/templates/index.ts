export { ownerOnly, type OwnerOnlyOptions } from './owner-only.js';
export { tenantIsolation, type TenantIsolationOptions } from './tenant-isolation.js';
export { readOnly, type ReadOnlyOptions } from './read-only.js';
export { publicRead, type PublicReadOptions } from './public-read.js';
export { membershipCheck, type MembershipCheckOptions } from './membership-check.js';
export { onTable, columnEquals } from './apply-template.js';
export { columnReference } from '../declare/table-source.js';
export { sessionValueSql } from './session-value.js';
export type { ColumnKey, RowCommand, SessionValue, TemplateTarget } from './template-types.js';
