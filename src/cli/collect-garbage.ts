/**
 * A full garbage collection between the CLI's phases (plan's `afterRead`).
 *
 * Reading 10,000 tables parses ~12 MB of JSON into rows that are turned into
 * the catalog snapshot and dropped; by then V8 has moved them to the old
 * generation and sized its next collection at ~3× what was live at the
 * last one. The plan then grows the heap into that allowance, and the
 * process ended a changed check at ~300 MB RSS with ~65 MB live. One
 * collection here (~60 ms at that size) resets the allowance to what the
 * plan keeps: 230-250 MB peak, measured by `npm run bench`.
 *
 * `gc` is not exposed to a process started without --expose-gc (a bin
 * script cannot pass flags portably); V8 exposes it to contexts created
 * after the flag is set, which is what this does, once. Anything unexpected
 * makes it a no-op: it only ever saves memory.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const exposed: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      gc = typeof exposed === 'function' ? (exposed as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
