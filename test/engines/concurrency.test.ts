// forEachConcurrently: never more than `limit` tasks at once, started in list order, and after a failure no new
// start, the running ones awaited, the first error thrown.
import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../src/plugin.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachConcurrently', () => {
  it('keeps at most `limit` tasks running and starts them in order', async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      started.push(item);
      running++;
      most = Math.max(most, running);
      for (let i = 0; i < item % 3; i++) await tick();
      running--;
    });
    expect(most).toBe(3);
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing after a failure, waits for the running task, and throws the first error', async () => {
    const finished: number[] = [];
    const outcome = forEachConcurrently([1, 2, 3, 4], 2, async (item) => {
      if (item === 1) throw new Error('first');
      for (let i = 0; i < 5; i++) await tick();
      finished.push(item);
    });
    await expect(outcome).rejects.toThrow('first');
    expect(finished).toEqual([2]);
  });

  it('does nothing for no items and refuses a limit below 1', async () => {
    await forEachConcurrently([], 2, () => Promise.reject(new Error('never')));
    await expect(forEachConcurrently([1], 0, async () => undefined)).rejects.toThrow('limit');
  });
});
