// Work over a list with a bounded number of tasks at once: a backup reads a few collections side by side so the
// engine, compression (zlib's thread pool) and the gateway's own thread overlap. Plugins import it through
// src/plugin.ts.

/**
 * Runs `task` for every item, at most `limit` at once, starting them in list order. After the first failure no
 * further item starts; the running ones are awaited (so no work outlives the call) and that first error is thrown.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`forEachConcurrently: limit must be a positive integer, got ${limit}`);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
}
