// mikro-orm migration:up / migration:down, with mikro-orm.config.ts (TypeScript through tsx).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The mikro-orm bin (cli beside the package's entry; its exports do not list it).
const cli = join(dirname(createRequire(import.meta.url).resolve('@mikro-orm/cli')), 'cli');
execFileSync(process.execPath, ['--import', 'tsx', cli, process.argv[2] === 'down' ? 'migration:down' : 'migration:up'], {
  stdio: 'inherit',
  env: { ...process.env, MIKRO_ORM_CLI_CONFIG: './mikro-orm.config.ts', MIKRO_ORM_CLI_ALWAYS_ALLOW_TS: '1' },
});
