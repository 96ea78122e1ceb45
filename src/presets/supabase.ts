/**
 * Supabase: its API roles, its session functions, and its storage tables,
 * declared the way a Supabase project needs them.
 */
import { existingRole, table } from '../declare/builders.js';
import type { ColumnMap, ExistingRoleDeclaration, TableDeclaration } from '../declare/declarations.js';
import { checkOptionKeys } from '../declare/option-keys.js';
import { quoteLiteral } from '../render/sql/quote.js';
import { sessionValueSql } from '../templates/session-value.js';
import type { SessionValue } from '../templates/template-types.js';

/** The columns of storage.objects that policies read (Supabase's storage schema). */
export interface StorageObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  owner: string;
  owner_id: string;
  metadata: unknown;
  path_tokens: string[];
  version: string;
  user_metadata: unknown;
  created_at: string;
  updated_at: string;
  last_accessed_at: string;
}

export interface StorageBucketRow {
  id: string;
  name: string;
  owner: string;
  owner_id: string;
  public: boolean;
  file_size_limit: number;
  allowed_mime_types: string[];
  created_at: string;
  updated_at: string;
}

export interface SupabasePreset {
  /**
   * anon, authenticated and service_role, as roles Supabase creates and
   * grants: pg-access never creates or alters them, and manages their
   * privileges only on the objects where the declaration grants them
   * something (grants: 'where-declared'): Supabase's own grants elsewhere
   * are left alone and not reported.
   */
  readonly roles: readonly ExistingRoleDeclaration[];
  readonly anon: 'anon';
  readonly authenticated: 'authenticated';
  readonly serviceRole: 'service_role';
  /** auth.uid() for a template (`ownerOnly(t, { column: 'user_id', ...sb.uid })`): a uuid, read once per statement. */
  readonly uid: SessionValue;
  /** A claim of the request's JWT (`auth.jwt() ->> 'claim'`), cast to `type` when given. */
  jwt(claim: string, type?: string): SessionValue;
  /** `(SELECT auth.uid())`, for a policy written by hand: an InitPlan, evaluated once per statement. */
  readonly uidSql: string;
  /** `(SELECT (auth.jwt() ->> 'claim')::type)` for a policy written by hand. */
  jwtSql(claim: string, type?: string): string;
  /** The settings PostgREST sets for a request with these JWT claims (`request.jwt.claims`), for withRole() and expectations. */
  settings(claims: Readonly<Record<string, unknown>>): Record<string, string>;
  /**
   * Supabase Storage's tables, typed for templates and policy callbacks.
   * Storage owns them and has RLS enabled on them; declaring policies on
   * them changes nothing else (the API roles' grants stay Supabase's).
   */
  readonly storage: {
    readonly objects: TableDeclaration<ColumnMap<StorageObjectRow>>;
    readonly buckets: TableDeclaration<ColumnMap<StorageBucketRow>>;
  };
}

export interface SupabaseOptions {
  /** Manage the API roles' grants as other roles' ('managed': exactly as declared on every declared object). Default 'where-declared'. */
  readonly grants?: 'where-declared' | 'managed' | 'unmanaged';
}

export function supabase(options: SupabaseOptions = {}): SupabasePreset {
  checkOptionKeys('supabase()', options, ['grants']);
  const grants = options.grants ?? 'where-declared';
  const jwt = (claim: string, type?: string): SessionValue => {
    if (typeof claim !== 'string' || claim === '') throw new TypeError(`supabase().jwt() needs a claim name, got ${JSON.stringify(claim)}.`);
    return { fn: `auth.jwt() ->> ${quoteLiteral(claim)}`, ...(type !== undefined ? { type } : {}) };
  };
  const uid: SessionValue = { fn: 'auth.uid()' };
  return {
    roles: ['anon', 'authenticated', 'service_role'].map((name) => existingRole(name, { grants })),
    anon: 'anon',
    authenticated: 'authenticated',
    serviceRole: 'service_role',
    uid,
    jwt,
    uidSql: sessionValueSql(uid, 'supabase().uid'),
    jwtSql: (claim, type) => sessionValueSql(jwt(claim, type), `supabase().jwt(${JSON.stringify(claim)})`),
    settings: (claims) => ({ 'request.jwt.claims': JSON.stringify(claims) }),
    storage: {
      objects: table<{ 'storage.objects': StorageObjectRow }, 'storage.objects'>('storage.objects'),
      buckets: table<{ 'storage.buckets': StorageBucketRow }, 'storage.buckets'>('storage.buckets'),
    },
  };
}
