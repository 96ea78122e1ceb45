import type { Diagnostic } from '../model/diagnostic.js';
import type { PolicyCommand } from '../model/policy.js';

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
}

/** The declaration flattened to plain data with expressions rendered to SQL text; nothing checked against a database yet. */
export interface CollectedAccess {
  readonly roles: readonly string[];
  readonly tables: readonly CollectedTable[];
  readonly schemas: readonly CollectedSchema[];
  readonly diagnostics: readonly Diagnostic[];
}
