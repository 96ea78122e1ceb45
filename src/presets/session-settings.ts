/**
 * Plain PostgreSQL (Neon, RDS, a server of your own) where the application
 * says who the request is with transaction-local settings, and Neon's
 * Data API, where pg_session_jwt's auth.user_id() does.
 */
import { existingRole } from '../declare/builders.js';
import type { ExistingRoleDeclaration } from '../declare/declarations.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { sessionValueSql } from '../templates/session-value.js';
import type { SessionValue } from '../templates/template-types.js';

export interface SessionSettingsOptions {
  /** The setting naming the user; default 'app.user_id'. */
  readonly user?: string;
  /** The setting naming the tenant; default 'app.tenant_id'. */
  readonly tenant?: string;
  /** The ids' SQL type ('uuid', 'bigint'); default text. */
  readonly type?: string;
}

export interface SessionSettingsPreset {
  /** For templates: `ownerOnly(t, { column: 'owner_id', ...app.user })`. */
  readonly user: SessionValue;
  readonly tenant: SessionValue;
  /** `(SELECT NULLIF(current_setting('app.user_id', true), '')::type)` for policies written by hand. */
  readonly userSql: string;
  readonly tenantSql: string;
  /**
   * The settings a request sets, by the names this preset reads: pass
   * them to withRole() in tests, or set them in the application's
   * transaction (`SELECT set_config(name, value, true)` for each).
   */
  settings(values: { readonly user?: string | number; readonly tenant?: string | number }): Record<string, string>;
}

/** The transaction-local settings pattern: `SELECT set_config('app.user_id', $1, true)` at the start of each transaction. */
export function sessionSettings(options: SessionSettingsOptions = {}): SessionSettingsPreset {
  checkOptionKeys('sessionSettings()', options, ['user', 'tenant', 'type']);
  const userSetting = options.user ?? 'app.user_id';
  const tenantSetting = options.tenant ?? 'app.tenant_id';
  const typed = options.type !== undefined ? { type: options.type } : {};
  const user: SessionValue = { setting: userSetting, ...typed };
  const tenant: SessionValue = { setting: tenantSetting, ...typed };
  return {
    user,
    tenant,
    userSql: sessionValueSql(user, 'sessionSettings().user'),
    tenantSql: sessionValueSql(tenant, 'sessionSettings().tenant'),
    settings: (values) => ({
      ...(values.user !== undefined ? { [userSetting]: String(values.user) } : {}),
      ...(values.tenant !== undefined ? { [tenantSetting]: String(values.tenant) } : {}),
    }),
  };
}

export interface NeonPreset {
  /** authenticated and anonymous, the Data API's roles, managed where the declaration grants them something. */
  readonly roles: readonly ExistingRoleDeclaration[];
  readonly authenticated: 'authenticated';
  readonly anonymous: 'anonymous';
  /** pg_session_jwt's auth.user_id() (text: the JWT's sub), read once per statement. */
  readonly uid: SessionValue;
  readonly uidSql: string;
}

/** Neon's Data API (formerly Neon RLS / Authorize): pg_session_jwt's auth.user_id(), roles authenticated and anonymous. */
export function neon(): NeonPreset {
  const uid: SessionValue = { fn: 'auth.user_id()' };
  return {
    roles: ['authenticated', 'anonymous'].map((name) => existingRole(name, { grants: 'where-declared' })),
    authenticated: 'authenticated',
    anonymous: 'anonymous',
    uid,
    uidSql: sessionValueSql(uid, 'neon().uid'),
  };
}
