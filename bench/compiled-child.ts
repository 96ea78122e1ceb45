/**
 * The measuring process runs pg-access as compiled JavaScript under plain
 * Node, as an application that installed the package runs it. Under tsx (how
 * the rest of the benchmark runs) every module is transformed on load, and
 * tsx's loader thread and caches added 25 MB at start and up to 80 MB at the
 * peak: memory that is the benchmark's, not pg-access's.
 * BENCH_MEASURE_UNDER_TSX=1 measures under tsx anyway, for comparison.
 *
 * tsc compiles the child's entry and everything it imports (src/, the
 * fixture) into node_modules/.cache, where `pg` still resolves.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const projectDir = path.dirname(benchDir);

export interface MeasuringChild {
  readonly entry: string;
  /** Node flags for the child (before any profiling flags). */
  readonly execArgv: readonly string[];
  /** How the child runs, for the report. */
  readonly how: string;
}

/** Compiles the child (a few seconds) unless BENCH_MEASURE_UNDER_TSX=1. */
export function prepareMeasuringChild(): MeasuringChild {
  if (process.env.BENCH_MEASURE_UNDER_TSX === '1') {
    return { entry: path.join(benchDir, 'measure-child.ts'), execArgv: process.execArgv, how: 'TypeScript under tsx (BENCH_MEASURE_UNDER_TSX=1)' };
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(benchDir, 'tsconfig.measure.json')], { cwd: projectDir, stdio: 'inherit' });
  return { entry: path.join(projectDir, 'node_modules/.cache/pg-access-bench/bench/measure-child.js'), execArgv: [], how: 'compiled JavaScript, plain node' };
}
