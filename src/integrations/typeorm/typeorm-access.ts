/**
 * TypeORM entities as tables: typeormAccess(dataSource) reads the entity
 * metadata TypeORM builds (its naming strategy applied; no connection is
 * opened) and returns a table(...) for each entity class that carries
 * pg-access decorators, its columns named by their properties. A decorated
 * class the DataSource does not know is an error naming the class.
 */
import { table } from '../../declare/builders.js';
import type { TableDeclaration } from '../../declare/declarations.js';
import type { TableSource } from '../../declare/table-source.js';
import { PgAccessError } from '../../errors.js';
import { quoteIdent } from '../../render/sql/quote.js';
import { decoratedEntities } from '../decorators/access-decorators.js';

const TYPEORM_ENTITY = Symbol.for('pg-access:TypeormEntity');

/** The parts of TypeORM's EntityMetadata read here. */
interface EntityMetadataLike {
  readonly target: unknown;
  readonly name: string;
  readonly tableName: string;
  readonly schema?: string;
  readonly columns: readonly { readonly propertyPath: string; readonly databaseName: string }[];
}

/** The parts of a TypeORM DataSource read here. */
export interface TypeormDataSourceLike {
  readonly entityMetadatas: readonly EntityMetadataLike[];
  readonly options: object;
}

interface TypeormTable {
  readonly [TYPEORM_ENTITY]: true;
  readonly entity: string;
  readonly schema: string;
  readonly name: string;
  readonly columns: Readonly<Record<string, string>>;
}

export async function typeormAccess(dataSource: TypeormDataSourceLike): Promise<TableDeclaration[]> {
  const byTarget = new Map((await entityMetadatas(dataSource)).map((m) => [m.target, m]));
  const unknown = [...decoratedEntities().keys()].filter((cls) => !byTarget.has(cls));
  if (unknown.length) {
    throw new PgAccessError(
      'ENTITY_UNKNOWN',
      `${unknown.map((c) => `class ${c.name}`).join(', ')} ${unknown.length > 1 ? 'carry' : 'carries'} pg-access decorators but ${unknown.length > 1 ? 'are not entities' : 'is not an entity'} of this DataSource: add ${unknown.length > 1 ? 'them' : 'it'} to its entities (with @Entity()), or remove the decorators.`,
    );
  }
  const tables: TableDeclaration[] = [];
  for (const [cls, access] of decoratedEntities()) {
    const meta = byTarget.get(cls)!;
    const described: TypeormTable = {
      [TYPEORM_ENTITY]: true,
      entity: meta.name,
      schema: meta.schema ?? (dataSource.options as { schema?: string }).schema ?? 'public',
      name: meta.tableName,
      columns: Object.fromEntries(meta.columns.map((c) => [c.propertyPath, quoteIdent(c.databaseName)])),
    };
    tables.push(table(described, { ...(access.rls ? { rls: access.rls } : {}), policies: access.policies, grants: access.grants }));
  }
  return tables;
}

/**
 * The entity metadata initialize() builds, without a connection: the same
 * (protected) step, on a DataSource of the same class and options but no
 * migrations or subscribers, which that step would import too (a project's
 * migrations folder of TypeScript files, say) and which are not ours to load.
 */
async function entityMetadatas(dataSource: TypeormDataSourceLike): Promise<readonly EntityMetadataLike[]> {
  if (dataSource.entityMetadatas.length > 0) return dataSource.entityMetadatas;
  const DataSourceClass = (dataSource as unknown as { constructor: new (options: object) => TypeormDataSourceLike & { buildMetadatas(): Promise<void> } }).constructor;
  const entitiesOnly = new DataSourceClass({ ...dataSource.options, migrations: [], subscribers: [] });
  await entitiesOnly.buildMetadatas();
  return entitiesOnly.entityMetadatas;
}

export const typeormSource: TableSource = {
  name: 'typeorm',
  recognizes: (value) => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TYPEORM_ENTITY] === true,
  describe(value) {
    const t = value as TypeormTable;
    const columns = new Proxy(t.columns, {
      get(target, key) {
        if (typeof key !== 'string') return undefined;
        if (!Object.hasOwn(target, key)) throw new Error(`entity ${t.entity} has no column property ${JSON.stringify(key)}; its columns are ${Object.keys(target).join(', ')}`);
        return target[key];
      },
    });
    return { schema: t.schema, name: t.name, columns };
  },
  label: (value) => `TypeORM entity ${(value as TypeormTable).entity}`,
};
