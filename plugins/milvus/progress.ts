// Job progress from milvus-backup's `progress` (0–100): numbers in percent, never going down, one update
// per change; and the poll pause, which wakes early when the job is canceled.
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobContext } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';

export type PercentReporter = (phase: string, percent: number, extra?: { bytes?: number | null; message?: string }) => void;

/** `engineTask`: the milvus-backup task id every update records, so a job re-queued after a gateway restart follows it. */
export function percentReporter(ctx: JobContext, engineTask?: string): PercentReporter {
  let lastPhase = '';
  let high = -1;
  return (phase, percent, extra = {}) => {
    const completed = Math.max(high, Math.min(100, Math.max(0, Math.trunc(percent))));
    if (phase === lastPhase && completed === high) return;
    lastPhase = phase;
    high = completed;
    ctx.progress({ phase, completed, total: 100, unit: 'percent', bytes: extra.bytes ?? null, message: extra.message ?? null, ...(engineTask ? { engineTask } : {}) });
  };
}

/** The gateway is shutting down (not a cancel): the milvus-backup task goes on, and the re-queued job follows it. */
export function isShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof GatewayError && signal.reason.code === 'interrupted';
}

/** Waits `ms`, or less when `signal` fires; never throws. */
export async function pause(ms: number, signal: AbortSignal | null): Promise<void> {
  try {
    await sleep(ms, undefined, signal === null ? {} : { signal });
  } catch {
    // woken by the signal: the caller looks at it
  }
}
