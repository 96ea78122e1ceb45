import type { LintRule } from '../lint-rule.js';
import { insertWithoutSequenceUsage } from './insert-without-sequence-usage.js';
import { ownerRlsNotForced } from './owner-rls-not-forced.js';
import { policyFilterWithoutIndex } from './policy-filter-without-index.js';
import { userEditableMetadata } from './user-editable-metadata.js';
import { functionSearchPathMutable } from './function-search-path-mutable.js';
import { multiplePermissivePolicies } from './multiple-permissive-policies.js';
import { securityDefinerExecutable } from './security-definer-executable.js';
import { securityDefinerView } from './security-definer-view.js';
import { perRowFunctionCall } from './per-row-function-call.js';
import { permissivePolicyWithoutClause } from './permissive-policy-without-clause.js';
import { policiesRlsDisabled } from './policies-rls-disabled.js';
import { policyAlwaysTrue } from './policy-always-true.js';
import { publicGrantOnRlsTable } from './public-grant-on-rls-table.js';
import { restrictivePolicyWithoutUsing } from './restrictive-policy-without-using.js';
import { rlsDisabledExposed } from './rls-disabled-exposed.js';
import { rlsEnabledNoPolicy } from './rls-enabled-no-policy.js';
import { unreachablePolicy } from './unreachable-policy.js';

/** Every rule, in the order findings are reported. */
export const LINT_RULES: readonly LintRule[] = [
  policiesRlsDisabled,
  restrictivePolicyWithoutUsing,
  rlsDisabledExposed,
  policyAlwaysTrue,
  userEditableMetadata,
  ownerRlsNotForced,
  permissivePolicyWithoutClause,
  unreachablePolicy,
  publicGrantOnRlsTable,
  securityDefinerView,
  securityDefinerExecutable,
  functionSearchPathMutable,
  perRowFunctionCall,
  policyFilterWithoutIndex,
  insertWithoutSequenceUsage,
  rlsEnabledNoPolicy,
  multiplePermissivePolicies,
];
