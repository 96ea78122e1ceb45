/**
 * Builds a pg-access declaration that describes what a database already has
 * (RLS flags, policies with pg_policies' text, non-owner table and column grants), for
 * the corpus tests: declaring exactly what is there must plan empty, and
 * applying it to a database without it must recreate it.
 */
import type pg from 'pg';
import { defineAccess, grant, policy, table, type AccessDeclaration } from '../../src/index.js';

interface AclRow {
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface CatalogDescription {
  declaration: AccessDeclaration;
  tables: string[];
  roles: string[];
}

const SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
  COALESCE((SELECT json_agg(json_build_object('name', p.policyname, 'permissive', p.permissive, 'cmd', p.cmd, 'roles', p.roles, 'qual', p.qual, 'with_check', p.with_check))
            FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname), '[]') AS policies,
  COALESCE((SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END, 'privilege', a.privilege_type, 'grantable', a.is_grantable))
            FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner), '[]') AS acl,
  COALESCE((SELECT json_agg(json_build_object('column', t.attname, 'grantee', CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END, 'privilege', a.privilege_type, 'grantable', a.is_grantable))
            FROM pg_attribute t, aclexplode(t.attacl) a
            WHERE t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped AND a.grantee <> c.relowner), '[]') AS column_acl
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2`;

export async function describeCatalog(db: pg.Pool): Promise<CatalogDescription> {
  const { rows } = await db.query(SQL);
  const roles = new Set<string>();
  const tables = rows.map((t) => {
    const policies = (t.policies as { name: string; permissive: string; cmd: string; roles: string[]; qual: string | null; with_check: string | null }[]).map((p) => {
      for (const role of p.roles) if (role !== 'public') roles.add(role);
      return policy(p.name, {
        as: p.permissive === 'RESTRICTIVE' ? 'restrictive' : 'permissive',
        for: p.cmd as 'ALL',
        to: p.roles,
        ...(p.qual !== null ? { using: p.qual } : {}),
        ...(p.with_check !== null ? { withCheck: p.with_check } : {}),
      });
    });
    // One grant() per (grantee, column or the whole table, grant option).
    const groups = new Map<string, { to: string; column: string | null; grantable: boolean; privileges: string[] }>();
    const entries = [
      ...(t.acl as AclRow[]).map((e) => ({ ...e, column: null })),
      ...(t.column_acl as (AclRow & { column: string })[]),
    ];
    for (const e of entries) {
      if (e.grantee !== 'public') roles.add(e.grantee);
      const key = JSON.stringify([e.grantee, e.column, e.grantable]);
      const group = groups.get(key) ?? { to: e.grantee, column: e.column, grantable: e.grantable, privileges: [] };
      group.privileges.push(e.privilege);
      groups.set(key, group);
    }
    const grants = [...groups.values()].map((g) =>
      grant(g.privileges, { to: g.to, ...(g.grantable ? { withGrantOption: true } : {}), ...(g.column !== null ? { columns: [g.column] } : {}) }),
    );
    const supportsRls = t.kind === 'r' || t.kind === 'p';
    const name = `"${t.schema.replaceAll('"', '""')}"."${t.name.replaceAll('"', '""')}"`;
    return table(name, { ...(supportsRls ? { rls: t.force ? ('force' as const) : (t.rls as boolean) } : {}), policies, grants });
  });
  return { declaration: defineAccess({ roles: [...roles], tables }), tables: rows.map((t) => `${t.schema}.${t.name}`), roles: [...roles] };
}
