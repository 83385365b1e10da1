// Shared engine-call plumbing for plugin clients: bounded retries with backoff for idempotent calls only.
// Every client already bounds each request by its own timeout and the job's AbortSignal and codes every failure;
// this decides which coded failures are worth another attempt, and how long to wait before it.
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  attempts: number;
  /** Wait before the first retry; doubled each time, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 3 attempts, waits of ≤ 250 ms then ≤ 500 ms: a dropped connection or a restarting engine is bridged, a dead one is not hidden. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 2_000 };

/** The longest delay Node's timers take: a longer one (a timeoutMs of a month) would fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timeout as timers can hold it: at least 1 ms, at most MAX_TIMER_MS (~24.8 days). */
export function timerMs(ms: number): number {
  return Math.min(Math.max(1, Math.floor(ms)), MAX_TIMER_MS);
}

/** HTTP statuses that say "try again" without saying the request did anything. */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * A failure another attempt may cure: no connection, a reset or cut answer, or the engine (or a proxy in front
 * of it) saying it is overloaded or briefly unavailable. Auth, validation and not-found never are. Nor is a
 * timeout: that request already waited its whole timeoutMs, and waiting again only keeps a hung engine's job
 * alive longer.
 */
export function isTransientEngineError(error: unknown): boolean {
  if (!(error instanceof GatewayError)) return false;
  if (error.code === 'engine_unreachable') return true;
  const status = error.details?.['status'];
  return error.code === 'engine_error' && typeof status === 'number' && TRANSIENT_STATUSES.has(status);
}

export interface EngineCallOptions {
  /** Only calls that may run twice without harm (reads, PUT-style upserts) are ever retried. */
  idempotent: boolean;
  signal: AbortSignal;
  policy?: RetryPolicy;
  /** Told before each retry (for logs and tests). */
  onRetry?: (info: { attempt: number; delayMs: number; error: GatewayError }) => void;
}

/**
 * Runs `attempt` (one request, already bounded by its own timeout), retrying transient failures of idempotent
 * calls. The last failure is thrown as it was, with `details.attempts` added; a fired signal ends the waits at once.
 */
export async function callEngine<T>(options: EngineCallOptions, attempt: (n: number) => Promise<T>): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const attempts = options.idempotent ? Math.max(1, policy.attempts) : 1;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal.aborted || n >= attempts || !isTransientEngineError(error)) throw n > 1 ? withAttempts(error, n) : error;
      const delayMs = backoffDelay(policy, n);
      options.onRetry?.({ attempt: n, delayMs, error: error as GatewayError });
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch {
        throw withAttempts(error, n);
      }
    }
  }
}

/** Equal jitter: between half and all of the exponential bound, so replicas retrying together spread out. */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(bound / 2 + (Math.random() * bound) / 2);
}

function withAttempts(error: unknown, attempts: number): unknown {
  if (!(error instanceof GatewayError)) return error;
  return new GatewayError(error.code, `${error.message} (after ${attempts} attempts)`, { cause: error.cause ?? error, details: { ...error.details, attempts } });
}
