import type { AccessState } from '../model/access-state.js';
import type { Grant, GrantTarget } from '../model/grant.js';
import { qualifiedKey } from '../model/qualified-name.js';
import type { Role } from '../model/role.js';
import type { AclEntry, CatalogRole, CatalogSnapshot } from './catalog-snapshot.js';

/** The catalog side of "two producers, one model". Owners' entries are already left out by the catalog queries. */
export function catalogToState(catalog: CatalogSnapshot): AccessState {
  const grants: Grant[] = [];
  const add = (target: GrantTarget, acl: readonly AclEntry[]) => {
    for (const e of acl) grants.push({ target, grantee: e.grantee, privilege: e.privilege, grantable: e.grantable });
  };
  for (const s of catalog.schemas.values()) add({ kind: 'schema', name: s.name }, s.acl);
  for (const t of catalog.tables.values()) {
    add({ kind: 'table', schema: t.schema, name: t.name }, t.acl);
    for (const e of t.columnAcl) add({ kind: 'column', schema: t.schema, table: t.name, column: e.column }, [e]);
    for (const q of t.sequences) add({ kind: 'sequence', schema: q.schema, name: q.name }, q.acl);
  }
  // A sequence both owned by a declared table and declared itself is read twice; keep one copy.
  const owned = new Set([...catalog.tables.values()].flatMap((t) => t.sequences.map(qualifiedKey)));
  for (const q of catalog.sequences.values()) {
    if (!owned.has(qualifiedKey(q))) add({ kind: 'sequence', schema: q.schema, name: q.name }, q.acl);
  }
  for (const r of catalog.routines.values()) add({ kind: 'function', schema: r.schema, name: r.name, args: r.args, routine: r.routine }, r.acl);
  if (catalog.database) add({ kind: 'database', name: catalog.database.name }, catalog.database.acl);
  for (const d of catalog.defaultAcls) add({ kind: 'default', owner: d.owner, schema: d.schema, objects: d.objects }, d.acl);
  return {
    roles: [...catalog.roles.values()].map(roleOf),
    memberships: catalog.memberships,
    schemas: [...catalog.schemas.keys()],
    tables: [...catalog.tables.values()].map((t) => ({ schema: t.schema, name: t.name, enabled: t.rlsEnabled, forced: t.rlsForced })),
    policies: catalog.policies,
    grants,
  };
}

export function roleOf(r: CatalogRole): Role {
  return {
    name: r.name,
    login: r.login,
    inherit: r.inherit,
    bypassRls: r.bypassRls,
    createDb: r.createDb,
    createRole: r.createRole,
    connectionLimit: r.connectionLimit,
    validUntil: r.validUntil,
  };
}
