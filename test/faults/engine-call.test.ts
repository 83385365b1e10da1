// The retry rule of engine calls: idempotent calls only, transient failures only, bounded, abortable.
import { describe, expect, it } from 'vitest';
import { backoffDelay, callEngine, DEFAULT_RETRY_POLICY, isTransientEngineError, MAX_TIMER_MS, timerMs } from '../../src/engines/engine-call.ts';
import { GatewayError } from '../../src/errors.ts';

const fast = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const unreachable = () => new GatewayError('engine_unreachable', 'reset');

describe('callEngine', () => {
  it('retries transient failures of idempotent calls, up to the attempts, and says how many it made', async () => {
    let calls = 0;
    const error = await callEngine({ idempotent: true, signal: new AbortController().signal, policy: fast }, async () => {
      calls++;
      throw unreachable();
    }).catch((e: unknown) => e as GatewayError);
    expect(calls).toBe(3);
    expect(error.code).toBe('engine_unreachable');
    expect(error.message).toContain('after 3 attempts');
    expect(error.details).toMatchObject({ attempts: 3 });
  });

  it('returns the first success', async () => {
    let calls = 0;
    const value = await callEngine({ idempotent: true, signal: new AbortController().signal, policy: fast }, async () => {
      if (++calls < 3) throw new GatewayError('engine_error', 'busy', { details: { status: 503 } });
      return 'ok';
    });
    expect([value, calls]).toEqual(['ok', 3]);
  });

  it('never retries a write, a timeout, or an answer that another attempt cannot change', async () => {
    for (const [idempotent, error] of [
      [false, unreachable()],
      [true, new GatewayError('engine_timeout', 'slow')],
      [true, new GatewayError('engine_error', 'bad request', { details: { status: 400 } })],
      [true, new GatewayError('engine_auth_failed', 'no')],
      [true, new GatewayError('collection_not_found', 'gone')],
      [true, new Error('not coded')],
    ] as const) {
      let calls = 0;
      await expect(
        callEngine({ idempotent, signal: new AbortController().signal, policy: fast }, async () => {
          calls++;
          throw error;
        }),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('stops waiting at once when the job is aborted during a backoff', async () => {
    const controller = new AbortController();
    let calls = 0;
    // A backoff far longer than the test may run: the call can only settle if the abort ends the wait.
    const pending = callEngine({ idempotent: true, signal: controller.signal, policy: { attempts: 5, baseDelayMs: 600_000, maxDelayMs: 600_000 } }, async () => {
      calls++;
      // Aborted once this attempt has failed, while the backoff before the next one runs.
      setImmediate(() => controller.abort(new GatewayError('job_canceled', 'stop')));
      throw unreachable();
    });
    await expect(pending).rejects.toMatchObject({ code: 'engine_unreachable' });
    expect(calls).toBe(1);
  });

  it('waits between half and all of an exponential, capped bound', () => {
    for (let n = 1; n <= 6; n++) {
      const bound = Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (n - 1));
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(DEFAULT_RETRY_POLICY, n);
        expect(delay).toBeGreaterThanOrEqual(bound / 2);
        expect(delay).toBeLessThanOrEqual(bound);
      }
    }
    expect(isTransientEngineError(new GatewayError('engine_error', 'x', { details: { status: 429 } }))).toBe(true);
    expect(isTransientEngineError(new GatewayError('engine_error', 'x'))).toBe(false);
  });

  it('keeps timeouts within what Node timers hold (a longer one would fire after 1 ms)', () => {
    expect(timerMs(30 * 24 * 3600 * 1000)).toBe(MAX_TIMER_MS);
    expect(timerMs(0)).toBe(1);
    expect(timerMs(400)).toBe(400);
  });
});
