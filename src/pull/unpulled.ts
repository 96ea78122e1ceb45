import type { CatalogSnapshot } from '../introspect/catalog-snapshot.js';
import type { DiscoveredObjects } from '../introspect/discover-objects.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { quoteIdent } from '../render/sql/quote.js';

/** pg_default_acl.defaclobjtype letters, as the kind of objects named in a message. */
const DEFAULT_OBJECTS: Record<string, string> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas' };

/**
 * What pull read but no declaration can say, as warnings: an owner that
 * revoked some of its own privileges (pg-access never manages an owner's
 * privileges, so the pulled module leaves it out, and applying that module to
 * another database leaves the owner every privilege), and FORCE ROW LEVEL
 * SECURITY on a table whose RLS is off (no effect; `rls: 'force'` also enables).
 */
export function unpulledDiagnostics(found: DiscoveredObjects, catalog: CatalogSnapshot): Diagnostic[] {
  const forcedOnly: Diagnostic[] = [...catalog.tables.values()]
    .filter((t) => t.rlsForced && !t.rlsEnabled)
    .map((t) => ({
      code: 'RLS_FORCED_NOT_PULLED',
      severity: 'warning',
      subject: `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`,
      message: `Table ${quoteIdent(t.schema)}.${quoteIdent(t.name)} has FORCE ROW LEVEL SECURITY while row-level security is disabled, which has no effect; a declaration cannot say it (rls: 'force' also enables RLS), so it is not pulled.`,
    }));
  return [...forcedOnly, ...found.ownerRevoked.map(({ kind, name, owner, privileges }): Diagnostic => {
    const what = kind === 'default privileges' ? `the default privileges of ${quoteIdent(owner)} on ${DEFAULT_OBJECTS[name] ?? name}` : `${kind} ${name}`;
    return {
      code: 'OWNER_PRIVILEGES_NOT_PULLED',
      severity: 'warning',
      subject: kind === 'default privileges' ? `default privileges of ${quoteIdent(owner)}` : `${kind} ${name}`,
      message:
        `The owner ${quoteIdent(owner)} has revoked ${privileges.join(', ')} on ${what} from itself. pg-access does not manage an owner's own privileges, ` +
        `so the pulled declaration does not say this: planning it here changes nothing, but applied to another database it leaves the owner every privilege. Keep that REVOKE in your table migrations if it matters.`,
    };
  })];
}
