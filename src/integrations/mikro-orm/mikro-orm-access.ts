/**
 * MikroORM entities as tables: mikroOrmAccess(orm) reads the metadata
 * MikroORM discovered (`MikroORM.init({ connect: false, ... })` reads it
 * without a connection; its naming strategy applied) and returns a
 * table(...) for each entity class that carries pg-access decorators, its
 * columns named by their properties. A decorated class MikroORM does not
 * know is an error naming the class.
 */
import type { TableDeclaration } from '../../declare/declarations.js';
import { quoteIdent } from '../../render/sql/quote.js';
import { decoratedTables, entityTableSource, type EntityTable } from '../decorators/entity-tables.js';

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

export async function mikroOrmAccess(orm: MikroOrmLike): Promise<TableDeclaration[]> {
  const defaultSchema = orm.config.get('schema') ?? 'public';
  const known = new Map<unknown, EntityTable>(
    Object.values(orm.getMetadata().getAll()).map((meta) => [
      meta.class,
      {
        entity: meta.className,
        schema: meta.schema ?? defaultSchema,
        name: meta.tableName,
        // A property with one column (a scalar, or a to-one relation's foreign key); collections have none.
        columns: Object.fromEntries(
          Object.values(meta.properties)
            .filter((p) => p.fieldNames?.length === 1)
            .map((p) => [p.name, quoteIdent(p.fieldNames![0]!)]),
        ),
      },
    ]),
  );
  return decoratedTables(MIKRO_ORM_ENTITY, known, 'MikroORM discovered');
}

export const mikroOrmSource = entityTableSource('mikro-orm', MIKRO_ORM_ENTITY, 'MikroORM');
