// fillTable with a scripted MagnetoDB: batches run concurrently, yet an item of a newer chain layer never lands
// before an older write of the same key (still in flight, or waiting to retry what MagnetoDB left unprocessed).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ArchiveReader } from '../../src/storage/archive-types.ts';
import { createTestJob } from '../../test/contract/harness.ts';
import type { TransferOptions } from './backup.ts';
import type { MagnetoDbClient, TypedItem } from './client.ts';
import { fillTable } from './fill.ts';

const OPTIONS: TransferOptions = {
  pageSize: 100,
  batchSize: 3,
  maxRetries: 5,
  retryBaseDelayMs: 20,
  tableTimeoutMs: 1000,
  countItems: false,
  updatedAtAttribute: undefined,
  incrementalOverlapMs: 0,
};

const item = (id: string, version: string): TypedItem => ({ id: { S: id }, version: { S: version } });

/** An archive whose documents come in the given batches (as a chain reader yields a layer after another). */
function archiveOf(batches: TypedItem[][]): ArchiveReader {
  return {
    manifest: { collections: [{ name: 't', documentCount: batches.flat().length }] } as unknown as ArchiveReader['manifest'],
    readCollectionSchema: async () => ({}),
    readExtra: async () => null,
    async *readDocuments() {
      yield* batches;
    },
  } as unknown as ArchiveReader;
}

/**
 * A table that applies each put when its call answers. Older versions answer slowly, and the first call of a
 * batch holding `v1` of "b" leaves it unprocessed, so without ordering the newer versions would land first.
 */
function scriptedClient(table: Map<string, string>): { client: MagnetoDbClient; calls: string[][] } {
  const calls: string[][] = [];
  let leftB = false;
  const client = {
    async batchWriteItem(_name: string, items: readonly TypedItem[]): Promise<TypedItem[]> {
      calls.push(items.map((entry) => `${entry['id']!['S']}@${entry['version']!['S']}`));
      const old = items.some((entry) => entry['version']!['S'] === 'v1');
      await sleep(old ? 60 : 1);
      const unprocessed = !leftB ? items.filter((entry) => entry['id']!['S'] === 'b' && entry['version']!['S'] === 'v1') : [];
      if (unprocessed.length > 0) leftB = true;
      for (const entry of items) if (!unprocessed.includes(entry)) table.set(String(entry['id']!['S']), String(entry['version']!['S']));
      return unprocessed;
    },
  } as unknown as MagnetoDbClient;
  return { client, calls };
}

describe('magnetodb fillTable', () => {
  it('writes a key in archive order across concurrent batches and retries', async () => {
    const table = new Map<string, string>();
    const { client, calls } = scriptedClient(table);
    const job = createTestJob();
    const progress = { completed: 0, report: () => undefined };
    const archive = archiveOf([
      // base layer
      [item('a', 'v1'), item('b', 'v1'), item('c', 'v1')],
      [item('d', 'v1'), item('e', 'v1'), item('f', 'v1')],
      // increment: newer versions of a, b and f, and a key no earlier batch writes
      [item('a', 'v2'), item('g', 'v2'), item('b', 'v2')],
      [item('f', 'v2')],
    ]);
    const written = await fillTable({ client, options: OPTIONS, archive, ctx: job.ctx, progress }, 't', 't', ['id']);
    expect(written).toBe(10);
    expect(Object.fromEntries(table)).toEqual({ a: 'v2', b: 'v2', c: 'v1', d: 'v1', e: 'v1', f: 'v2', g: 'v2' });
    // b@v1 was retried alone before the increment's batch holding b went out.
    const retry = calls.findIndex((call) => call.length === 1 && call[0] === 'b@v1');
    const newer = calls.findIndex((call) => call.includes('b@v2'));
    expect(retry).toBeGreaterThan(-1);
    expect(newer).toBeGreaterThan(retry);
  });

  it('keeps the newest item when one batch holds a key twice (MagnetoDB refuses two operations on one key)', async () => {
    const table = new Map<string, string>();
    const { client, calls } = scriptedClient(table);
    const archive = archiveOf([[item('x', 'v2'), item('y', 'v2'), item('x', 'v3')]]);
    const progress = { completed: 0, report: () => undefined };
    await fillTable({ client, options: OPTIONS, archive, ctx: createTestJob().ctx, progress }, 't', 't', ['id']);
    expect(calls).toEqual([['y@v2', 'x@v3']]);
    expect(Object.fromEntries(table)).toEqual({ x: 'v3', y: 'v2' });
  });
});
