import { PgAccessError } from '../../errors.js';

/**
 * The one identifier-quoting function. Every identifier pg-access emits is
 * double-quoted, with embedded double quotes doubled, exactly as
 * PostgreSQL's quote_ident() does for names that need it. Always quoting is
 * never wrong: it keeps capitals, spaces, unicode and reserved words (`user`)
 * intact and cannot be escaped from.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) {
    throw new PgAccessError('INVALID_IDENTIFIER', `Identifier ${JSON.stringify(name)} contains a NUL byte, which PostgreSQL does not allow.`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"` */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A string literal. pg-access requires standard_conforming_strings = on (the
 * default since PostgreSQL 9.1), where a backslash is an ordinary character;
 * with it off the E'' form is used so the text still means the same.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) {
    throw new PgAccessError('INVALID_LITERAL', 'String literals cannot contain a NUL byte in PostgreSQL.');
  }
  const doubled = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}

/** PostgreSQL truncates identifiers to NAMEDATALEN-1 = 63 bytes (UTF-8). */
export const MAX_IDENTIFIER_BYTES = 63;

export function identifierBytes(name: string): number {
  return Buffer.byteLength(name, 'utf8');
}

/** The name PostgreSQL stores for a longer one: its first 63 bytes, cut before a character that would not fit whole (as pg_mbcliplen does). */
export function truncatedIdentifier(name: string): string {
  let bytes = 0;
  let end = 0;
  for (const ch of name) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > MAX_IDENTIFIER_BYTES) break;
    bytes += size;
    end += ch.length;
  }
  return name.slice(0, end);
}
