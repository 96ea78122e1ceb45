import { describe, expect, it } from 'vitest';
import { expandPrivileges, impliedSequenceUsage, schemaUsageNeeds, type SchemaUsageFacts } from './grant-rules.js';

describe('expandPrivileges', () => {
  it('expands ALL to the server version’s list, MAINTAIN only from 17', () => {
    expect(expandPrivileges(['ALL'], 'table', 160000).privileges).toEqual(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']);
    expect(expandPrivileges(['ALL'], 'table', 170000).privileges).toContain('MAINTAIN');
    expect(expandPrivileges(['SELECT', 'MAINTAIN'], 'table', 160000)).toEqual({ privileges: ['SELECT'], unsupported: ['MAINTAIN'] });
    expect(expandPrivileges(['MAINTAIN'], 'table', 170000)).toEqual({ privileges: ['MAINTAIN'], unsupported: [] });
  });

  it('keeps the first occurrence of each privilege', () => {
    expect(expandPrivileges(['UPDATE', 'ALL', 'SELECT'], 'column', 150000).privileges).toEqual(['UPDATE', 'SELECT', 'INSERT', 'REFERENCES']);
  });
});

describe('impliedSequenceUsage', () => {
  it('gives every inserter USAGE except the sequence’s owner', () => {
    expect(impliedSequenceUsage(new Set(['app', 'owner', 'public']), 'owner')).toEqual(['app', 'public']);
  });
});

describe('schemaUsageNeeds', () => {
  const facts = (over: Partial<SchemaUsageFacts>): SchemaUsageFacts => ({
    grantees: new Set(['app']),
    owner: 'owner',
    declared: false,
    impliedGrants: true,
    declaredUsage: new Set(),
    held: [],
    publicManaged: false,
    ...over,
  });
  const usage = (grantee: string) => ({ grantee, privilege: 'USAGE', grantable: false });

  it('implies USAGE on an undeclared schema, except for its owner', () => {
    expect(schemaUsageNeeds(facts({ grantees: new Set(['app', 'owner']) }))).toEqual({ implied: ['app'], inert: [] });
  });

  it('implies nothing where PUBLIC holds USAGE and is not managed there', () => {
    expect(schemaUsageNeeds(facts({ held: [usage('public')] }))).toEqual({ implied: [], inert: [] });
    // Declared, with PUBLIC managed by the declaration: PUBLIC's current USAGE no longer counts.
    expect(schemaUsageNeeds(facts({ declared: true, publicManaged: true, held: [usage('public')] }))).toEqual({ implied: [], inert: ['app'] });
  });

  it('never widens a declared schema: a grantee without declared USAGE is inert', () => {
    expect(schemaUsageNeeds(facts({ declared: true }))).toEqual({ implied: [], inert: ['app'] });
    expect(schemaUsageNeeds(facts({ declared: true, declaredUsage: new Set(['app']) }))).toEqual({ implied: [], inert: [] });
    // Declared USAGE for PUBLIC covers every grantee.
    expect(schemaUsageNeeds(facts({ declared: true, declaredUsage: new Set(['public']), grantees: new Set(['app', 'other']) }))).toEqual({ implied: [], inert: [] });
  });

  it('with implied grants off, leaves an undeclared schema alone and names only grantees holding nothing', () => {
    expect(schemaUsageNeeds(facts({ impliedGrants: false, grantees: new Set(['app', 'reader']), held: [usage('reader')] }))).toEqual({ implied: [], inert: ['app'] });
  });

  it('a grant to PUBLIC on an undeclared schema implies USAGE for PUBLIC, which covers the other grantees', () => {
    expect(schemaUsageNeeds(facts({ grantees: new Set(['public', 'app']) }))).toEqual({ implied: ['public'], inert: [] });
  });
});
