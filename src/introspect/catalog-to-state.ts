import type { AccessState } from '../model/access-state.js';
import type { Grant } from '../model/grant.js';
import type { CatalogSnapshot } from './catalog-snapshot.js';

/** The catalog side of "two producers, one model". Owners' entries are already left out by the catalog queries. */
export function catalogToState(catalog: CatalogSnapshot): AccessState {
  const grants: Grant[] = [];
  for (const s of catalog.schemas.values()) {
    for (const e of s.acl) grants.push({ target: { kind: 'schema', name: s.name }, grantee: e.grantee, privilege: e.privilege, grantable: e.grantable });
  }
  for (const t of catalog.tables.values()) {
    for (const e of t.acl) grants.push({ target: { kind: 'table', schema: t.schema, name: t.name }, grantee: e.grantee, privilege: e.privilege, grantable: e.grantable });
    for (const q of t.sequences) {
      for (const e of q.acl) grants.push({ target: { kind: 'sequence', schema: q.schema, name: q.name }, grantee: e.grantee, privilege: e.privilege, grantable: e.grantable });
    }
  }
  return {
    schemas: [...catalog.schemas.keys()],
    tables: [...catalog.tables.values()].map((t) => ({ schema: t.schema, name: t.name, enabled: t.rlsEnabled, forced: t.rlsForced })),
    policies: catalog.policies,
    grants,
  };
}
