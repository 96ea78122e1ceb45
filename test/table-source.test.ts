/**
 * The table-source seam (issue 12): the core collects tables of any
 * registered front end through the registry, never by importing one. A
 * front end written here (its tables branded with a symbol, camelCase keys
 * named snake_case in the database) plugs in as Drizzle does; a value no
 * source recognizes, or two claim, is an error naming it.
 */
import { describe, expect, it } from 'vitest';
import { defineAccess, policy, registerTableSource, RlsPolicy, table, type TableSource } from '../src/index.js';
import { collectStructure } from '../src/declare/collect-declaration.js';
import { entityTableSource } from '../src/integrations/decorators/entity-tables.js';

const BRAND = Symbol('test-orm:table');
interface TestModel {
  readonly [BRAND]: true;
  readonly entity: string;
  readonly columns: readonly string[];
}
const model = (entity: string, columns: string[]): TestModel => ({ [BRAND]: true, entity, columns });
const snake = (key: string) => key.replace(/(?<!^)[A-Z]/g, (c) => `_${c}`).toLowerCase();

let loads = 0;
const testSource: TableSource = {
  name: 'test-orm',
  recognizes: (value) => typeof value === 'object' && value !== null && BRAND in value,
  async load() {
    loads++;
  },
  describe(value) {
    const m = value as TestModel;
    const columns = Object.fromEntries(m.columns.map((key) => [key, `"${snake(key)}"`]));
    return {
      schema: 'app',
      name: snake(m.entity),
      columns: new Proxy(columns, {
        get: (target, key) => {
          if (typeof key === 'string' && !(key in target)) throw new Error(`${m.entity} has no column ${key}`);
          return target[key as string];
        },
      }),
      enableRls: true,
      policies: [policy('model_policy', { for: 'SELECT', to: 'test_role', using: 'true' })],
      roles: ['test_role'],
    };
  },
  label: (value) => (value as TestModel).entity,
};
registerTableSource(testSource);

describe('table sources', () => {
  it('collects a registered front end’s table: its names, its own RLS and policies, column references by the model’s keys', async () => {
    const documents = model('StoredDocument', ['id', 'ownerId']);
    const collected = await (
      await collectStructure(defineAccess({ roles: [], tables: [table(documents, { policies: [policy('own', { for: 'SELECT', to: 'test_role', using: (t) => `${(t as unknown as Record<string, string>).ownerId} = 1` })] })] }))
    ).withPolicies();
    const t = collected.tables[0]!;
    expect([t.schema, t.name, t.rls]).toEqual(['app', 'stored_document', true]);
    expect(t.policies.map((p) => [p.name, p.using])).toEqual([
      ['model_policy', 'true'],
      ['own', '"owner_id" = 1'],
    ]);
    expect(collected.roles).toContain('test_role');
    expect(loads).toBe(1);
  });

  it('a misspelt column is an error naming the model and the column', async () => {
    const staged = await collectStructure(defineAccess({ roles: [], tables: [table(model('Note', ['id']), { policies: [policy('own', { using: (t) => `${(t as unknown as Record<string, string>).ownrId} = 1` })] })] }));
    await expect(staged.withPolicies()).rejects.toMatchObject({ code: 'INVALID_DECLARATION', details: [expect.stringContaining('Note has no column ownrId')] });
  });

  it('a value no front end recognizes is an error naming it and the registered ones; a value two claim is refused', async () => {
    const unknown = await collectStructure(defineAccess({ roles: [], tables: [table({ tableName: 'documents' } as never)] }));
    await expect(unknown.withPolicies()).rejects.toMatchObject({ details: [expect.stringMatching(/is neither a 'schema\.table' string nor a table of a registered front end \(drizzle, prisma, typeorm, mikro-orm, test-orm\)/)] });
    registerTableSource({ ...testSource, name: 'test-orm-twin' });
    const claimed = await collectStructure(defineAccess({ roles: [], tables: [table(model('Twin', ['id']))] }));
    await expect(claimed.withPolicies()).rejects.toMatchObject({ details: [expect.stringContaining('is claimed by more than one table source (test-orm, test-orm-twin)')] });
    expect(() => registerTableSource(testSource)).toThrow(/already registered/);
  });

  it('entity decorators type their callbacks by the entity: a misspelt property is a compile error', () => {
    class Note {
      id!: number;
      authorId!: number;
    }
    const typed = () => [
      RlsPolicy<Note>({ name: 'mine', using: (t) => `${t.authorId} = 1` }),
      // @ts-expect-error authrId is not a property of Note
      RlsPolicy<Note>({ name: 'mine', using: (t) => `${t.authrId} = 1` }),
    ];
    expect(typed).toBeTypeOf('function');
  });

  it("a decorator ORM's entity table names its columns by property; an unknown property is an error naming the entity and its columns", async () => {
    const brand = Symbol('fake-orm');
    registerTableSource(entityTableSource('fake-orm', brand, 'Fake'));
    const note = { [brand]: true, entity: 'Note', schema: 'app', name: 'notes', columns: { authorId: '"author_id"' } };
    const ok = await (await collectStructure(defineAccess({ roles: [], tables: [table(note, { policies: [policy('p', { using: (t) => `${(t as unknown as Record<string, string>).authorId} = 1` })] })] }))).withPolicies();
    expect(ok.tables[0]!.policies[0]!.using).toBe('"author_id" = 1');
    const bad = await collectStructure(defineAccess({ roles: [], tables: [table(note, { policies: [policy('p', { using: (t) => `${(t as unknown as Record<string, string>).authrId} = 1` })] })] }));
    await expect(bad.withPolicies()).rejects.toMatchObject({ details: [expect.stringContaining('entity Note has no column property "authrId"; its columns are authorId')] });
  });
});
