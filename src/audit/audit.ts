import { checkOptionKeys } from '../declare/option-keys.js';
import { borrowConnection, isPoolLike, withSession, type ExtraConnection, type Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import { discoverCatalog } from '../introspect/read-catalog.js';
import { effectiveAccess, type EffectiveAccess } from './effective-access.js';

export interface AuditOptions {
  /** Schemas to audit; default every schema but the system ones and those an extension owns. */
  readonly schemas?: readonly string[];
  /** How long a read waits for a lock (ms); default 5000. */
  readonly lockTimeoutMs?: number;
  /** A second connection for the policies of a large database (a pool passed as `db` gives it). */
  readonly extraConnection?: () => Promise<ExtraConnection>;
}

export interface AuditResult extends EffectiveAccess {
  readonly database: string;
  readonly serverVersionNum: number;
  readonly schemas: readonly string[];
}

const AUDIT_KEYS = ['schemas', 'lockTimeoutMs', 'extraConnection'];

/**
 * The effective access matrix of a database: every role and PUBLIC × every
 * table and view of the selected schemas × SELECT, INSERT, UPDATE, DELETE,
 * TRUNCATE (see effective-access). Read-only, as plan: one read-only
 * transaction, ACCESS SHARE at most.
 */
export async function audit(db: Queryable, options: AuditOptions = {}): Promise<AuditResult> {
  checkOptionKeys('audit()', options, AUDIT_KEYS);
  const schemas = options.schemas ?? null;
  if (schemas !== null && (!Array.isArray(schemas) || schemas.length === 0 || schemas.some((s) => typeof s !== 'string' || s === ''))) {
    throw new PgAccessError('INVALID_OPTIONS', `audit({ schemas }) must be a non-empty list of schema names, got ${JSON.stringify(schemas)}.`);
  }
  const extraConnection = options.extraConnection ?? (isPoolLike(db) ? () => borrowConnection(db) : undefined);
  const read = { inTransaction: false, lockTimeoutMs: options.lockTimeoutMs ?? 5000, ...(extraConnection ? { extraConnection } : {}) };
  const { catalog, found } = await withSession(db, (session) => discoverCatalog(session, { schemas }, read));
  if (found.missingSchemas.length) {
    throw new PgAccessError(
      'DECLARATION_DOES_NOT_MATCH_DATABASE',
      `Schema ${found.missingSchemas.map((s) => JSON.stringify(s)).join(', ')} does not exist in database ${JSON.stringify(catalog.server.database)}; it has ${found.userSchemas.map((s) => JSON.stringify(s)).join(', ') || 'no schema to audit'}.`,
    );
  }
  return { database: catalog.server.database, serverVersionNum: catalog.server.versionNum, schemas: found.schemas, ...effectiveAccess(catalog) };
}
