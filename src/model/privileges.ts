import type { DefaultObjectType, GrantTargetKind } from './grant.js';

/** Privileges PostgreSQL knows per object kind, in the order GRANT ALL lists them. */
export const TABLE_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
  'MAINTAIN',
] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

export const COLUMN_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'] as const;
export const SEQUENCE_PRIVILEGES = ['USAGE', 'SELECT', 'UPDATE'] as const;
export const SCHEMA_PRIVILEGES = ['USAGE', 'CREATE'] as const;
export const FUNCTION_PRIVILEGES = ['EXECUTE'] as const;
export const DATABASE_PRIVILEGES = ['CREATE', 'CONNECT', 'TEMPORARY'] as const;
export const TYPE_PRIVILEGES = ['USAGE'] as const;

export type Privilege = string;

/**
 * The table privileges a given server supports. MAINTAIN exists from
 * PostgreSQL 17 on; GRANT ALL on 17+ includes it, earlier servers reject it.
 */
export function tablePrivilegesFor(serverVersionNum: number): readonly TablePrivilege[] {
  return serverVersionNum >= 170000 ? TABLE_PRIVILEGES : TABLE_PRIVILEGES.filter((p) => p !== 'MAINTAIN');
}

/** What `ALL` means on an object of this kind, on this server. */
export function privilegesFor(kind: Exclude<GrantTargetKind, 'default'> | DefaultObjectType, serverVersionNum: number): readonly string[] {
  switch (kind) {
    case 'table':
    case 'tables':
      return tablePrivilegesFor(serverVersionNum);
    case 'column':
      return COLUMN_PRIVILEGES;
    case 'sequence':
    case 'sequences':
      return SEQUENCE_PRIVILEGES;
    case 'schema':
    case 'schemas':
      return SCHEMA_PRIVILEGES;
    case 'function':
    case 'functions':
      return FUNCTION_PRIVILEGES;
    case 'database':
      return DATABASE_PRIVILEGES;
    case 'types':
      return TYPE_PRIVILEGES;
  }
}

/** Sort privileges in PostgreSQL's canonical order (unknown ones last, by name). */
export function sortPrivileges(privileges: Iterable<string>): string[] {
  const order = [...TABLE_PRIVILEGES, 'USAGE', 'CREATE', 'CONNECT', 'TEMPORARY', 'EXECUTE'] as string[];
  return [...new Set(privileges)].sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : a > b ? 1 : 0);
  });
}
