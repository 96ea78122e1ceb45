/**
 * MikroORM entities as tables: mikroOrmAccess(orm) reads the metadata
 * MikroORM discovered (`MikroORM.init({ connect: false, ... })` reads it
 * without a connection; its naming strategy applied) and returns a
 * table(...) for each entity class that carries pg-access decorators, its
 * columns named by their properties. A decorated class MikroORM does not
 * know is an error naming the class.
 */
import { table } from '../../declare/builders.js';
import type { TableDeclaration } from '../../declare/declarations.js';
import type { TableSource } from '../../declare/table-source.js';
import { PgAccessError } from '../../errors.js';
import { quoteIdent } from '../../render/sql/quote.js';
import { decoratedEntities } from '../decorators/access-decorators.js';

const MIKRO_ORM_ENTITY = Symbol.for('pg-access:MikroOrmEntity');

/** The parts of MikroORM's EntityMetadata read here. */
interface EntityMetadataLike {
  readonly class: unknown;
  readonly className: string;
  readonly tableName: string;
  readonly schema?: string;
  readonly properties: Readonly<Record<string, { readonly name: string; readonly fieldNames?: readonly string[] }>>;
}

/** The parts of a MikroORM instance read here. */
export interface MikroOrmLike {
  getMetadata(): { getAll(): Readonly<Record<string, EntityMetadataLike>> };
  readonly config: { get(key: 'schema'): string | undefined };
}

interface MikroOrmTable {
  readonly [MIKRO_ORM_ENTITY]: true;
  readonly entity: string;
  readonly schema: string;
  readonly name: string;
  readonly columns: Readonly<Record<string, string>>;
}

export async function mikroOrmAccess(orm: MikroOrmLike): Promise<TableDeclaration[]> {
  const byClass = new Map(Object.values(orm.getMetadata().getAll()).map((m) => [m.class, m]));
  const unknown = [...decoratedEntities().keys()].filter((cls) => !byClass.has(cls));
  if (unknown.length) {
    throw new PgAccessError(
      'ENTITY_UNKNOWN',
      `${unknown.map((c) => `class ${c.name}`).join(', ')} ${unknown.length > 1 ? 'carry' : 'carries'} pg-access decorators but ${unknown.length > 1 ? 'are not entities' : 'is not an entity'} MikroORM discovered: add ${unknown.length > 1 ? 'them' : 'it'} to its entities (with @Entity()), or remove the decorators.`,
    );
  }
  const tables: TableDeclaration[] = [];
  for (const [cls, access] of decoratedEntities()) {
    const meta = byClass.get(cls)!;
    // A property with one column (a scalar, or a to-one relation's foreign key); collections have none.
    const columns = Object.fromEntries(
      Object.values(meta.properties)
        .filter((p) => p.fieldNames?.length === 1)
        .map((p) => [p.name, quoteIdent(p.fieldNames![0]!)]),
    );
    const described: MikroOrmTable = { [MIKRO_ORM_ENTITY]: true, entity: meta.className, schema: meta.schema ?? orm.config.get('schema') ?? 'public', name: meta.tableName, columns };
    tables.push(table(described, { ...(access.rls ? { rls: access.rls } : {}), policies: access.policies, grants: access.grants }));
  }
  return tables;
}

export const mikroOrmSource: TableSource = {
  name: 'mikro-orm',
  recognizes: (value) => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MIKRO_ORM_ENTITY] === true,
  describe(value) {
    const t = value as MikroOrmTable;
    const columns = new Proxy(t.columns, {
      get(target, key) {
        if (typeof key !== 'string') return undefined;
        if (!Object.hasOwn(target, key)) throw new Error(`entity ${t.entity} has no column property ${JSON.stringify(key)}; its columns are ${Object.keys(target).join(', ')}`);
        return target[key];
      },
    });
    return { schema: t.schema, name: t.name, columns };
  },
  label: (value) => `MikroORM entity ${(value as MikroOrmTable).entity}`,
};
