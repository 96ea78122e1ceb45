/**
 * What the decorator-based front ends (TypeORM, MikroORM) share once each
 * has read its ORM's metadata: the decorated classes as table(...)
 * declarations, a decorated class the ORM does not know as an error naming
 * it, and the table source for their branded table objects, whose columns
 * are the entity's properties (an unknown one is an error naming it).
 */
import { table } from '../../declare/builders.js';
import type { TableDeclaration } from '../../declare/declarations.js';
import type { TableSource } from '../../declare/table-source.js';
import { PgAccessError } from '../../errors.js';
import { decoratedEntities } from './access-decorators.js';

/** An entity as its ORM's metadata names it: property → quoted column name. */
export interface EntityTable {
  readonly entity: string;
  readonly schema: string;
  readonly name: string;
  readonly columns: Readonly<Record<string, string>>;
}

/** table(...) for each decorated class, described by `known` (class → its table); `unknownHint` ends the error for a class it lacks. */
export function decoratedTables(brand: symbol, known: ReadonlyMap<unknown, EntityTable>, unknownHint: string): TableDeclaration[] {
  const unknown = [...decoratedEntities().keys()].filter((cls) => !known.has(cls));
  if (unknown.length) {
    const many = unknown.length > 1;
    throw new PgAccessError(
      'ENTITY_UNKNOWN',
      `${unknown.map((c) => `class ${c.name}`).join(', ')} ${many ? 'carry' : 'carries'} pg-access decorators but ${many ? 'are not entities' : 'is not an entity'} ${unknownHint}: add ${many ? 'them' : 'it'} to its entities (with @Entity()), or remove the decorators.`,
    );
  }
  return [...decoratedEntities()].flatMap(([cls, access]) => {
    const entity = { [brand]: true, ...known.get(cls)! };
    // Templates add entries for the same table object; entries of one table merge.
    const templated = access.templates.flatMap((template) => template(table(entity) as TableDeclaration<any>));
    return [table(entity, { ...(access.rls ? { rls: access.rls } : {}), policies: access.policies, grants: access.grants }), ...templated];
  });
}

/** The table source of one ORM's branded entity tables. */
export function entityTableSource(name: string, brand: symbol, ormLabel: string): TableSource {
  return {
    name,
    recognizes: (value) => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true,
    describe(value) {
      const t = value as EntityTable;
      const columns = new Proxy(t.columns, {
        get(target, key) {
          if (typeof key !== 'string') return undefined;
          if (!Object.hasOwn(target, key)) throw new Error(`entity ${t.entity} has no column property ${JSON.stringify(key)}; its columns are ${Object.keys(target).join(', ')}`);
          return target[key];
        },
      });
      return { schema: t.schema, name: t.name, columns };
    },
    label: (value) => `${ormLabel} entity ${(value as EntityTable).entity}`,
  };
}
