import type { Diagnostic } from '../model/diagnostic.js';
import type { DefaultObjectType } from '../model/grant.js';
import type { PolicyCommand } from '../model/policy.js';
import type { Role } from '../model/role.js';

/** Role words PostgreSQL accepts in a policy's TO list besides role names. */
export const SPECIAL_POLICY_ROLES = ['public', 'current_user', 'current_role', 'session_user'] as const;

export interface CollectedPolicy {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly command: PolicyCommand;
  readonly permissive: boolean;
  /** As declared, lowercased special words; resolved against the session later. */
  readonly roles: readonly string[];
  readonly using: string | null;
  readonly withCheck: string | null;
}

export interface CollectedGrant {
  /** Privileges uppercased; 'ALL' is expanded once the server version is known. */
  readonly privileges: readonly string[];
  readonly grantees: readonly string[];
  readonly withGrantOption: boolean;
  /** Column names for column privileges; empty for an object-level grant. */
  readonly columns: readonly string[];
  /** For error messages: `grant on public.documents`. */
  readonly origin: string;
}

export interface CollectedTable {
  readonly schema: string;
  readonly name: string;
  readonly rls: boolean | 'force' | undefined;
  readonly policies: readonly CollectedPolicy[];
  readonly grants: readonly CollectedGrant[];
}

export interface CollectedSchema {
  readonly name: string;
  readonly grants: readonly CollectedGrant[];
  readonly revokeFromPublic: boolean;
}

export interface CollectedMembership {
  readonly role: string;
  readonly admin: boolean;
  /** undefined: PostgreSQL's default (16+: the member's inherit attribute; SET true). */
  readonly inherit: boolean | undefined;
  readonly set: boolean | undefined;
}

export interface CollectedRole {
  readonly name: string;
  /** true: declared with role() (created and altered); false: existing role, never changed. */
  readonly managed: boolean;
  /** Declared attributes with defaults filled in; for existing roles null. */
  readonly attributes: Omit<Role, 'name'> | null;
  /** undefined: memberships not declared (existing role without inRoles). */
  readonly inRoles: readonly CollectedMembership[] | undefined;
  readonly passwordEnv: string | undefined;
  /** existingRole(name, { grants: 'unmanaged' }): named by policies only; its grants are never changed. */
  readonly grantsUnmanaged?: boolean;
  /** existingRole(name, { grants: 'where-declared' }): its grants are managed only on objects where the declaration grants it something. */
  readonly grantsWhereDeclared?: boolean;
}

export interface CollectedSequence {
  readonly schema: string;
  readonly name: string;
  readonly grants: readonly CollectedGrant[];
}

export interface CollectedRoutine {
  readonly signature: string;
  readonly grants: readonly CollectedGrant[];
  readonly revokeFromPublic: boolean;
}

export interface CollectedDatabase {
  readonly grants: readonly CollectedGrant[];
  readonly revokeFromPublic: boolean;
}

export interface CollectedDefaultPrivileges {
  /** null: the connected role (resolved at plan time). */
  readonly forRole: string | null;
  readonly inSchema: string | null;
  readonly objects: DefaultObjectType;
  readonly grants: readonly CollectedGrant[];
  readonly revokeFromPublic: boolean;
  readonly origin: string;
}

/** The declaration flattened to plain data with expressions rendered to SQL text; nothing checked against a database yet. */
export interface CollectedAccess {
  /** Every role name grants and policies may name (managed and existing). */
  readonly roles: readonly string[];
  readonly roleDeclarations: readonly CollectedRole[];
  readonly sequences: readonly CollectedSequence[];
  readonly routines: readonly CollectedRoutine[];
  readonly database: CollectedDatabase | undefined;
  readonly defaultPrivileges: readonly CollectedDefaultPrivileges[];
  readonly tables: readonly CollectedTable[];
  readonly schemas: readonly CollectedSchema[];
  /** See AccessInput.impliedGrants. */
  readonly impliedGrants: boolean;
  readonly diagnostics: readonly Diagnostic[];
}
