import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModule, moduleFile } from './module-loader.js';
import type { DbCredentials, PgAccessConfig } from '../config.js';
import type { AccessDeclaration } from '../index.js';
import { isPgAccessError, userError } from './exit-codes.js';
import { validateIgnores } from '../lint/lint.js';
import { migrationFormats } from '../render/migration/write-migration.js';

/** Looked up in this order in the current folder when --config is not given. */
export const CONFIG_FILE_NAMES = ['pg-access.config.ts', 'pg-access.config.mts', 'pg-access.config.js', 'pg-access.config.mjs'] as const;

const CONFIG_KEYS = ['access', 'url', 'dbCredentials', 'out', 'format', 'lockTimeoutMs', 'lint', 'test'] as const;
const CREDENTIAL_KEYS = ['host', 'port', 'user', 'password', 'database', 'ssl'] as const;
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

/** A validated config with its paths made absolute. */
export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly file: string;
  readonly config: PgAccessConfig;
  /** Absolute path of the access module, as written (the extension may be left out). */
  readonly accessPath: string;
  /** Absolute default migrations folder (config `out`, else ./migrations beside the config). */
  readonly outDir: string;
}

/** The config file to use: `--config` (relative to cwd), else the first of CONFIG_FILE_NAMES in cwd. */
export function findConfigFile(cwd: string, explicit: string | undefined): string {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw userError('CONFIG_NOT_FOUND', `Config file ${explicit} does not exist (looked for ${file}).`);
    }
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(cwd, name);
    if (existsSync(file)) return file;
  }
  throw userError(
    'CONFIG_NOT_FOUND',
    `No pg-access.config.ts in ${cwd}. Create one:\n\n` +
      `  import { defineConfig } from 'pg-access';\n` +
      `  export default defineConfig({ access: './src/access.ts', url: process.env.DATABASE_URL });\n\n` +
      `or point to it with --config <path>.`,
  );
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  const shown = path.basename(file);
  const namespace = await importModule(file, `config file ${shown}`);
  const config = namespace.default ?? namespace.config;
  validateConfig(config, shown);
  const dir = path.dirname(file);
  return {
    file,
    config,
    accessPath: path.resolve(dir, config.access),
    outDir: path.resolve(dir, config.out ?? './migrations'),
  };
}

/** The config when one is named or present in `cwd`: pull, audit and lint need none (only the connection and lint settings come from it). */
export async function optionalConfig(ctx: { readonly cwd: string }, explicit: string | undefined): Promise<LoadedConfig | undefined> {
  if (explicit === undefined && !CONFIG_FILE_NAMES.some((name) => existsSync(path.join(ctx.cwd, name)))) return undefined;
  return loadConfig(findConfigFile(ctx.cwd, explicit));
}

/** Imports the access module and returns its default export, or its export named `access`. */
export async function loadAccess(loaded: LoadedConfig): Promise<AccessDeclaration> {
  const { accessPath, config } = loaded;
  const where = `${config.access} (access in ${path.basename(loaded.file)})`;
  if (moduleFile(accessPath) === undefined) {
    throw userError('ACCESS_MODULE_NOT_FOUND', `The access module ${where} does not exist (looked for ${accessPath}). Paths in the config are relative to the config file.`);
  }
  const namespace = await importModule(accessPath, `access module ${config.access}`);
  const candidates = [namespace.default, namespace.access];
  const access = candidates.find(isAccessDeclaration);
  if (access) return access;
  const exported = Object.keys(namespace).filter((k) => k !== '__esModule');
  throw userError(
    'INVALID_ACCESS_MODULE',
    `The access module ${where} must export the defineAccess(...) result as its default export or as \`access\`` +
      (exported.length ? `; it exports: ${exported.join(', ')}.` : '; it exports nothing.') +
      `\n\n  export default defineAccess({ roles: [...], tables: [...] });`,
  );
}

function isAccessDeclaration(value: unknown): value is AccessDeclaration {
  const v = value as Partial<AccessDeclaration> | null | undefined;
  return typeof v === 'object' && v !== null && v.kind === 'access' && Array.isArray(v.tables) && Array.isArray(v.roles);
}

/** Imports a config or access module (see module-loader); errors name the file and where the user's code threw. */
async function importModule(file: string, what: string): Promise<Record<string, any>> {
  try {
    return await loadModule(file);
  } catch (cause) {
    // defineAccess(), table(), policy() ... validate as the module loads: their messages name the object; the line is added.
    if (isPgAccessError(cause)) {
      const at = userFrame(cause);
      throw at ? userError(cause.code, `${cause.message}\n(at ${at})`, cause) : cause;
    }
    const e = cause as { name?: string; message?: string };
    const at = userFrame(cause);
    throw userError(
      'MODULE_LOAD_FAILED',
      `Could not load the ${what}: ${e?.name ?? 'Error'}: ${e?.message ?? String(cause)}${at ? `\n(thrown at ${at})` : ''}\n(Set DEBUG=pg-access to see the stack.)`,
      cause,
    );
  }
}

/** pg-access's own code, run from source (src/) or built (dist/): its frames are never the user's. */
const ownCode = ((here) => {
  const parts = here.split(path.sep);
  const at = Math.max(parts.lastIndexOf('src'), parts.lastIndexOf('dist'));
  return at > 0 ? `${parts.slice(0, at + 1).join(path.sep)}${path.sep}` : `${here}${path.sep}`;
})(path.dirname(fileURLToPath(import.meta.url)));

/** Where in the user's code an error was thrown: the first stack frame outside node_modules, Node and the CLI. */
function userFrame(error: unknown): string | undefined {
  const stack = (error as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string') return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const location = /\(?((?:file:\/\/)?\/[^()\s]*:\d+:\d+)\)?\s*$/.exec(line)?.[1];
    if (location && !location.includes('/node_modules/') && !location.replace('file://', '').startsWith(ownCode)) return location;
  }
  return undefined;
}

function validateConfig(config: unknown, shown: string): asserts config is PgAccessConfig {
  const fail = (message: string) => {
    throw userError('INVALID_CONFIG', `${shown}: ${message}`);
  };
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    fail(`the default export must be the config object, e.g. export default defineConfig({ access: './src/access.ts' }).`);
  }
  const c = config as Record<string, unknown>;
  const unknownKeys = Object.keys(c).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  if (unknownKeys.length) fail(`unknown option${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => `"${k}"`).join(', ')}; allowed: ${CONFIG_KEYS.join(', ')}.`);
  if (typeof c.access !== 'string' || c.access === '') fail(`"access" must be the path of the module exporting defineAccess(...), e.g. access: './src/access.ts'.`);
  if (c.url !== undefined && typeof c.url !== 'string') fail(`"url" must be a connection URL string, e.g. postgres://user:password@host:5432/database.`);
  if (c.dbCredentials !== undefined) validateCredentials(c.dbCredentials, fail);
  if (c.out !== undefined && (typeof c.out !== 'string' || c.out === '')) fail(`"out" must be a folder path, e.g. out: './migrations'.`);
  if (c.format !== undefined && (typeof c.format !== 'string' || !migrationFormats().includes(c.format))) {
    fail(`"format" must be one of ${migrationFormats().map((f) => `'${f}'`).join(', ')}, got ${JSON.stringify(c.format)}.`);
  }
  if (c.lockTimeoutMs !== undefined && !(Number.isInteger(c.lockTimeoutMs) && (c.lockTimeoutMs as number) > 0)) {
    fail(`"lockTimeoutMs" must be a positive whole number of milliseconds, got ${JSON.stringify(c.lockTimeoutMs)}.`);
  }
  if (c.test !== undefined) validateTest(c.test, fail);
  if (c.lint !== undefined) {
    const l = c.lint as Record<string, unknown>;
    if (typeof l !== 'object' || l === null || Array.isArray(l)) fail(`"lint" must be an object: { ignore?: [{ rule, object, reason }], failOn?: 'error' | 'warning' | 'info' | 'never' }.`);
    const unknownLint = Object.keys(l).filter((k) => k !== 'ignore' && k !== 'failOn');
    if (unknownLint.length) fail(`lint: unknown option${unknownLint.length > 1 ? 's' : ''} ${unknownLint.map((k) => `"${k}"`).join(', ')}; allowed: ignore, failOn.`);
    if (l.failOn !== undefined && !['error', 'warning', 'info', 'never'].includes(l.failOn as string)) fail(`lint.failOn must be 'error', 'warning', 'info' or 'never', got ${JSON.stringify(l.failOn)}.`);
    if (l.ignore !== undefined) {
      try {
        validateIgnores(l.ignore, 'lint.ignore');
      } catch (error) {
        fail((error as Error).message);
      }
    }
  }
}

function validateTest(value: unknown, fail: (message: string) => never): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`"test" must be an object: { seed?: './seed.sql', expect: [{ role, settings, table, command, allowed | rows }] }.`);
  const t = value as Record<string, unknown>;
  const unknownKeys = Object.keys(t).filter((k) => k !== 'seed' && k !== 'expect' && k !== 'schema');
  if (unknownKeys.length) fail(`test: unknown option${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => `"${k}"`).join(', ')}; allowed: schema, seed, expect.`);
  if (!Array.isArray(t.expect)) fail('test.expect must be a list of expectations: [{ role, settings, table, command, allowed | rows }].');
  for (const key of ['seed', 'schema'] as const) {
    const files = typeof t[key] === 'string' ? [t[key]] : t[key];
    if (files !== undefined && (!Array.isArray(files) || files.some((s) => typeof s !== 'string' || s === ''))) fail(`test.${key} must be an SQL file path or a list of them.`);
  }
}

function validateCredentials(value: unknown, fail: (message: string) => never): asserts value is DbCredentials {
  if (typeof value !== 'object' || value === null) fail(`"dbCredentials" must be an object: { host, port, user, password, database, ssl? }.`);
  const c = value as Record<string, unknown>;
  const unknownKeys = Object.keys(c).filter((k) => !(CREDENTIAL_KEYS as readonly string[]).includes(k));
  if (unknownKeys.length) fail(`dbCredentials: unknown option${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => `"${k}"`).join(', ')}; allowed: ${CREDENTIAL_KEYS.join(', ')}.`);
  if (typeof c.host !== 'string' || c.host === '') fail(`dbCredentials.host must be a host name, an IP address or a Unix socket folder.`);
  if (typeof c.database !== 'string' || c.database === '') fail(`dbCredentials.database must be a database name.`);
  if (c.port !== undefined && !(Number.isInteger(Number(c.port)) && Number(c.port) > 0 && Number(c.port) < 65536)) fail(`dbCredentials.port must be a port number, got ${JSON.stringify(c.port)}.`);
  for (const key of ['user', 'password'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'string') fail(`dbCredentials.${key} must be a string.`);
  }
  if (c.ssl !== undefined && typeof c.ssl !== 'boolean' && !(SSL_MODES as readonly unknown[]).includes(c.ssl)) {
    fail(`dbCredentials.ssl must be true, false or one of ${SSL_MODES.join(', ')}.`);
  }
}
