import { borrowConnection, isPoolLike, withSession, type Queryable } from '../driver/queryable.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { PgAccessError } from '../errors.js';
import { discoverCatalog } from '../introspect/read-catalog.js';
import { pulledAccess, type PulledAccess, type PullOptions as PulledOptions } from './pulled-access.js';
import { renderAccessModule } from './render-access-module.js';

export interface PullOptions extends PulledOptions {
  /** Schemas to pull; default every schema but the system ones and those an extension owns. */
  readonly schemas?: readonly string[];
  /** How long a read waits for a lock (ms); default 5000. */
  readonly lockTimeoutMs?: number;
}

const PULL_KEYS = ['schemas', 'lockTimeoutMs', 'manageRoles'];

export interface PullResult {
  /** The access module, TypeScript. */
  readonly source: string;
  readonly access: PulledAccess;
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
  const read = { inTransaction: false, lockTimeoutMs: options.lockTimeoutMs ?? 5000, ...(isPoolLike(db) ? { extraConnection: () => borrowConnection(db) } : {}) };
  const { catalog, found } = await withSession(db, (session) => discoverCatalog(session, { schemas }, read));
  if (found.missingSchemas.length) {
    const missing = found.missingSchemas.map((s) => JSON.stringify(s)).join(', ');
    throw new PgAccessError(
      'DECLARATION_DOES_NOT_MATCH_DATABASE',
      `${found.missingSchemas.length > 1 ? 'Schemas' : 'Schema'} ${missing} ${found.missingSchemas.length > 1 ? 'do' : 'does'} not exist in database ${JSON.stringify(catalog.server.database)}; it has ${found.userSchemas.map((s) => JSON.stringify(s)).join(', ') || 'no schema to pull'}.`,
    );
  }
  const access = pulledAccess(catalog, found, options);
  return { source: renderAccessModule(access), access };
}
