// Failed authentications per remote address in a sliding minute: past the limit that address is answered
// `rate_limited` without its key being looked at, so keys cannot be guessed at network speed.

const WINDOW_MS = 60_000;
/** Addresses remembered at most; the oldest are forgotten first (a flood of spoofed sources cannot grow memory). */
const MAX_ADDRESSES = 10_000;

export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfter(address: string, now = Date.now()): number {
    const recent = this.recent(address, now);
    if (recent.length < this.perMinute) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.perMinute]! + WINDOW_MS - now) / 1000));
  }

  recordFailure(address: string, now = Date.now()): void {
    const recent = this.recent(address, now);
    recent.push(now);
    if (recent.length > this.perMinute) recent.splice(0, recent.length - this.perMinute);
    this.failures.delete(address);
    this.failures.set(address, recent);
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(address: string, now: number): number[] {
    const list = (this.failures.get(address) ?? []).filter((at) => at > now - WINDOW_MS);
    if (list.length === 0) this.failures.delete(address);
    return list;
  }
}
