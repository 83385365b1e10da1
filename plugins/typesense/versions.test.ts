// The same backup → restore round trip against every emulated Typesense version (27..30), then the restores
// across the v30 line (29 → 30 and back): equal to the source modulo the conversions the plan listed
// (v30.ts: per-collection synonyms/overrides ⇄ synonym/curation sets, v1 ⇄ v30 analytics rules).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { createTempStorage, runBackup, runRestore, type TempStorage } from '../../test/contract/harness.ts';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import type { RestoreFacts } from '../../src/engines/contract.ts';
import { typesensePlugin } from './index.ts';
import { defaultSchema } from './test/engine.ts';
import { pluginFor, startEngine, type EmulatedEngine } from './test/emulated.ts';

type Json = Record<string, unknown>;

const VERSIONS = ['27.1', '28.0', '29.0', '30.0'] as const;
const SYNONYMS = [
  { id: 'phones', synonyms: ['smart phone', 'iphone'] },
  { id: 'tv', root: 'television', synonyms: ['tv', 'telly'] },
];
const OVERRIDES = [{ id: 'promo', rule: { query: 'sale', match: 'exact' }, includes: [{ id: '3', position: 1 }], excludes: [{ id: '7' }] }];
const RULE_V1 = { type: 'popular_queries', params: { source: { collections: ['books'] }, destination: { collection: 'top_queries' }, limit: 100 } };
const RULE_V30 = {
  type: 'popular_queries',
  collection: 'books',
  event_type: 'search',
  rule_tag: 'top',
  params: { destination_collection: 'top_queries', limit: 100, capture_search_requests: true, expand_query: false, meta_fields: [] },
};

const isV30 = (version: string): boolean => Number.parseInt(version, 10) >= 30;

/** Writes the same curation content in the shape the version takes. */
async function seed(engine: EmulatedEngine, version: string): Promise<void> {
  const { sdk } = engine;
  const api = sdk.apiCall;
  // Where the popular queries go: v30 refuses a rule whose collections do not exist.
  await engine.seedCollection(
    {
      name: 'top_queries',
      fields: [
        { name: 'q', type: 'string' },
        { name: 'count', type: 'int32' },
      ],
    },
    [],
  );
  if (isV30(version)) {
    await sdk.synonymSets('books-syn').upsert({ items: SYNONYMS } as never);
    await sdk.curationSets('books-cur').upsert({ items: OVERRIDES } as never);
    await engine.seedCollection({ ...defaultSchema, name: 'books', synonym_sets: ['books-syn'], curation_sets: ['books-cur'] }, makeDocuments(150));
    await api.put('/analytics/rules/top', RULE_V30);
  } else {
    await engine.seedCollection({ ...defaultSchema, name: 'books' }, makeDocuments(150));
    for (const { id, ...body } of SYNONYMS) await api.put(`/collections/books/synonyms/${id}`, body);
    for (const { id, ...body } of OVERRIDES) await api.put(`/collections/books/overrides/${id}`, body);
    await api.put('/analytics/rules/top', RULE_V1);
  }
  await sdk.stopwords().upsert('common', { stopwords: ['the', 'a'] });
  await sdk.presets().upsert('listing', { value: { q: '*', per_page: 10 } } as never);
}

/** Everything the round trip must bring back, read the way the version serves it. */
async function state(engine: EmulatedEngine, version: string): Promise<Json> {
  const api = engine.sdk.apiCall;
  const curation = isV30(version)
    ? { synonymSets: await api.get('/synonym_sets'), curationSets: await api.get('/curation_sets') }
    : { synonyms: await api.get('/collections/books/synonyms'), overrides: await api.get('/collections/books/overrides') };
  const summary = (await engine.sdk.collections('books').retrieve()) as unknown as Json;
  return {
    documents: await engine.documents('books'),
    schema: { ...summary, created_at: undefined },
    ...curation,
    analytics: await api.get('/analytics/rules'),
    stopwords: await api.get('/stopwords'),
    presets: await api.get('/presets'),
  };
}

async function wipe(engine: EmulatedEngine, version: string): Promise<void> {
  const api = engine.sdk.apiCall;
  await engine.sdk.collections('books').delete();
  await engine.sdk.collections('top_queries').delete();
  if (isV30(version)) {
    await api.delete('/synonym_sets/books-syn');
    await api.delete('/curation_sets/books-cur');
  }
  await api.delete('/analytics/rules/top');
  await engine.sdk.stopwords('common').delete();
  await engine.sdk.presets('listing').delete();
}

async function plan(engine: EmulatedEngine, temp: TempStorage, backupId: string, sourceEngineVersion: string): Promise<RestoreFacts> {
  const archive = await openArchiveReader({ storage: temp.storage, backupId });
  const request = {
    strategy: 'LOGICAL' as const,
    sourceEngineVersion,
    sources: ['books'],
    targets: ['books'],
    atomic: true,
    items: [{ source: 'books', target: 'books' }],
    archive,
  };
  return pluginFor(engine.config).restoreFacts!(request, AbortSignal.timeout(10_000));
}

describe('typesense round trip on every emulated version', () => {
  let temp: TempStorage;
  beforeAll(async () => {
    temp = await createTempStorage();
  });
  afterAll(async () => temp?.cleanup());

  it.each(VERSIONS)('Typesense %s: backup → restore gives the source back', async (version) => {
    const engine = await startEngine({ version });
    try {
      await seed(engine, version);
      const before = await state(engine, version);
      const instance = pluginFor(engine.config);
      const backup = await runBackup(typesensePlugin, instance, temp.storage, { collections: null });
      expect(backup.result.engineVersion).toBe(version);
      await wipe(engine, version);
      const facts = await plan(engine, temp, backup.backupId, version);
      expect(facts.conversions).toEqual([]);
      await runRestore(instance, temp.storage, backup.backupId, { collections: ['books', 'top_queries'], rename: {}, atomic: true });
      expect(await state(engine, version)).toEqual(before);
    } finally {
      await engine.stop();
    }
  });
});

describe('typesense restores across the v30 line', () => {
  let temp: TempStorage;
  let v29: EmulatedEngine;
  let v30: EmulatedEngine;
  beforeAll(async () => {
    temp = await createTempStorage();
    [v29, v30] = [await startEngine({ version: '29.0' }), await startEngine({ version: '30.0' })];
  });
  afterAll(async () => {
    await v29?.stop();
    await v30?.stop();
    await temp?.cleanup();
  });

  it('29 → 30: synonyms and overrides become the attached sets v30 upgrade makes; analytics rules take the v30 shape', async () => {
    await seed(v29, '29.0');
    const source = await state(v29, '29.0');
    const backup = await runBackup(typesensePlugin, pluginFor(v29.config), temp.storage, { collections: null });

    // A set of the name the conversion uses is already there (made by hand, or by an earlier upgrade): replaced, and said.
    await v30.sdk.synonymSets('books_synonyms_index').upsert({ items: [{ id: 'old', synonyms: ['x', 'y'] }] } as never);
    const facts = await plan(v30, temp, backup.backupId, '29.0');
    expect(facts.refusals).toEqual([]);
    expect(facts.conversions).toEqual([
      'Typesense 29.0 → 30.0: converted as listed',
      'collection books: 2 synonym(s) → synonym set books_synonyms_index, attached to books',
      'collection books: 1 override(s) → curation set books_curations_index, attached to books',
      'analytics rule top (popular_queries) → v30 rule(s) top tagged top',
    ]);
    expect(facts.warnings).toEqual(["synonym set books_synonyms_index exists on the target: replaced by the backup's (2 item(s))"]);

    const result = await runRestore(pluginFor(v30.config), temp.storage, backup.backupId, { collections: ['books', 'top_queries'], rename: {}, atomic: true });
    expect(result.warnings.filter((warning) => warning.startsWith('not restored'))).toEqual([]);
    const restored = await state(v30, '30.0');
    expect(restored['documents']).toEqual(source['documents']);
    expect(restored['schema']).toMatchObject({ synonym_sets: ['books_synonyms_index'], curation_sets: ['books_curations_index'] });
    // The items are the v29 listings, item for item (the engine's own views of them).
    expect(restored['synonymSets']).toEqual([{ name: 'books_synonyms_index', items: (source['synonyms'] as { synonyms: Json[] }).synonyms }]);
    expect(restored['curationSets']).toEqual([{ name: 'books_curations_index', items: (source['overrides'] as { overrides: Json[] }).overrides }]);
    expect(restored['analytics']).toEqual([{ ...RULE_V30, name: 'top' }]);
    expect(restored['stopwords']).toEqual(source['stopwords']);
    expect(restored['presets']).toEqual(source['presets']);
  });

  it('30 → 29: the sets a collection references become its own synonyms and overrides; an unattached set is a listed loss', async () => {
    for (const name of ['books', 'top_queries']) await v30.sdk.apiCall.delete(`/collections/${name}`);
    for (const path of ['/synonym_sets/books_synonyms_index', '/curation_sets/books_curations_index', '/analytics/rules/top']) await v30.sdk.apiCall.delete(path);
    await seed(v30, '30.0');
    await v30.sdk.synonymSets('orphan').upsert({ items: [{ id: 'x', synonyms: ['a', 'b'] }] } as never);
    const backup = await runBackup(typesensePlugin, pluginFor(v30.config), temp.storage, { collections: null });
    await wipe(v29, '29.0');

    const facts = await plan(v29, temp, backup.backupId, '30.0');
    expect(facts.refusals).toEqual([]);
    expect(facts.conversions).toEqual([
      'Typesense 30.0 → 29.0: converted as listed',
      'collection books: synonym sets books-syn → 2 per-collection synonym(s) of books',
      'collection books: curation sets books-cur → 1 per-collection override(s) of books',
      'analytics rule(s) top (v30) → v1 rule top',
    ]);
    expect(facts.warnings).toEqual(['lost: synonym sets orphan: attached to no restored collection, v29 has no global sets']);

    const result = await runRestore(pluginFor(v29.config), temp.storage, backup.backupId, { collections: ['books', 'top_queries'], rename: {}, atomic: true });
    expect(result.warnings).toContain('not restored: synonym sets orphan: attached to no restored collection, v29 has no global sets');
    const restored = await state(v29, '29.0');
    const sets = (await v30.sdk.apiCall.get('/synonym_sets')) as Array<{ name: string; items: Json[] }>;
    const curations = (await v30.sdk.apiCall.get('/curation_sets')) as Array<{ name: string; items: Json[] }>;
    expect(restored['synonyms']).toEqual({ synonyms: sets.find((set) => set.name === 'books-syn')!.items });
    expect(restored['overrides']).toEqual({ overrides: curations.find((set) => set.name === 'books-cur')!.items });
    expect(restored['analytics']).toEqual({ rules: [{ name: 'top', ...RULE_V1, params: { ...RULE_V1.params, source: { collections: ['books'], events: undefined } } }] });
    expect(restored['documents']).toEqual(await v30.documents('books'));
  });
});
