// What TYPESENSE_VERSION gates, version by version: the v30 sets replace per-collection synonyms/overrides,
// collections carry their attached sets, analytics rules change shape, and an export that meets a document
// deleted while it streams goes on with an error line (v30) or ends there (≤ v29), as upstream c79fdbca.
import { describe, expect, it } from 'vitest';
import { booksSchema, startTestEmulator } from './test-helpers.ts';

const VERSIONS = ['27.1', '28.0', '29.0', '30.0'] as const;
const v30 = (version: string): boolean => Number.parseInt(version, 10) >= 30;

describe('typesense emulator: TYPESENSE_VERSION gates routes and shapes', () => {
  it.each(VERSIONS)('%s: per-collection synonyms/overrides before v30, synonym/curation sets from v30', async (version) => {
    const { raw } = await startTestEmulator({ version });
    expect((await raw('GET', '/debug')).json).toMatchObject({ version });
    await raw('POST', '/collections', { body: JSON.stringify(booksSchema) });
    const synonyms = await raw('GET', '/collections/books/synonyms');
    const sets = await raw('GET', '/synonym_sets', v30(version) ? { spec: '/synonym_sets' } : {});
    const curations = await raw('GET', '/curation_sets', v30(version) ? { spec: '/curation_sets' } : {});
    if (v30(version)) {
      expect([synonyms.status, sets.status, curations.status]).toEqual([404, 200, 200]);
      const summary = (await raw('GET', '/collections/books', { spec: '/collections/{collectionName}' })).json;
      expect(summary).toMatchObject({ synonym_sets: [], curation_sets: [] });
      const set = await raw('PUT', '/synonym_sets/books_synonyms_index', {
        body: JSON.stringify({ items: [{ id: 'tv', synonyms: ['tv', 'telly'] }] }),
        spec: '/synonym_sets/{synonymSetName}',
      });
      const curation = { id: 'promo', rule: { query: 'sale', match: 'exact' }, includes: [{ id: '1', position: 1 }] };
      const cur = await raw('PUT', '/curation_sets/books_curations_index', { body: JSON.stringify({ items: [curation] }), spec: '/curation_sets/{curationSetName}' });
      expect(cur.status).toBe(200);
      expect((await raw('GET', '/curation_sets/books_curations_index/items', { spec: '/curation_sets/{curationSetName}/items' })).json).toEqual([
        expect.objectContaining(curation),
      ]);
      expect(set.json).toEqual({ name: 'books_synonyms_index', items: [{ id: 'tv', root: '', synonyms: ['tv', 'telly'] }] });
      const attached = await raw('PATCH', '/collections/books', { body: JSON.stringify({ synonym_sets: ['books_synonyms_index'] }) });
      expect(attached.status).toBe(200);
      expect((await raw('GET', '/collections/books')).json).toMatchObject({ synonym_sets: ['books_synonyms_index'] });
    } else {
      expect([synonyms.status, sets.status, curations.status]).toEqual([200, 404, 404]);
      expect(synonyms.json).toEqual({ synonyms: [] });
      expect((await raw('GET', '/collections/books')).json).not.toHaveProperty('synonym_sets');
    }
  });

  it.each(VERSIONS)('%s: analytics rules listed as {rules} before v30, as a bare array from v30', async (version) => {
    const { raw } = await startTestEmulator({ version });
    await raw('POST', '/collections', { body: JSON.stringify(booksSchema) });
    const rule = v30(version)
      ? { type: 'counter', collection: 'books', event_type: 'click', params: { destination_collection: 'books', counter_field: 'points', weight: 1 } }
      : {
          type: 'counter',
          params: { source: { collections: ['books'], events: [{ type: 'click', name: 'c', weight: 1 }] }, destination: { collection: 'books', counter_field: 'points' } },
        };
    const spec = v30(version) ? { spec: '/analytics/rules/{ruleName}' } : {};
    expect((await raw('PUT', '/analytics/rules/clicks', { body: JSON.stringify(rule), ...spec })).status).toBe(200);
    const listed = (await raw('GET', '/analytics/rules', v30(version) ? { spec: '/analytics/rules' } : {})).json;
    expect(listed).toEqual(v30(version) ? [{ ...rule, name: 'clicks' }] : { rules: [{ ...rule, name: 'clicks' }] });
    if (!v30(version)) return;
    // v30 holds a new rule to one existing collection and an event type that fits its type.
    const refused = async (body: object) => (await raw('PUT', '/analytics/rules/other', { body: JSON.stringify(body) })).json;
    expect(await refused({ ...rule, collection: 'nope' })).toEqual({ message: 'Collection nope does not exist' });
    expect(await refused({ ...rule, event_type: 'search' })).toEqual({ message: 'Event type or type is invalid (or) combination of both is invalid' });
    expect(await refused({ type: 'popular_queries', collection: 'books', event_type: 'search', params: { destination_collection: 'nope' } })).toEqual({
      message: 'Destination collection does not exist',
    });
  });

  it.each(VERSIONS)('%s: a document deleted while an export with exclude_fields streams', async (version) => {
    const { emulator, raw } = await startTestEmulator({ version });
    await raw('POST', '/collections', { body: JSON.stringify(booksSchema) });
    const documents = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: String(i), title: `t${i}`, points: i }));
    await raw('POST', '/collections/books/documents/import', { body: documents.join('\n') });
    // After the first batch is out, document 3 (in the second batch) is deleted.
    emulator.setOptions({
      beforeExportBatch: async (_collection, batch) => {
        if (batch === 1) expect((await raw('DELETE', '/collections/books/documents/3')).status).toBe(200);
      },
    });
    const exported = await raw('GET', '/collections/books/documents/export?batch_size=2&exclude_fields=tags');
    expect(exported.status).toBe(200);
    const lines = exported.text.split('\n');
    const kept = (i: number) => `{"id":"${i}","points":${i},"title":"t${i}"}`;
    if (v30(version)) {
      expect(lines).toEqual([kept(0), kept(1), kept(2), 'Error while getting seq_id of `3`: Not found.', kept(4), kept(5)]);
    } else {
      expect(lines).toEqual([kept(0), kept(1), kept(2), '{"message": "Not found."}']);
    }
    // Without include/exclude fields the scan's own snapshot is streamed as it is.
    emulator.setOptions({ beforeExportBatch: null });
    expect((await raw('GET', '/collections/books/documents/export')).text.split('\n')).toHaveLength(5);
  });
});
