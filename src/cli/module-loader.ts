import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createJiti, type Jiti } from 'jiti';

/**
 * TypeScript config and access modules load without a build step, through
 * one of two loaders chosen by the size of the file:
 *
 * - jiti (as drizzle-kit loads drizzle.config.ts) for the usual hand-written
 *   module. `pg-access` itself is imported natively, so an installed CLI and
 *   the user's module share one copy.
 * - tsx (esbuild, with Node's own ES module loader) from LARGE_MODULE_BYTES:
 *   a generated declaration written out table by table. jiti transpiles with
 *   Babel, which took 35 s and 1.6 GB of memory for an 11 MB declaration of
 *   10,000 tables when nothing was cached (as in CI); tsx took 3.8 s and
 *   620 MB. tsx costs a fixed 0.1 to 0.2 s more to start (a loader thread,
 *   the esbuild service and a second copy of pg-access, which the module's
 *   objects come from), so small modules stay on jiti.
 *
 * Both understand the same TypeScript and ES modules; what a module imports
 * goes through the loader its entry file chose. Not quite the same: jiti's
 * Babel cannot transpile the decorated entity classes of a TypeORM or
 * MikroORM project (`@Column() id!: number` is a TRANSFORM_ERROR), which
 * esbuild compiles as the project's tsconfig says; a module jiti cannot
 * transpile is loaded again through tsx.
 */
export const LARGE_MODULE_BYTES = 1_000_000;

const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** The path a module path names: as written (a file or a folder with an index), else with the first extension that exists; undefined if none. */
export function moduleFile(file: string): string | undefined {
  if (existsSync(file)) return file;
  return MODULE_EXTENSIONS.map((ext) => file + ext).find((candidate) => existsSync(candidate));
}

let jiti: Jiti | undefined;

export async function loadModule(file: string): Promise<Record<string, any>> {
  const resolved = moduleFile(file) ?? file;
  if ((statSync(resolved, { throwIfNoEntry: false })?.size ?? 0) >= LARGE_MODULE_BYTES) return loadWithTsx(resolved);
  jiti ??= createJiti(import.meta.url, { interopDefault: false, nativeModules: ['pg-access'] });
  try {
    return await jiti.import<Record<string, any>>(file);
  } catch (error) {
    if (String((error as Error)?.message).startsWith('TRANSFORM_ERROR')) return loadWithTsx(resolved);
    throw error;
  }
}

async function loadWithTsx(file: string): Promise<Record<string, any>> {
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, any>;
}
