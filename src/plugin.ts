// The public entry for plugin authors (`backup-gateway/plugin`): the contract, the archive a plugin reads and
// writes, the one error class with its codes, and the gateway's own zod — a plugin builds its config schema
// with the zod the gateway validates it with.
export * from './engines/contract.ts';
export * from './engines/upgrade-contract.ts';
export * from './engines/restore-kit.ts';
export * from './engines/transfer-kit.ts';
// Engine calls: bounded retries with backoff for idempotent requests, timers a Node timeout can hold.
export { backoffDelay, callEngine, DEFAULT_RETRY_POLICY, isTransientEngineError, MAX_TIMER_MS, timerMs, type EngineCallOptions, type RetryPolicy } from './engines/engine-call.ts';
export * from './engines/neutral.ts';
export { forEachConcurrently } from './engines/concurrency.ts';
export * from './storage/archive-types.ts';
export { nameRule, pathSegment, type NameRule } from './engines/names.ts';
export { ERROR_CATALOGUE, GatewayError, isErrorCode, type ErrorCode, type ErrorType } from './errors.ts';
export { z } from 'zod';
// Bounded reading of files from outside (dumps): gzip bomb, line length, JSON size and index count limits.
export {
  assertJsonWithinLimits,
  boundedGunzip,
  boundedLines,
  countBoundedLines,
  documentLineOptions,
  inputLimits,
  limitExceeded,
  readBounded,
  type InputLimits,
} from './storage/bounded-input.ts';
