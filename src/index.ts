// The front ends pg-access ships (Drizzle) register with the declaration layer first.
import './integrations/index.js';

export { database, defaultPrivileges, defineAccess, existingRole, grant, policy, role, routine, schema, sequence, table } from './declare/builders.js';
export { allIn, tables, sequences, routines } from './declare/selectors.js';
export type {
  AccessDeclaration,
  AccessInput,
  DatabaseDeclaration,
  DatabaseOptions,
  DefaultObjectTypeInput,
  DefaultPrivilegesDeclaration,
  DefaultPrivilegesOptions,
  ExistingRoleDeclaration,
  ExistingRoleOptions,
  ExpressionInput,
  ColumnMap,
  MembershipInput,
  RoleDeclaration,
  RoleInput,
  RoleOptions,
  RoutineDeclaration,
  RoutineOptions,
  SequenceDeclaration,
  SequenceOptions,
  GrantDeclaration,
  GrantOptions,
  PolicyDeclaration,
  PolicyOptions,
  SchemaDeclaration,
  TableDeclaration,
  TableOptions,
  TableInput,
  ObjectSelector,
  SelectorDeclaration,
  TablesDeclaration,
  SequencesDeclaration,
  RoutinesDeclaration,
} from './declare/declarations.js';
export * from './templates/index.js';
export * from './presets/index.js';
export { plan, type Plan, type PlannedOperation, type PlanOptions, type PlanStats } from './plan/plan.js';
export { apply, type ApplyOptions, type ApplyResult } from './plan/apply.js';
export { check, type CheckResult } from './plan/check.js';
export { pull, type PullOptions, type PullResult } from './pull/pull.js';
export { audit, type AuditOptions, type AuditResult } from './audit/audit.js';
export { lint, lintCatalog, lintDeclaration, type LintIgnore, type LintOptions, type LintResult } from './lint/lint.js';
export type { LintFinding, LintRule, LintSeverity } from './lint/lint-rule.js';
export { LINT_RULES } from './lint/rules/index.js';
export { accessImpact, describeChange, type AccessChange, type ImpactKind } from './audit/access-impact.js';
export { AUDIT_COMMANDS, cellOf, type AccessCell, type AccessLevel, type AuditCommand, type AuditedRole, type RlsBypass } from './audit/effective-access.js';
export { fromPostgresJs, type ExtraConnection, type Queryable } from './driver/queryable.js';
export { connectUrl, redactUrl, type ConnectedClient } from './driver/connect.js';
export { PgAccessError } from './errors.js';
export { quoteIdent, quoteLiteral } from './render/sql/quote.js';
export {
  writeMigration,
  registerMigrationWriter,
  migrationFormats,
  MIGRATION_RECORDS_LIMIT,
  type WriteMigrationOptions,
  type WrittenMigration,
  type MigrationFormat,
  type BuiltinMigrationFormat,
} from './render/migration/write-migration.js';
export type { MigrationWriter, MigrationInput, MigrationDirection, MigrationFile, MigrationFolder } from './render/migration/migration-writer.js';
export { sqlComment, transactionScript, migrationTimestamp } from './render/migration/migration-text.js';
export { jsTemplateLiteral, jsComment } from './render/migration/js-literal.js';
export { registerTableSource, type TableSource, type TableFacts } from './declare/table-source.js';
export { readPrismaSchema, type PrismaSchema, type PrismaModel } from './integrations/prisma/prisma-schema.js';
export { EnableRls, ForceRls, GrantPermissions, RlsPolicy, RlsTemplate, type EntityTemplate } from './integrations/decorators/access-decorators.js';
export { typeormAccess, type TypeormDataSourceLike } from './integrations/typeorm/typeorm-access.js';
export { mikroOrmAccess, type MikroOrmLike } from './integrations/mikro-orm/mikro-orm-access.js';
export type * from './model/index.js';
export type { Op } from './ops/op.js';
export { defineConfig, type PgAccessConfig, type DbCredentials } from './config.js';
