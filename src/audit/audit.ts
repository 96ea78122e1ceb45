import { checkOptionKeys } from '../declare/option-keys.js';
import type { Queryable } from '../driver/queryable.js';
import { DISCOVERY_KEYS, readDiscovered, type DiscoveryOptions } from '../introspect/read-discovered.js';
import { effectiveAccess, type EffectiveAccess } from './effective-access.js';

export type AuditOptions = DiscoveryOptions;

export interface AuditResult extends EffectiveAccess {
  readonly database: string;
  readonly serverVersionNum: number;
  readonly schemas: readonly string[];
}

const AUDIT_KEYS = [...DISCOVERY_KEYS];

/**
 * The effective access matrix of a database: every role and PUBLIC × every
 * table and view of the selected schemas × SELECT, INSERT, UPDATE, DELETE,
 * TRUNCATE (see effective-access). Read-only, as plan: one read-only
 * transaction, ACCESS SHARE at most.
 */
export async function audit(db: Queryable, options: AuditOptions = {}): Promise<AuditResult> {
  checkOptionKeys('audit()', options, AUDIT_KEYS);
  const { catalog, found } = await readDiscovered(db, options, 'audit()');
  return { database: catalog.server.database, serverVersionNum: catalog.server.versionNum, schemas: found.schemas, ...effectiveAccess(catalog) };
}
