/**
 * Access declared on entity classes, for the decorator-based ORMs (TypeORM,
 * MikroORM):
 *
 *   @Entity('documents')
 *   @EnableRls()
 *   @GrantPermissions(['SELECT', 'INSERT'], { to: 'app_user' })
 *   @RlsPolicy<Document>({ name: 'own', to: 'app_user', using: (t) => `${t.ownerId} = ...` })
 *   @RlsTemplate<Document>((t) => tenantIsolation([t], { column: 'tenantId', setting: 'app.tenant_id' }))
 *   class Document { ... }
 *
 * Each decorator works as a TypeScript `experimentalDecorators` class
 * decorator and as a TC39 one (both receive the class first). It records
 * the declaration on the class, and nothing else: which table the class is,
 * and its columns' names, come from the ORM's own metadata when
 * typeormAccess(dataSource) / mikroOrmAccess(orm) reads them.
 */
import { grant, policy } from '../../declare/builders.js';
import type { ColumnMap, GrantDeclaration, PolicyDeclaration, PolicyOptions, TableDeclaration } from '../../declare/declarations.js';

export interface EntityAccess {
  rls?: true | 'force';
  readonly policies: PolicyDeclaration[];
  readonly grants: GrantDeclaration[];
  /** @RlsTemplate functions: each gets the entity's table and returns what a template returns. */
  readonly templates: EntityTemplate<any>[];
}

/** A template applied to an entity: gets its table (columns typed by the entity's properties), returns table declarations. */
export type EntityTemplate<E> = (table: TableDeclaration<ColumnMap<E>>) => TableDeclaration<any> | readonly TableDeclaration<any>[];

// Class → its declarations, in the order the decorators ran (bottom up).
const declared = new Map<Function, EntityAccess>();

type ClassDecorator = (target: Function, context?: unknown) => void;

function onClass(update: (access: EntityAccess) => void): ClassDecorator {
  return (target, context) => {
    if (typeof target !== 'function' || (context !== undefined && (context as { kind?: unknown }).kind !== 'class')) {
      throw new TypeError('pg-access entity decorators (@EnableRls, @ForceRls, @RlsPolicy, @GrantPermissions) go on classes.');
    }
    let access = declared.get(target);
    if (!access) declared.set(target, (access = { policies: [], grants: [], templates: [] }));
    update(access);
  };
}

/** ENABLE ROW LEVEL SECURITY on the entity's table. */
export function EnableRls(): ClassDecorator {
  return onClass((a) => void (a.rls ??= true));
}

/** ENABLE and FORCE ROW LEVEL SECURITY (for tables the application role owns). */
export function ForceRls(): ClassDecorator {
  return onClass((a) => void (a.rls = 'force'));
}

/** A policy on the entity's table; `using`/`withCheck` callbacks get the entity's properties as column names. */
export function RlsPolicy<E = any>(options: PolicyOptions<ColumnMap<E>> & { readonly name: string }): ClassDecorator {
  const { name, ...rest } = options;
  const declaration = policy<ColumnMap<E>>(name, rest);
  return onClass((a) => void a.policies.unshift(declaration));
}

/**
 * A template (ownerOnly, tenantIsolation, ...) applied to the entity's
 * table, its column keys typed by the entity's properties:
 *
 *   @RlsTemplate<Document>((t) => ownerOnly(t, { column: 'ownerId', setting: 'app.user_id', to: 'app_user' }))
 */
export function RlsTemplate<E = any>(template: EntityTemplate<E>): ClassDecorator {
  if (typeof template !== 'function') throw new TypeError('@RlsTemplate takes a function of the entity\'s table, e.g. @RlsTemplate<Doc>((t) => ownerOnly(t, { column: \'ownerId\', ... })).');
  return onClass((a) => void a.templates.unshift(template));
}

/** GRANT on the entity's table, as grant(privileges, { to }). */
export function GrantPermissions(privileges: string | readonly string[], options: Parameters<typeof grant>[1]): ClassDecorator {
  const declaration = grant(privileges, options);
  return onClass((a) => void a.grants.unshift(declaration));
}

/** The classes carrying declarations, with them. */
export function decoratedEntities(): ReadonlyMap<Function, EntityAccess> {
  return declared;
}
