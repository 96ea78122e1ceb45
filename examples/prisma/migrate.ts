// In a normal project: `prisma migrate deploy` (up) and `prisma db execute --file .../down.sql` (down).
// deploy needs Prisma's engines, which these machines cannot download: up runs the migration
// with `prisma db execute` (one script, as deploy sends it) and records it with `migrate resolve`.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const name = readdirSync('prisma/migrations').filter((f) => /^\d{14}_/.test(f)).sort().at(-1)!;
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const prisma = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...process.env, PRISMA_QUERY_ENGINE_LIBRARY: '/dev/null', CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' } });
if (process.argv[2] === 'down') {
  prisma('db', 'execute', '--schema', 'prisma/schema.prisma', '--file', `prisma/migrations/${name}/down.sql`);
} else {
  prisma('db', 'execute', '--schema', 'prisma/schema.prisma', '--file', `prisma/migrations/${name}/migration.sql`);
  prisma('migrate', 'resolve', '--applied', name);
}
