// up: drizzle-kit migrate. down: drizzle-kit has none; pg-access wrote the downgrade beside the migration.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';

if (process.argv[2] === 'down') {
  const down = readdirSync('drizzle').filter((f) => f.endsWith('.down.sql')).sort().at(-1)!;
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(readFileSync(`drizzle/${down}`, 'utf8'));
  await client.end();
} else {
  // drizzle-kit's bin (bin.cjs beside its entry; its exports do not list it).
  const bin = join(dirname(createRequire(import.meta.url).resolve('drizzle-kit')), 'bin.cjs');
  execFileSync(process.execPath, [bin, 'migrate'], { stdio: 'inherit' });
}
