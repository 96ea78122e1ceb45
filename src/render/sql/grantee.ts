import { isPublic, type Grantee } from '../../model/grantee.js';
import { quoteIdent } from './quote.js';

/** PUBLIC is a keyword, not an identifier: `TO PUBLIC`, never `TO "public"`. */
export function renderGrantee(grantee: Grantee): string {
  return isPublic(grantee) ? 'PUBLIC' : quoteIdent(grantee);
}
