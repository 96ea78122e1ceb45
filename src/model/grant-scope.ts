import type { Scope } from './access-state.js';
import { objectKey, relationKey, targetKey, type Grant, type GrantTarget } from './grant.js';

/**
 * Answers, for one ACL entry, whether pg-access manages it (may revoke it)
 * and whether a declared grant there is add-only (never revoked, its grant
 * option never taken away). Built once per plan; lookups are O(1).
 */
export interface GrantScope {
  inScope(g: Grant): boolean;
  addOnly(target: GrantTarget, grantee: string): boolean;
}

/**
 * Where PostgreSQL itself gives PUBLIC privileges: EXECUTE on functions,
 * CONNECT and TEMPORARY on databases, and, through the built-in global
 * default privileges, EXECUTE on functions and USAGE on types created later.
 * There PUBLIC's entry is only managed when the declaration says
 * revokeFromPublic; elsewhere PUBLIC is a grantee like any other.
 */
function publicByDefault(target: GrantTarget): boolean {
  if (target.kind === 'function' || target.kind === 'database') return true;
  return target.kind === 'default' && target.schema === null && (target.objects === 'functions' || target.objects === 'types');
}

export function grantScope(scope: Scope): GrantScope {
  const grantees = new Set(scope.grantees);
  const schemas = new Set(scope.schemas);
  const grantOnlySchemas = new Set(scope.grantOnlySchemas);
  // Keyed like targetKey, which is computed once per target object: no key is built per entry.
  const tables = new Set(scope.tables.map((t) => relationKey('table', t.schema, t.name)));
  const ownedSequences = new Set(scope.sequences.map((s) => relationKey('sequence', s.schema, s.name)));
  const declaredSequences = new Set(scope.declaredSequences.map((s) => relationKey('sequence', s.schema, s.name)));
  const others = new Set(scope.otherTargets);
  const publicControlled = new Set(scope.publicControlled);
  const whereDeclared = new Map(Object.entries(scope.grantedWhereDeclared ?? {}).map(([role, keys]) => [role, new Set(keys)]));

  const publicUnmanaged = (target: GrantTarget, grantee: string) => grantee === 'public' && publicByDefault(target) && !publicControlled.has(targetKey(target));

  return {
    inScope(g) {
      // revokeFromPublic makes PUBLIC a managed grantee of that one object,
      // even when nothing is granted to PUBLIC anywhere.
      const managedGrantee = grantees.has(g.grantee) || (g.grantee === 'public' && publicControlled.has(targetKey(g.target)));
      if (!managedGrantee || publicUnmanaged(g.target, g.grantee)) return false;
      // A where-declared role is managed only on the objects where the declaration grants it something.
      const declaredOn = whereDeclared.get(g.grantee);
      if (declaredOn && !declaredOn.has(objectKey(g.target))) return false;
      const t = g.target;
      switch (t.kind) {
        case 'schema':
          return schemas.has(t.name) || grantOnlySchemas.has(t.name);
        case 'table':
          return tables.has(targetKey(t));
        case 'column':
          return tables.has(relationKey('table', t.schema, t.table));
        case 'sequence': {
          const key = targetKey(t);
          // For owned sequences only USAGE is managed (what an INSERT into a
          // serial column needs); their other privileges are left alone.
          return declaredSequences.has(key) || (g.privilege === 'USAGE' && ownedSequences.has(key));
        }
        case 'function':
        case 'database':
        case 'default':
          return others.has(targetKey(t));
      }
    },
    addOnly(target, grantee) {
      return (target.kind === 'schema' && !schemas.has(target.name)) || publicUnmanaged(target, grantee);
    },
  };
}
