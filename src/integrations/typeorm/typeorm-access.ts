/**
 * TypeORM entities as tables: typeormAccess(dataSource) reads the entity
 * metadata TypeORM builds (its naming strategy applied; no connection is
 * opened) and returns a table(...) for each entity class that carries
 * pg-access decorators, its columns named by their properties. A decorated
 * class the DataSource does not know is an error naming the class.
 */
import type { TableDeclaration } from '../../declare/declarations.js';
import { quoteIdent } from '../../render/sql/quote.js';
import { decoratedTables, entityTableSource, type EntityTable } from '../decorators/entity-tables.js';

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

export async function typeormAccess(dataSource: TypeormDataSourceLike): Promise<TableDeclaration[]> {
  const defaultSchema = (dataSource.options as { schema?: string }).schema ?? 'public';
  const known = new Map<unknown, EntityTable>(
    (await entityMetadatas(dataSource)).map((meta) => [
      meta.target,
      { entity: meta.name, schema: meta.schema ?? defaultSchema, name: meta.tableName, columns: Object.fromEntries(meta.columns.map((c) => [c.propertyPath, quoteIdent(c.databaseName)])) },
    ]),
  );
  return decoratedTables(TYPEORM_ENTITY, known, 'of this DataSource');
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

export const typeormSource = entityTableSource('typeorm', TYPEORM_ENTITY, 'TypeORM');
