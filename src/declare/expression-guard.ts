import type { TextPool } from '../model/text-pool.js';

/**
 * A lexical check that a declared USING / WITH CHECK text is one expression
 * that cannot break out of the parentheses pg-access wraps it in: balanced
 * parentheses outside strings, quoted identifiers, dollar quotes and comments,
 * no statement separator, nothing left unterminated. PostgreSQL then judges
 * the expression itself (see introspect/normalize-expressions), and what
 * pg-access finally emits is PostgreSQL's own deparse of it.
 *
 * Returns a description of the problem, or null when the text is safe to wrap.
 */
export function expressionProblem(text: string): string | null {
  if (text.trim() === '') return 'the expression is empty';
  if (text.includes('\0')) return 'the expression contains a NUL byte';
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      let nesting = 1;
      i += 2;
      while (i < n && nesting > 0) {
        if (text[i] === '/' && text[i + 1] === '*') (nesting++, (i += 2));
        else if (text[i] === '*' && text[i + 1] === '/') (nesting--, (i += 2));
        else i++;
      }
      if (nesting > 0) return 'a /* comment */ is not closed';
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(text[i - 1]!) && (i < 2 || !/[\w$]/.test(text[i - 2]!));
      i++;
      let closed = false;
      while (i < n) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") {
          closed = true;
          i++;
          break;
        } else i++;
      }
      if (!closed) return 'a string literal is not closed';
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < n) {
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i] === '"') {
          closed = true;
          i++;
          break;
        } else i++;
      }
      if (!closed) return 'a quoted identifier is not closed';
    } else if (c === '$' && (i === 0 || !/[\w$]/.test(text[i - 1]!))) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        if (end < 0) return `a dollar-quoted string ${tag[0]} is not closed`;
        i = end + tag[0].length;
      } else i++;
    } else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      if (--depth < 0) return 'it closes a parenthesis it never opened';
      i++;
    } else if (c === ';') {
      return 'it contains a ";" (an expression cannot end a statement)';
    } else i++;
  }
  if (depth > 0) return 'a parenthesis is not closed';
  return null;
}

/** A declared text after the guard: the pooled text when safe to wrap, or what is wrong with it. */
export type GuardedText = string | { readonly problem: string };

/**
 * expressionProblem for one plan's declared texts, judged once per distinct
 * text (tables repeat theirs word for word: at 10,000 tables the scan of
 * 60,000 texts was a tenth of collecting the declaration), each safe text
 * trimmed and pooled. Lives as long as the pool: one plan step.
 */
export function guardedTexts(pool: TextPool): (text: string) => GuardedText {
  const seen = new Map<string, GuardedText>();
  return (text) => {
    let guarded = seen.get(text);
    if (guarded === undefined) {
      const problem = expressionProblem(text);
      guarded = problem === null ? pool(text.trim()) : { problem };
      seen.set(text, guarded);
    }
    return guarded;
  };
}
