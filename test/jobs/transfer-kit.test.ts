// The transfer kit every plugin uses instead of its own copy: selection by name, totals, document and percent
// progress, read-ahead paging. (archivedItems runs in every plugin's restore tests against the emulators.)
import { describe, expect, it } from 'vitest';
import { failIfMissing, percentProgress, readAhead, selectNamed, totalOf, transferProgress } from '../../src/engines/transfer-kit.ts';
import { GatewayError } from '../../src/errors.ts';
import { createTestJob } from '../../src/testing/harness.ts';

describe('transfer kit', () => {
  const all = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];

  it('selects by name in selection order, once each; an unknown name is collection_not_found naming every one', () => {
    expect(selectNamed(all, null, (c) => c.name, 'Typesense collection(s)')).toEqual(all);
    expect(selectNamed(all, ['c', 'a', 'c'], (c) => c.name, 'Typesense collection(s)').map((c) => c.name)).toEqual(['c', 'a']);
    let error: unknown;
    try {
      selectNamed(all, ['a', 'x', 'y'], (c) => c.name, 'Typesense collection(s)');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'collection_not_found', message: 'Typesense collection(s) not found: x, y', details: { collections: ['x', 'y'] } });
    expect(() => failIfMissing([], 'MagnetoDB table(s)')).not.toThrow();
  });

  it('sums counts, an unknown one adding nothing', () => {
    expect(totalOf([{ n: 2 }, { n: null }, { n: 5 }], (item) => item.n)).toBe(7);
    expect(totalOf([], () => 1)).toBe(0);
  });

  it('reports document progress against a total that grows but never falls below what is done', () => {
    const job = createTestJob();
    let bytes = 0;
    const progress = transferProgress(job.ctx, 10, { bytes: () => bytes });
    progress.report('documents', 'start');
    progress.completed = 12;
    bytes = 99;
    progress.report('documents');
    progress.grow(5);
    progress.report('documents', 'read again');
    expect(job.updates).toEqual([
      { phase: 'documents', completed: 0, total: 10, unit: 'documents', bytes: 0, message: 'start' },
      { phase: 'documents', completed: 12, total: 12, unit: 'documents', bytes: 99, message: null },
      { phase: 'documents', completed: 12, total: 15, unit: 'documents', bytes: 99, message: 'read again' },
    ]);
    const unknown = createTestJob();
    const items = transferProgress(unknown.ctx, null, { unit: 'items' });
    items.grow(3);
    items.report('items');
    expect(unknown.updates).toEqual([{ phase: 'items', completed: 0, total: null, unit: 'items', message: null }]);
  });

  it('reports percentages once per change, never going down, within 0–100', () => {
    const job = createTestJob();
    const report = percentProgress(job.ctx);
    report('creating', 10);
    report('creating', 10);
    report('creating', 5);
    report('creating', 250, { message: 'm' });
    expect(job.updates.map((u) => [u.phase, u.completed, u.total, u.unit])).toEqual([
      ['creating', 10, 100, 'percent'],
      ['creating', 100, 100, 'percent'],
    ]);
  });

  it('reads pages ahead: the next request leaves before the current page is handled, none after the last', async () => {
    const requested: number[] = [];
    const handled: number[] = [];
    const pages = readAhead(
      0,
      async (offset) => {
        requested.push(offset);
        return offset < 20 ? [offset, offset + 1] : [offset];
      },
      (page, offset) => (page.length === 2 ? offset + 10 : undefined),
    );
    for await (const page of pages) {
      handled.push(page[0]!);
      // When page N is handled, page N+1 was asked for already (unless N was the last).
      expect(requested.length).toBe(Math.min(handled.length + 1, 3));
    }
    expect(handled).toEqual([0, 10, 20]);
    expect(requested).toEqual([0, 10, 20]);
  });

  it('reads ahead from a null first cursor (a scan from the start)', async () => {
    const pages: string[] = [];
    for await (const page of readAhead<string | null, { items: string; next: string | null }>(
      null,
      async (start) => (start === null ? { items: 'first', next: 'k1' } : { items: `after ${start}`, next: null }),
      (page) => page.next ?? undefined,
    )) {
      pages.push(page.items);
    }
    expect(pages).toEqual(['first', 'after k1']);
  });
});
