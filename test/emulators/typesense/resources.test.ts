// Aliases, synonyms, overrides, stopwords, presets, keys, analytics rules and v30 sets: driven with the
// official client, the raw answers checked against the published OpenAPI spec.
import { describe, expect, it } from 'vitest';
import { booksSchema, clientError, startTestEmulator } from './test-helpers.ts';

describe('typesense emulator: resources', () => {
  it('aliases: upsert, get, list, delete, 404 "Collection not found"', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    const put = await raw('PUT', '/aliases/library', { body: '{"collection_name":"books"}', spec: '/aliases/{aliasName}' });
    expect(put.json).toEqual({ collection_name: 'books', name: 'library' });
    expect((await raw('GET', '/aliases', { spec: '/aliases' })).json).toEqual({ aliases: [{ collection_name: 'books', name: 'library' }] });
    expect(await client.aliases('library').retrieve()).toEqual({ collection_name: 'books', name: 'library' });
    expect((await raw('PUT', '/aliases/x', { body: '{}' })).json).toEqual({ message: 'Parameter `collection_name` is required.' });
    await raw('DELETE', '/aliases/library', { spec: '/aliases/{aliasName}' });
    expect(await clientError(client.aliases('library').retrieve())).toEqual({ status: 404, name: 'ObjectNotFound', message: 'Collection not found' });
  });

  it('synonyms and overrides per collection (≤ v29), in their view shapes', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    await client
      .collections('books')
      .synonyms()
      .upsert('phones', { synonyms: ['phone', 'mobile'] });
    await client
      .collections('books')
      .synonyms()
      .upsert('coat', { root: 'coat', synonyms: ['jacket'], locale: 'en' });
    const synonyms = await raw('GET', '/collections/books/synonyms', { spec: '/collections/{collectionName}/synonyms' });
    expect(synonyms.json).toEqual({
      synonyms: [
        { id: 'phones', root: '', synonyms: ['phone', 'mobile'] },
        { id: 'coat', locale: 'en', root: 'coat', synonyms: ['jacket'] },
      ],
    });
    expect((await raw('PUT', '/collections/books/synonyms/bad', { body: '{"synonyms":[]}' })).json).toEqual({ message: 'Could not find a valid string array of `synonyms`' });

    await client
      .collections('books')
      .overrides()
      .upsert('pin', { rule: { query: 'apple', match: 'exact' }, includes: [{ id: '1', position: 1 }] } as never);
    await client
      .collections('books')
      .overrides()
      .upsert('filter', { rule: { tags: ['promo'] }, filter_by: 'points:>10' } as never);
    const overrides = await raw('GET', '/collections/books/overrides', { spec: '/collections/{collectionName}/overrides' });
    expect(overrides.json).toEqual({
      overrides: [
        {
          excludes: [],
          filter_curated_hits: false,
          id: 'pin',
          includes: [{ id: '1', position: 1 }],
          remove_matched_tokens: false,
          rule: { match: 'exact', query: 'apple' },
          stop_processing: true,
        },
        {
          excludes: [],
          filter_by: 'points:>10',
          filter_curated_hits: false,
          id: 'filter',
          includes: [],
          remove_matched_tokens: true,
          rule: { tags: ['promo'] },
          stop_processing: true,
        },
      ],
    });
    expect((await raw('PUT', '/collections/books/overrides/bad', { body: '{"rule":{"query":"x","match":"exact"}}' })).json).toEqual({
      message: 'Must contain one of: `includes`, `excludes`, `metadata`, `filter_by`, `sort_by`, `remove_matched_tokens`, `replace_query`.',
    });
    expect((await raw('GET', '/collections/nope/synonyms')).json).toEqual({ message: 'Collection not found' });
  });

  it('stopwords and presets', async () => {
    const { client, raw } = await startTestEmulator();
    await client.stopwords().upsert('common', { stopwords: ['The', 'a'], locale: 'en' });
    expect((await raw('GET', '/stopwords', { spec: '/stopwords' })).json).toEqual({ stopwords: [{ id: 'common', locale: 'en', stopwords: ['the', 'a'] }] });
    expect((await raw('GET', '/stopwords/common', { spec: '/stopwords/{setId}' })).json).toEqual({ stopwords: { id: 'common', locale: 'en', stopwords: ['the', 'a'] } });
    expect((await raw('GET', '/stopwords/none')).json).toEqual({ message: 'Stopword `none` not found.' });
    expect((await raw('PUT', '/stopwords/x', { body: '{}' })).json).toEqual({ message: 'Parameter `stopwords` is required' });

    await client.presets().upsert('listing', { value: { query_by: 'title' } } as never);
    expect((await raw('GET', '/presets', { spec: '/presets' })).json).toEqual({ presets: [{ name: 'listing', value: { query_by: 'title' } }] });
    expect((await raw('GET', '/presets/none')).json).toEqual({ message: 'Not found.' });
  });

  it('keys: the value only on creation, a 4-character prefix afterwards', async () => {
    const { client, raw } = await startTestEmulator();
    const created = await raw('POST', '/keys', { body: JSON.stringify({ description: 'search', actions: ['documents:search'], collections: ['*'] }), spec: '/keys' });
    expect(created.status).toBe(201);
    const value = (created.json as { value: string }).value;
    expect(value.length).toBeGreaterThan(20);
    const listed = await raw('GET', '/keys', { spec: '/keys' });
    expect(listed.json).toEqual({
      keys: [{ actions: ['documents:search'], autodelete: false, collections: ['*'], description: 'search', expires_at: 64723363199, id: 0, value_prefix: value.slice(0, 4) }],
    });
    expect(listed.text).not.toContain(value);
    const chosen = await client.keys().create({ description: 'kept', actions: ['*'], collections: ['*'], value: 'chosen-value' } as never);
    expect(chosen.value).toBe('chosen-value');
    expect((await raw('POST', '/keys', { body: '{"actions":["*"],"collections":["*"]}' })).json).toEqual({ message: 'Could not find a `description` key.' });
  });

  it('analytics rules: v1 shape up to v29, a bare array on v30', async () => {
    const rule = { type: 'popular_queries', params: { source: { collections: ['books'] }, destination: { collection: 'top' }, limit: 10 } };
    const v29 = await startTestEmulator();
    await v29.client.analyticsV1.rules().upsert('top', rule as never);
    expect((await v29.raw('GET', '/analytics/rules', { spec: '/analytics/rules' })).json).toEqual({ rules: [{ name: 'top', ...rule }] });
    const v30 = await startTestEmulator({ version: '30.0' });
    // v30 refuses the v1 shape (no collection, no event type); its own shape needs both collections to exist.
    expect((await v30.raw('PUT', '/analytics/rules/top', { body: JSON.stringify(rule) })).json).toEqual({ message: 'Event type is required when creating a new analytics rule' });
    for (const name of ['books', 'top']) await v30.raw('POST', '/collections', { body: JSON.stringify({ ...booksSchema, name }) });
    const rule30 = { type: 'popular_queries', collection: 'books', event_type: 'search', params: { destination_collection: 'top', limit: 10 } };
    await v30.raw('PUT', '/analytics/rules/top', { body: JSON.stringify(rule30) });
    expect((await v30.raw('GET', '/analytics/rules', { spec: '/analytics/rules' })).json).toEqual([{ name: 'top', ...rule30 }]);
  });

  it('v30: synonym and curation sets replace the per-collection routes', async () => {
    const { client, raw } = await startTestEmulator({ version: '30.0' });
    await client.collections().create(booksSchema as never);
    expect((await raw('GET', '/collections/books/synonyms')).json).toEqual({ message: 'Not Found' });
    await client.synonymSets('products').upsert({ items: [{ id: 'tv', synonyms: ['tv', 'television'] }] });
    expect((await raw('GET', '/synonym_sets', { spec: '/synonym_sets' })).json).toEqual([{ items: [{ id: 'tv', root: '', synonyms: ['tv', 'television'] }], name: 'products' }]);
    await raw('PUT', '/synonym_sets/products/items/phone', { body: '{"synonyms":["phone","mobile"]}', spec: '/synonym_sets/{synonymSetName}/items/{itemId}' });
    expect((await client.synonymSets('products').retrieve()).items).toHaveLength(2);
    await client.curationSets('promos').upsert({ items: [{ id: 'p', rule: { tags: ['sale'] }, includes: [{ id: '1', position: 1 }] }] } as never);
    await raw('GET', '/curation_sets/promos', { spec: '/curation_sets/{curationSetName}' });
    expect((await raw('GET', '/synonym_sets/none')).json).toEqual({ message: 'Synonym index not found' });
  });
});
