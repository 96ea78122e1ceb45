import { borrowConnection, isPoolLike, withSession, type ExtraConnection, type Queryable } from '../driver/queryable.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { PgAccessError } from '../errors.js';
import { discoverCatalog } from '../introspect/read-catalog.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { pulledAccess, type PulledAccess, type PullOptions as PulledOptions } from './pulled-access.js';
import { renderAccessModule } from './render-access-module.js';
import { unpulledDiagnostics } from './unpulled.js';

export interface PullOptions extends PulledOptions {
  /** Schemas to pull; default every schema but the system ones and those an extension owns. */
  readonly schemas?: readonly string[];
  /** How long a read waits for a lock (ms); default 5000. */
  readonly lockTimeoutMs?: number;
  /**
   * Opens a second connection for the policies of a large database (read in
   * two halves at once, as plan does); a pool passed as `db` gives it.
   */
  readonly extraConnection?: () => Promise<ExtraConnection>;
}

const PULL_KEYS = ['schemas', 'lockTimeoutMs', 'manageRoles', 'extraConnection'];

export interface PullResult {
  /** The access module, TypeScript. */
  readonly source: string;
  readonly access: PulledAccess;
  /** What the database holds that a declaration cannot say (an owner's revoked privileges, say): warnings, left out of `source`. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads what a database's access is (in the selected schemas) and writes it
 * as a declaration that plans empty against it. Read-only, as plan: one
 * read-only transaction, ACCESS SHARE at most.
 */
export async function pull(db: Queryable, options: PullOptions = {}): Promise<PullResult> {
  checkOptionKeys('pull()', options, PULL_KEYS);
  const schemas = options.schemas ?? null;
  if (schemas !== null && (!Array.isArray(schemas) || schemas.length === 0 || schemas.some((s) => typeof s !== 'string' || s === ''))) {
    throw new PgAccessError('INVALID_OPTIONS', `pull({ schemas }) must be a non-empty list of schema names, got ${JSON.stringify(schemas)}.`);
  }
  if (options.manageRoles !== undefined && typeof options.manageRoles !== 'boolean') {
    throw new PgAccessError('INVALID_OPTIONS', `pull({ manageRoles }) must be true or false, got ${JSON.stringify(options.manageRoles)}.`);
  }
  const extraConnection = options.extraConnection ?? (isPoolLike(db) ? () => borrowConnection(db) : undefined);
  const read = { inTransaction: false, lockTimeoutMs: options.lockTimeoutMs ?? 5000, ...(extraConnection ? { extraConnection } : {}) };
  const { catalog, found } = await withSession(db, (session) => discoverCatalog(session, { schemas }, read));
  if (found.missingSchemas.length) {
    const missing = found.missingSchemas.map((s) => JSON.stringify(s)).join(', ');
    throw new PgAccessError(
      'DECLARATION_DOES_NOT_MATCH_DATABASE',
      `${found.missingSchemas.length > 1 ? 'Schemas' : 'Schema'} ${missing} ${found.missingSchemas.length > 1 ? 'do' : 'does'} not exist in database ${JSON.stringify(catalog.server.database)}; it has ${found.userSchemas.map((s) => JSON.stringify(s)).join(', ') || 'no schema to pull'}.`,
    );
  }
  const access = pulledAccess(catalog, found, options);
  return { source: renderAccessModule(access), access, diagnostics: unpulledDiagnostics(found, catalog) };
}
