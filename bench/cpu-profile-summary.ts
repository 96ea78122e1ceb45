/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and
 * per file, heaviest first. Used by `BENCH_CPU_PROF=1 npm run bench`, or on
 * its own: `tsx bench/cpu-profile-summary.ts file.cpuprofile`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatNumber, renderTable } from './report-table.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules >= 0) return path.slice(inModules + 'node_modules/'.length);
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path || '(native)';
}

/** Frames V8 reports that are not JavaScript functions: shown apart, not ranked. */
const NOT_CODE = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Whether the profile ran pg-access code (tsx's loader thread writes a profile of its own). */
export function profilesProjectCode(file: string): boolean {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return profile.nodes.some((n) => n.callFrame.url.includes('/src/'));
}

/**
 * Self time per function and per file, as a share of the busy (non-idle) time.
 * Line numbers are left out: tsx's transpiled code does not keep them.
 */
export function summarizeCpuProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const special = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    if (NOT_CODE.has(frame.functionName)) {
      special.set(frame.functionName, (special.get(frame.functionName) ?? 0) + micros);
      continue;
    }
    const where = shortUrl(frame.url);
    const fn = `${frame.functionName || '(anonymous)'}  ${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    byFile.set(where, (byFile.get(where) ?? 0) + micros);
  }
  const sampled = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const idle = special.get('(idle)') ?? 0;
  const total = sampled - idle;
  const gc = special.get('(garbage collector)') ?? 0;
  const program = special.get('(program)') ?? 0;
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => [name, formatNumber(micros / 1000, 0), `${formatNumber((100 * micros) / total, 1)}%`]);
  return [
    `CPU profile ${file}`,
    `${formatNumber(sampled / 1000, 0)} ms sampled: ${formatNumber(idle / 1000, 0)} ms idle (waiting on PostgreSQL), ${formatNumber(total / 1000, 0)} ms busy, of which ${formatNumber(gc / 1000, 0)} ms garbage collection and ${formatNumber(program / 1000, 0)} ms (program). Shares below are of busy time.`,
    '',
    renderTable(['self time by function (builtins such as JSON.stringify count in their caller)', 'ms', 'share'], rows(byFunction)),
    '',
    renderTable(['self time by file', 'ms', 'share'], rows(byFile).slice(0, 15)),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const file of process.argv.slice(2)) console.log(summarizeCpuProfile(file));
}
