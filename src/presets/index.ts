export { supabase, type SupabasePreset, type SupabaseOptions, type StorageObjectRow, type StorageBucketRow } from './supabase.js';
export { sessionSettings, neon, type SessionSettingsOptions, type SessionSettingsPreset, type NeonPreset } from './session-settings.js';
