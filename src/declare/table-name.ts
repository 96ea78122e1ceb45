import type { QualifiedName } from '../model/qualified-name.js';

/**
 * Parses 'schema.table' or 'table' (unqualified means public). Each part is
 * taken exactly as written (no case folding: pg-access names objects as the
 * catalogs spell them); a part containing a dot is written in double quotes,
 * e.g. '"my.schema".events'. Returns null for text that is not a name.
 */
export function parseTableName(text: string): QualifiedName | null {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let part = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return null;
        if (text[i] === '"' && text[i + 1] === '"') (part += '"', (i += 2));
        else if (text[i] === '"') {
          i++;
          break;
        } else part += text[i++];
      }
    } else {
      const dot = text.indexOf('.', i);
      const stop = dot < 0 ? text.length : dot;
      part = text.slice(i, stop);
      i = stop;
    }
    if (part === '') return null;
    parts.push(part);
    if (i === text.length) break;
    if (text[i] !== '.') return null;
    i++;
  }
  if (parts.length === 1) return { schema: 'public', name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  return null;
}
