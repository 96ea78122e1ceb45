/**
 * A module `pull` wrote, kept as a user would keep it, in a folder of the
 * test's: its `import ... from 'pg-access'` pointed at this checkout's source
 * (as the installed package would be), then imported.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessDeclaration } from '../../src/index.js';

const repo = path.resolve(fileURLToPath(import.meta.url), '../../..');

export async function loadPulledModule(folder: string, name: string, source: string): Promise<{ file: string; declaration: AccessDeclaration }> {
  if (!source.includes(`from 'pg-access';`)) throw new Error(`the pulled module ${name} does not import pg-access`);
  const file = path.join(folder, `${name}.ts`);
  const relative = path.relative(folder, path.join(repo, 'src/index.js')).split(path.sep).join('/');
  writeFileSync(file, source.replace(`from 'pg-access';`, `from '${relative}';`));
  return { file, declaration: ((await import(file)) as { default: AccessDeclaration }).default };
}
