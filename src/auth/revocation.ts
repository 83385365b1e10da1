// Ends what a revoked key still holds open (SSE streams, WebSockets). Revocation on this replica is told at once;
// revocations made by another replica are found by one query per tick over the keys that hold something open.
import type { PrismaClient } from '../db/client.ts';

const TICK_MS = 400;

export class RevocationWatch {
  private readonly watchers = new Map<string, Set<() => void>>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(private readonly prisma: PrismaClient) {}

  /** Calls `onRevoked` once when key `keyId` is revoked (or deleted); returns the function that stops watching. */
  watch(keyId: string, onRevoked: () => void): () => void {
    let set = this.watchers.get(keyId);
    if (!set) this.watchers.set(keyId, (set = new Set()));
    let called = false;
    const once = () => {
      if (called) return;
      called = true;
      onRevoked();
    };
    set.add(once);
    this.timer ??= setInterval(() => void this.check(), TICK_MS).unref();
    return () => {
      set.delete(once);
      if (set.size === 0 && this.watchers.get(keyId) === set) this.watchers.delete(keyId);
      this.stopWhenIdle();
    };
  }

  /** This replica revoked `keyId`. */
  revoked(keyId: string): void {
    const set = this.watchers.get(keyId);
    this.watchers.delete(keyId);
    for (const onRevoked of set ?? []) onRevoked();
    this.stopWhenIdle();
  }

  close(): void {
    this.watchers.clear();
    this.stopWhenIdle();
  }

  private async check(): Promise<void> {
    if (this.checking || this.watchers.size === 0) return;
    this.checking = true;
    try {
      const ids = [...this.watchers.keys()];
      const live = await this.prisma.apiKey.findMany({ where: { id: { in: ids }, revokedAt: null }, select: { id: true } });
      const alive = new Set(live.map((row) => row.id));
      for (const id of ids) if (!alive.has(id)) this.revoked(id);
    } catch {
      // the database is briefly away (or closing): the next tick asks again
    } finally {
      this.checking = false;
    }
  }

  private stopWhenIdle(): void {
    if (this.watchers.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
  }
}
