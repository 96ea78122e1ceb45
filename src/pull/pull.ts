import type { Queryable } from '../driver/queryable.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { PgAccessError } from '../errors.js';
import { DISCOVERY_KEYS, readDiscovered, type DiscoveryOptions } from '../introspect/read-discovered.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { pulledAccess, type PulledAccess, type PullOptions as PulledOptions } from './pulled-access.js';
import { renderAccessModule, type DrizzleTables } from './render-access-module.js';
import { unpulledDiagnostics } from './unpulled.js';

export interface PullOptions extends PulledOptions, DiscoveryOptions {
  /** Write Drizzle tables by their exported names, imported from their module (see DrizzleTables; the CLI's --drizzle builds it). */
  readonly drizzle?: DrizzleTables;
}

const PULL_KEYS = [...DISCOVERY_KEYS, 'manageRoles', 'drizzle'];

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
  if (options.manageRoles !== undefined && typeof options.manageRoles !== 'boolean') {
    throw new PgAccessError('INVALID_OPTIONS', `pull({ manageRoles }) must be true or false, got ${JSON.stringify(options.manageRoles)}.`);
  }
  const { catalog, found } = await readDiscovered(db, options, 'pull()');
  const access = pulledAccess(catalog, found, options);
  return { source: renderAccessModule(access, options.drizzle), access, diagnostics: unpulledDiagnostics(found, catalog) };
}
