/**
 * A grantee is a role name exactly as stored in pg_authid, or PUBLIC.
 *
 * PUBLIC is represented by the lowercase string 'public': PostgreSQL refuses to
 * create a role named "public" (CREATE ROLE reserves it), so the string cannot
 * be confused with a real role. A role spelled "PUBLIC" in capitals is a real
 * role and stays distinct.
 */
export type Grantee = string;

export const PUBLIC: Grantee = 'public';

export function isPublic(grantee: Grantee): boolean {
  return grantee === PUBLIC;
}
