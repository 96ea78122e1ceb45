import type { DiscoveredObjects } from '../introspect/discover-objects.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { quoteIdent } from '../render/sql/quote.js';

/** pg_default_acl.defaclobjtype letters, as the kind of objects named in a message. */
const DEFAULT_OBJECTS: Record<string, string> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas' };

/**
 * What pull read but no declaration can say, as warnings: an owner that
 * revoked some of its own privileges (pg-access never manages an owner's
 * privileges, so the pulled module leaves it out, and applying that module to
 * another database leaves the owner every privilege).
 */
export function unpulledDiagnostics(found: DiscoveredObjects): Diagnostic[] {
  return found.ownerRevoked.map(({ kind, name, owner, privileges }) => {
    const what = kind === 'default privileges' ? `the default privileges of ${quoteIdent(owner)} on ${DEFAULT_OBJECTS[name] ?? name}` : `${kind} ${name}`;
    return {
      code: 'OWNER_PRIVILEGES_NOT_PULLED',
      severity: 'warning',
      subject: kind === 'default privileges' ? `default privileges of ${quoteIdent(owner)}` : `${kind} ${name}`,
      message:
        `The owner ${quoteIdent(owner)} has revoked ${privileges.join(', ')} on ${what} from itself. pg-access does not manage an owner's own privileges, ` +
        `so the pulled declaration does not say this: planning it here changes nothing, but applied to another database it leaves the owner every privilege. Keep that REVOKE in your table migrations if it matters.`,
    };
  });
}
