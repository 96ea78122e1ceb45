// typeorm migration:run / migration:revert, with data-source.ts (TypeScript through tsx).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const cli = createRequire(import.meta.url).resolve('typeorm/cli.js');
execFileSync(process.execPath, ['--import', 'tsx', cli, process.argv[2] === 'down' ? 'migration:revert' : 'migration:run', '-d', 'data-source.ts'], { stdio: 'inherit' });
