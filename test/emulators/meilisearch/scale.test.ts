// 200k small documents in one index: one NDJSON addition, then paging anywhere in the index.
import { describe, expect, it } from 'vitest';
import { startTestEmulator } from './test-helpers.ts';

const COUNT = 200_000;

describe('meilisearch emulator: scale', () => {
  it('holds 200k documents and pages through them by offset', async () => {
    const { client } = await startTestEmulator();
    const ndjson = Array.from({ length: COUNT }, (_, i) => JSON.stringify({ id: i, title: `movie ${i}`, year: 1900 + (i % 120) })).join('\n');
    const task = await client.index('big').addDocumentsFromString(ndjson, 'application/x-ndjson').waitTask({ timeout: 20_000 });
    expect(task).toMatchObject({ status: 'succeeded', details: { receivedDocuments: COUNT, indexedDocuments: COUNT } });

    const last = await client.index('big').getDocuments({ offset: COUNT - 3, limit: 1_000 });
    expect(last.total).toBe(COUNT);
    expect(last.results.map((d) => d.id)).toEqual([COUNT - 3, COUNT - 2, COUNT - 1]);

    let seen = 0;
    for (let offset = 100_000; offset < 150_000; offset += 1_000) {
      const page = await client.index('big').getDocuments({ offset, limit: 1_000, fields: ['id'] });
      expect(page.results[0]).toEqual({ id: offset });
      seen += page.results.length;
    }
    expect(seen).toBe(50_000);
    expect((await client.index('big').getStats()).numberOfDocuments).toBe(COUNT);
  }, 30_000);
});
