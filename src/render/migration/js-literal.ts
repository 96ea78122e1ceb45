/**
 * SQL inside JavaScript and TypeScript migration files, as template
 * literals so that a multi-line statement reads as SQL in review. Policy
 * texts and names can hold anything: a backslash, a backtick or `${` would
 * end the literal or run code, a carriage return would be read back as a
 * line feed, and a lone surrogate cannot be written as UTF-8. Each of those
 * is escaped; everything else is written as is. `String.raw` is no help: it
 * cannot hold a backtick or `${`.
 */
export function jsTemplateLiteral(text: string): string {
  let out = '`';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = text.charCodeAt(i);
    if (c === '\\' || c === '`') out += `\\${c}`;
    else if (c === '$' && text[i + 1] === '{') out += '\\$';
    else if (c === '\n' || c === '\t') out += c;
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) out += c + text[++i];
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16)}`;
    else out += c;
  }
  return `${out}\``;
}

/** A `//` comment per line: a line break in a name would end the comment and start code. */
export function jsComment(lines: readonly string[], indent = ''): string {
  return lines.map((line) => `${indent}//${line === '' ? '' : ` ${line.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`}`).join('\n');
}
