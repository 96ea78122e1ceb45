#!/usr/bin/env node
// The `pg-access` command. An installed package runs the built CLI in dist/.
// In a checkout before `npm run build` (or with PG_ACCESS_FROM_SOURCE=1, which
// the tests set so they never run a stale build), it runs src/cli/main.ts
// through tsx, a devDependency.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function loadCli() {
  if (existsSync(fileURLToPath(built)) && !process.env.PG_ACCESS_FROM_SOURCE) return import(built.href);
  let tsImport;
  try {
    ({ tsImport } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('pg-access: error: the CLI is not built (dist/cli/main.js is missing) and tsx is not installed to run it from source. Run `npm run build`, or `npm install` for the devDependencies.\n');
    process.exit(2);
  }
  return tsImport(source.href, import.meta.url);
}

const { main } = await loadCli();
process.exitCode = await main(process.argv);
