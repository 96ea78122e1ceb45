import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../src/cli/collect-garbage.js';

describe('collectGarbage (the CLI between reading and planning)', () => {
  it('collects an unreachable object in a process started without --expose-gc', async () => {
    let ref: WeakRef<object> | undefined;
    (() => {
      ref = new WeakRef({ payload: new Array(10_000).fill('x') });
    })();
    // A WeakRef's target is kept until the job that created it ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(ref!.deref()).toBeUndefined();
  });
});
