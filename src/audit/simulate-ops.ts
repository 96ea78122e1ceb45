import type { AclEntry, CatalogRole, CatalogSchema, CatalogSnapshot, CatalogTable } from '../introspect/catalog-snapshot.js';
import { membershipKey } from '../model/membership.js';
import { policyKey } from '../model/policy.js';
import { qualifiedKey } from '../model/qualified-name.js';
import type { Op, OpKind, OpOfKind } from '../ops/op.js';

/*
 * The catalogs as a plan would leave them, for the parts the access
 * evaluator reads (roles, memberships, schema, table and column ACLs, RLS
 * flags, policies): each operation applied to a copy, in plan order. Pure;
 * one handler per operation kind, like the inverters (ops/inverse), so a new
 * kind does not compile until it says what it changes. Kinds the evaluator
 * does not read (sequences, routines, the database, default privileges,
 * comments) change nothing here.
 */

interface Draft {
  roles: Map<string, CatalogRole>;
  memberships: Map<string, CatalogSnapshot['memberships'][number]>;
  schemas: Map<string, CatalogSchema>;
  tables: Map<string, CatalogTable>;
  policies: Map<string, CatalogSnapshot['policies'][number]>;
}

const nothing = () => undefined;

const simulators: { [K in OpKind]: (draft: Draft, op: OpOfKind<K>) => void } = {
  'create-role': (d, op) => void d.roles.set(op.role.name, { ...op.role, oid: 0, superuser: false, createdByPgAccess: true }),
  'drop-role': (d, op) => void d.roles.delete(op.role.name),
  'alter-role': (d, op) => {
    const old = d.roles.get(op.from.name);
    if (old) d.roles.set(op.to.name, { ...old, ...op.to });
  },
  'grant-membership': (d, op) => void d.memberships.set(membershipKey(op.membership), op.membership),
  'revoke-membership': (d, op) => void d.memberships.delete(membershipKey(op.membership)),
  'alter-membership': (d, op) => void d.memberships.set(membershipKey(op.to), op.to),
  'create-schema': nothing,
  'drop-schema': nothing,
  'set-rls': (d, op) => {
    const key = qualifiedKey({ schema: op.schema, name: op.table });
    const t = d.tables.get(key);
    if (t) d.tables.set(key, op.flag === 'enabled' ? { ...t, rlsEnabled: op.value } : { ...t, rlsForced: op.value });
  },
  'create-policy': (d, op) => void d.policies.set(policyKey(op.policy), op.policy),
  'drop-policy': (d, op) => void d.policies.delete(policyKey(op.policy)),
  'rename-policy': (d, op) => {
    const key = policyKey({ schema: op.schema, table: op.table, name: op.from });
    const p = d.policies.get(key);
    if (!p) return;
    d.policies.delete(key);
    d.policies.set(policyKey({ ...p, name: op.to }), { ...p, name: op.to });
  },
  'set-policy-comment': nothing,
  grant: (d, op) => changeAcl(d, op.target, (acl) => granted(acl, op.grantee, op.privileges, op.withGrantOption)),
  revoke: (d, op) => {
    changeAcl(d, op.target, (acl) => revoked(acl, op.grantee, op.privileges, op.grantOptionOnly));
    // Revoking a table privilege revokes it on every column too (PostgreSQL's REVOKE ... ON TABLE).
    if (op.target.kind !== 'table') return;
    const key = qualifiedKey(op.target);
    const t = d.tables.get(key);
    if (t && t.columnAcl.length) d.tables.set(key, { ...t, columnAcl: revoked(t.columnAcl, op.grantee, op.privileges, op.grantOptionOnly) });
  },
};

/** The snapshot after `ops`, in order. */
export function simulateOps(catalog: CatalogSnapshot, ops: readonly Op[]): CatalogSnapshot {
  const draft: Draft = {
    roles: new Map(catalog.roles),
    memberships: new Map(catalog.memberships.map((m) => [membershipKey(m), m])),
    schemas: new Map(catalog.schemas),
    tables: new Map(catalog.tables),
    policies: new Map(catalog.policies.map((p) => [policyKey(p), p])),
  };
  for (const op of ops) (simulators[op.kind] as (d: Draft, o: Op) => void)(draft, op);
  return { ...catalog, roles: draft.roles, memberships: [...draft.memberships.values()], schemas: draft.schemas, tables: draft.tables, policies: [...draft.policies.values()] };
}

function changeAcl(d: Draft, target: OpOfKind<'grant'>['target'], change: (acl: readonly AclEntry[]) => AclEntry[]): void {
  if (target.kind === 'schema') {
    const s = d.schemas.get(target.name);
    if (s) d.schemas.set(target.name, { ...s, acl: change(s.acl) });
    return;
  }
  if (target.kind !== 'table' && target.kind !== 'column') return;
  const key = qualifiedKey({ schema: target.schema, name: target.kind === 'table' ? target.name : target.table });
  const t = d.tables.get(key);
  if (!t) return;
  if (target.kind === 'table') {
    d.tables.set(key, { ...t, acl: change(t.acl) });
    return;
  }
  const column = target.column;
  const others = t.columnAcl.filter((e) => e.column !== column);
  const mine = change(t.columnAcl.filter((e) => e.column === column)).map((e) => ({ ...e, column }));
  d.tables.set(key, { ...t, columnAcl: [...others, ...mine] });
}

function granted(acl: readonly AclEntry[], grantee: string, privileges: readonly string[], grantable: boolean): AclEntry[] {
  const kept = acl.filter((e) => !(e.grantee === grantee && privileges.includes(e.privilege)));
  const prior = (p: string) => acl.find((e) => e.grantee === grantee && e.privilege === p)?.grantable ?? false;
  return [...kept, ...privileges.map((privilege) => ({ grantee, privilege, grantable: grantable || prior(privilege) }))];
}

function revoked<E extends AclEntry>(acl: readonly E[], grantee: string, privileges: readonly string[], grantOptionOnly: boolean): E[] {
  return acl.flatMap((e) => {
    if (e.grantee !== grantee || !privileges.includes(e.privilege)) return [e];
    return grantOptionOnly ? [{ ...e, grantable: false }] : [];
  });
}
