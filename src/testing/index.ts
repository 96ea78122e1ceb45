/**
 * pg-access/testing: test row-level security the way the application meets
 * it, as a role with its request settings, in transactions that are always
 * rolled back. Runner-neutral: assertions throw node:assert's AssertionError.
 */
// Tables of the front ends pg-access ships (Drizzle, ...) are recognized here as in the main entry.
import '../integrations/index.js';

export { withRole, type RoleSession, type WithRoleOptions } from './with-role.js';
export { expectRows, expectCanSee, expectCannotSee, expectDenied, expectAffects, type RowFilter, type TableRef } from './assertions.js';
export { runExpectations, checkExpectations, type AccessExpectation, type ExpectationResult, type ExpectationRun, type ExpectedCommand } from './expectations.js';
export { expectationCoverage, type ExpectationCoverage, type PolicyCommandCoverage } from './coverage.js';
export { formatExpectationReport } from './report.js';
export type { TestClient, TestConnection, StatementResult } from './test-client.js';
