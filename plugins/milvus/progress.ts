// The poll pause of milvus-backup tasks, which wakes early when the job is canceled.
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms`, or less when `signal` fires; never throws. */
export async function pause(ms: number, signal: AbortSignal | null): Promise<void> {
  try {
    await sleep(ms, undefined, signal === null ? {} : { signal });
  } catch {
    // woken by the signal: the caller looks at it
  }
}
