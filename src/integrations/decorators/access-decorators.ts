/**
 * Access declared on entity classes, for the decorator-based ORMs (TypeORM,
 * MikroORM):
 *
 *   @Entity('documents')
 *   @EnableRls()
 *   @GrantPermissions(['SELECT', 'INSERT'], { to: 'app_user' })
 *   @RlsPolicy<Document>({ name: 'own', to: 'app_user', using: (t) => `${t.ownerId} = ...` })
 *   class Document { ... }
 *
 * Each decorator works as a TypeScript `experimentalDecorators` class
 * decorator and as a TC39 one (both receive the class first). It records
 * the declaration on the class, and nothing else: which table the class is,
 * and its columns' names, come from the ORM's own metadata when
 * typeormAccess(dataSource) / mikroOrmAccess(orm) reads them.
 */
import { grant, policy } from '../../declare/builders.js';
import type { ColumnMap, GrantDeclaration, PolicyDeclaration, PolicyOptions } from '../../declare/declarations.js';

export interface EntityAccess {
  rls?: true | 'force';
  readonly policies: PolicyDeclaration[];
  readonly grants: GrantDeclaration[];
}

// Class → its declarations, in the order the decorators ran (bottom up).
const declared = new Map<Function, EntityAccess>();

type ClassDecorator = (target: Function, context?: unknown) => void;

function onClass(update: (access: EntityAccess) => void): ClassDecorator {
  return (target, context) => {
    if (typeof target !== 'function' || (context !== undefined && (context as { kind?: unknown }).kind !== 'class')) {
      throw new TypeError('pg-access entity decorators (@EnableRls, @ForceRls, @RlsPolicy, @GrantPermissions) go on classes.');
    }
    let access = declared.get(target);
    if (!access) declared.set(target, (access = { policies: [], grants: [] }));
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

/** GRANT on the entity's table, as grant(privileges, { to }). */
export function GrantPermissions(privileges: string | readonly string[], options: Parameters<typeof grant>[1]): ClassDecorator {
  const declaration = grant(privileges, options);
  return onClass((a) => void a.grants.unshift(declaration));
}

/** The classes carrying declarations, with them. */
export function decoratedEntities(): ReadonlyMap<Function, EntityAccess> {
  return declared;
}
