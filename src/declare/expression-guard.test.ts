import { describe, expect, it } from 'vitest';
import { expressionProblem } from './expression-guard.js';
import { parseTableName } from './table-name.js';

describe('expressionProblem', () => {
  it.each([
    'owner_id = 1',
    "name = 'it''s (not) a paren'",
    'a = 1 -- comment with ) and ;',
    '/* nested /* comment ) */ still */ true',
    "body = $tag$ ; ) ( $tag$",
    "x = E'\\' ) '",
    '"weird ) column" = 2',
    'f((1), (2))',
    "price = $1", // a lone $1 is left to PostgreSQL to reject
  ])('accepts %s', (text) => expect(expressionProblem(text)).toBeNull());

  it.each([
    ['', 'empty'],
    ['true) WITH CHECK (true', 'closes a parenthesis'],
    ['true; DROP TABLE x', '";"'],
    ['(true', 'not closed'],
    ["'abc", 'string literal'],
    ['"abc', 'quoted identifier'],
    ['/* abc', 'comment'],
    ['$x$ abc', 'dollar-quoted'],
    ["E'\\'", 'string literal'],
  ])('rejects %s', (text, reason) => expect(expressionProblem(text)).toContain(reason));
});

describe('parseTableName', () => {
  it.each([
    ['documents', { schema: 'public', name: 'documents' }],
    ['app.documents', { schema: 'app', name: 'documents' }],
    ['"my.schema"."odd ""name"""', { schema: 'my.schema', name: 'odd "name"' }],
    ['Mixed.Case', { schema: 'Mixed', name: 'Case' }],
  ])('%s', (text, expected) => expect(parseTableName(text)).toEqual(expected));

  it.each(['', 'a.b.c', '.x', 'x.', '"unterminated', '"a"b'])('rejects %s', (text) => expect(parseTableName(text)).toBeNull());
});
