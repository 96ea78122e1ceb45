import { keyOf } from '../model/qualified-name.js';
import type { AclEntry } from './catalog-snapshot.js';

export const aclJson = (acl: string, owner: string) => `COALESCE((
  SELECT json_agg(json_build_array(
           CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END,
           a.privilege_type, a.is_grantable))
  FROM aclexplode(${acl}) a WHERE a.grantee <> ${owner}), '[]'::json)`;

/** The same (grantee, privilege) can appear once per grantor; it is held, and grantable if any grantor gave the option. */
export function mergeAcl(raw: unknown): AclEntry[] {
  const rows = (typeof raw === 'string' ? JSON.parse(raw) : raw) as [string, string, boolean][];
  const merged = new Map<string, AclEntry>();
  for (const [grantee, privilege, grantable] of rows) {
    const key = keyOf(grantee, privilege);
    const prior = merged.get(key);
    merged.set(key, { grantee, privilege, grantable: grantable || (prior?.grantable ?? false) });
  }
  return [...merged.values()];
}

export function mergeColumnAcl(raw: unknown): (AclEntry & { column: string })[] {
  const rows = (typeof raw === 'string' ? JSON.parse(raw) : raw) as [string, string, string, boolean][];
  const merged = new Map<string, AclEntry & { column: string }>();
  for (const [column, grantee, privilege, grantable] of rows) {
    const key = keyOf(column, grantee, privilege);
    const prior = merged.get(key);
    merged.set(key, { column, grantee, privilege, grantable: grantable || (prior?.grantable ?? false) });
  }
  return [...merged.values()];
}
