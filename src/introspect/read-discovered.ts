import { borrowConnection, isPoolLike, withSession, type ExtraConnection, type Queryable } from '../driver/queryable.js';
import { PgAccessError } from '../errors.js';
import type { CatalogSnapshot } from './catalog-snapshot.js';
import type { DiscoveredObjects } from './discover-objects.js';
import { discoverCatalog } from './read-catalog.js';

/** The options every command that reads what a database has (pull, audit, lint) takes. */
export interface DiscoveryOptions {
  /** Schemas to read; default every schema but the system ones and those an extension owns. */
  readonly schemas?: readonly string[];
  /** How long a read waits for a lock (ms); default 5000. */
  readonly lockTimeoutMs?: number;
  /** A second connection for the policies of a large database (read in two halves at once, as plan does); a pool passed as `db` gives it. */
  readonly extraConnection?: () => Promise<ExtraConnection>;
}

export const DISCOVERY_KEYS = ['schemas', 'lockTimeoutMs', 'extraConnection'] as const;

/**
 * The discovery read shared by pull, audit and lint: validates `schemas`,
 * reads in one read-only transaction (ACCESS SHARE at most), and names a
 * requested schema that does not exist together with those there are.
 * `caller` names the function in messages ('pull()', ...).
 */
export async function readDiscovered(db: Queryable, options: DiscoveryOptions, caller: string): Promise<{ catalog: CatalogSnapshot; found: DiscoveredObjects }> {
  const schemas = options.schemas ?? null;
  if (schemas !== null && (!Array.isArray(schemas) || schemas.length === 0 || schemas.some((s) => typeof s !== 'string' || s === ''))) {
    throw new PgAccessError('INVALID_OPTIONS', `${caller.replace(/\(\)$/, '')}({ schemas }) must be a non-empty list of schema names, got ${JSON.stringify(schemas)}.`);
  }
  const extraConnection = options.extraConnection ?? (isPoolLike(db) ? () => borrowConnection(db) : undefined);
  const read = { inTransaction: false, lockTimeoutMs: options.lockTimeoutMs ?? 5000, ...(extraConnection ? { extraConnection } : {}) };
  const { catalog, found } = await withSession(db, (session) => discoverCatalog(session, { schemas }, read));
  if (found.missingSchemas.length) {
    const many = found.missingSchemas.length > 1;
    throw new PgAccessError(
      'DECLARATION_DOES_NOT_MATCH_DATABASE',
      `${many ? 'Schemas' : 'Schema'} ${found.missingSchemas.map((s) => JSON.stringify(s)).join(', ')} ${many ? 'do' : 'does'} not exist in database ${JSON.stringify(catalog.server.database)}; it has ${found.userSchemas.map((s) => JSON.stringify(s)).join(', ') || 'no schema but the system ones'}.`,
    );
  }
  return { catalog, found };
}
