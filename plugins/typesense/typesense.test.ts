// The Typesense plugin against the in-process emulator: the shared contract, then what is specific to
// Typesense (aliases and the switch, synonyms/overrides, globals, keys, masked embedding secrets,
// per-line import failures).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEnginePluginContract, makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { createTempStorage, createTestJob, openBackupSession, runBackup, runRestore, type TempStorage } from '../../test/contract/harness.ts';
import { openArchiveReader } from '../../src/storage/archive-reader.ts';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { typesensePlugin } from './index.ts';
import { defaultSchema, sampleSettings } from './test/engine.ts';
import { API_KEY, failure, pluginFor, startEngine, type EmulatedEngine } from './test/emulated.ts';

describeEnginePluginContract({ plugin: typesensePlugin, startEngine: () => startEngine(), sampleSettings });

/** The physical collection a restore fills and puts behind an alias: named live, with the job id (never like a staging copy). */
const STAGING = /__gwlive_[0-9a-f]{32}$/;

describe('typesense plugin specifics', () => {
  let engine: EmulatedEngine;
  let instance: EngineInstance;
  let temp: TempStorage;

  beforeAll(async () => {
    temp = await createTempStorage();
    engine = await startEngine();
    instance = pluginFor(engine.config);
  });
  afterAll(async () => {
    await engine?.stop();
    await temp?.cleanup();
  });

  const collectionNames = async (): Promise<string[]> => ((await engine.sdk.collections().retrieve()) as { name: string }[]).map((c) => c.name).sort();
  const aliasesOf = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await engine.sdk.aliases().retrieve()).aliases.map((alias) => [alias.name, alias.collection_name]));

  it('lists restore leftovers: staging copies and job-named live copies no alias points at, never a live one', async () => {
    const hex = '0123456789abcdef0123456789abcdef';
    const fields = [{ name: 'title', type: 'string' as const }];
    for (const name of [`__gwstage_${hex}_left`, `left__gwlive_${hex}`, `kept__gwlive_${hex}`, 'plain']) await engine.sdk.collections().create({ name, fields });
    await engine.sdk.aliases().upsert('kept', { collection_name: `kept__gwlive_${hex}` });
    expect((await instance.listStaging!('__gwstage_', AbortSignal.timeout(5000))).sort()).toEqual([`__gwstage_${hex}_left`, `left__gwlive_${hex}`]);
    const facts = await instance.restoreFacts!(
      { strategy: 'LOGICAL', sourceEngineVersion: null, sources: ['kept'], targets: ['kept', 'absent'], atomic: true },
      AbortSignal.timeout(5000),
    );
    expect(facts.existing).toEqual([{ name: 'kept', documentCount: 0 }]);
    for (const name of [`__gwstage_${hex}_left`, `left__gwlive_${hex}`, 'plain']) await engine.sdk.collections(name).delete();
    await engine.sdk.aliases('kept').delete();
    await engine.sdk.collections(`kept__gwlive_${hex}`).delete();
  });

  it('round-trips aliases, synonyms, overrides, stopwords, presets and analytics rules; keeps key metadata only', async () => {
    const { sdk } = engine;
    await engine.seedCollection({ ...defaultSchema, name: 'books' }, makeDocuments(120));
    await sdk.aliases().upsert('library', { collection_name: 'books' });
    await sdk
      .collections('books')
      .synonyms()
      .upsert('smart-phone', { synonyms: ['smart phone', 'iphone'] });
    await sdk
      .collections('books')
      .synonyms()
      .upsert('blazer', { root: 'blazer', synonyms: ['coat', 'jacket'] });
    await sdk
      .collections('books')
      .overrides()
      .upsert('pin-first', { rule: { query: 'title', match: 'exact' }, includes: [{ id: 'doc-000001', position: 1 }] } as never);
    await sdk.stopwords().upsert('common', { stopwords: ['the', 'a', 'of'], locale: 'en' });
    await sdk.presets().upsert('listing', { value: { query_by: 'title', per_page: 30 } } as never);
    await sdk.analyticsV1
      .rules()
      .upsert('top-queries', { type: 'popular_queries', params: { source: { collections: ['books'] }, destination: { collection: 'books_queries' }, limit: 100 } } as never);
    const key = await sdk.keys().create({ description: 'search only', actions: ['documents:search'], collections: ['books'] });
    const before = {
      dump: await engine.dump('books'),
      synonyms: await sdk.collections('books').synonyms().retrieve(),
      overrides: await sdk.collections('books').overrides().retrieve(),
      stopwords: await sdk.stopwords().retrieve(),
      presets: await sdk.presets().retrieve(),
      rules: await sdk.analyticsV1.rules().retrieve(),
    };

    const backup = await runBackup(typesensePlugin, instance, temp.storage, { collections: null });
    const archive = await openArchiveReader({ storage: temp.storage, backupId: backup.backupId });
    expect(await archive.readExtra('aliases')).toEqual({ aliases: [{ name: 'library', collection_name: 'books' }] });
    const keys = (await archive.readExtra('keys')) as { keys: Record<string, unknown>[] };
    expect(keys.keys).toEqual([
      {
        id: key.id,
        description: 'search only',
        actions: ['documents:search'],
        collections: ['books'],
        expires_at: key.expires_at,
        autodelete: false,
        value_prefix: key.value!.slice(0, 4),
      },
    ]);
    const extras = JSON.stringify(await Promise.all(['aliases', 'synonyms', 'overrides', 'stopwords', 'presets', 'analytics_rules', 'keys'].map((n) => archive.readExtra(n))));
    for (const secret of [key.value!, API_KEY]) expect(extras).not.toContain(secret);

    await sdk.aliases('library').delete();
    await sdk.collections('books').delete();
    await sdk.stopwords('common').delete();
    await sdk.presets('listing').delete();
    await sdk.keys(key.id).delete();
    const restored = await runRestore(instance, temp.storage, backup.backupId, { collections: ['books'], rename: {}, atomic: true });
    expect(restored.collections).toEqual([{ source: 'books', target: 'books', documentCount: 120 }]);
    expect(restored.warnings.join('\n')).toMatch(/1 API key\(s\) not restored/);

    expect(await engine.dump('books')).toEqual(before.dump);
    expect(await aliasesOf()).toMatchObject({ library: 'books' });
    expect(await sdk.collections('books').synonyms().retrieve()).toEqual(before.synonyms);
    expect(await sdk.collections('books').overrides().retrieve()).toEqual(before.overrides);
    expect(await sdk.stopwords().retrieve()).toEqual(before.stopwords);
    expect(await sdk.presets().retrieve()).toEqual(before.presets);
    expect(await sdk.analyticsV1.rules().retrieve()).toEqual(before.rules);
  });

  it('keeps the old data readable through an alias until the switch, then drops the copy a previous restore made', async () => {
    await engine.seedCollection({ ...defaultSchema, name: 'orders_v1' }, makeDocuments(600, 'archived'));
    const archived = await engine.documents('orders_v1');
    const backup = await runBackup(typesensePlugin, instance, temp.storage, { collections: ['orders_v1'] });
    await engine.seedCollection({ ...defaultSchema, name: 'orders_v1' }, [{ id: 'old-marker', title: 'old', rank: 1, tags: [] }]);
    await engine.sdk.aliases().upsert('orders', { collection_name: 'orders_v1' });

    const observations: { count: number; marker: boolean }[] = [];
    let done = false;
    const observe = (async () => {
      while (!done) {
        const documents = await engine.documents('orders');
        observations.push({ count: documents.length, marker: documents.some((d) => d['id'] === 'old-marker') });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await engine.setSlow(true);
    let result;
    try {
      result = await runRestore(instance, temp.storage, backup.backupId, { collections: ['orders_v1'], rename: { orders_v1: 'orders' }, atomic: true });
    } finally {
      done = true;
      await observe;
      await engine.setSlow(false);
    }
    // Every read saw the whole old collection or the whole restored one, never a mix.
    for (const seen of observations)
      expect([
        { count: 1, marker: true },
        { count: 600, marker: false },
      ]).toContainEqual(seen);
    expect(observations.filter((seen) => seen.marker).length).toBeGreaterThan(1);
    const first = (await aliasesOf())['orders']!;
    expect(first).toMatch(STAGING);
    expect(await engine.documents('orders')).toEqual(archived);
    // orders_v1 was not made by the gateway: it stays, with a warning.
    expect(result.warnings.join('\n')).toContain('collection orders_v1 is no longer behind any alias');
    expect(await collectionNames()).toContain('orders_v1');

    await runRestore(instance, temp.storage, backup.backupId, { collections: ['orders_v1'], rename: { orders_v1: 'orders' }, atomic: true });
    const second = (await aliasesOf())['orders']!;
    expect(second).not.toBe(first);
    expect(await collectionNames()).not.toContain(first);
    expect(await engine.documents('orders')).toEqual(archived);
  });

  it('replaces a live collection: its aliases move to the restored copy first, then its name answers through an alias', async () => {
    await engine.seedCollection({ ...defaultSchema, name: 'stock' }, makeDocuments(40));
    await engine.sdk.aliases().upsert('inventory', { collection_name: 'stock' });
    const archived = await engine.dump('stock');
    const backup = await runBackup(typesensePlugin, instance, temp.storage, { collections: ['stock'] });
    await engine.seedCollection({ ...defaultSchema, name: 'stock' }, makeDocuments(3, 'live'));

    await runRestore(instance, temp.storage, backup.backupId, { collections: ['stock'], rename: {}, atomic: true });
    const aliases = await aliasesOf();
    expect(aliases['stock']).toMatch(/^stock__gwlive_[0-9a-f]{32}$/);
    expect(aliases['inventory']).toBe(aliases['stock']);
    expect(await engine.dump('stock')).toEqual(archived);
    expect(await engine.dump('inventory')).toEqual(archived);
    expect(await collectionNames()).not.toContain('stock');
  });

  it('reports the exact number of refused documents and the first errors, drops the staging copy and keeps the live collection', async () => {
    const { backupId, session } = openBackupSession(temp.storage);
    await session.writeCollectionSchema('ledger', {
      schema: {
        name: 'ledger',
        fields: [
          { name: 'title', type: 'string' },
          { name: 'points', type: 'int32' },
        ],
      },
    });
    const bad = new Set([3, 57, 101, 102, 180, 199, 240]);
    const documents = Array.from({ length: 250 }, (_, i) =>
      bad.has(i + 1) ? (i % 2 ? { id: `l${i + 1}`, title: `t${i + 1}`, points: 'many' } : { id: `l${i + 1}`, points: i }) : { id: `l${i + 1}`, title: `t${i + 1}`, points: i },
    );
    const sink = session.openDocuments('ledger');
    await sink.write(documents);
    await sink.close();
    const now = new Date().toISOString();
    await session.finalize({ plugin: 'typesense', engineVersion: '29.0', strategy: 'LOGICAL', type: 'FULL', createdAt: now, finishedAt: now, warnings: [] });
    await engine.seedCollection(
      {
        name: 'ledger',
        fields: [
          { name: 'title', type: 'string' },
          { name: 'points', type: 'int32' },
        ],
      },
      [{ id: 'live', title: 'live', points: 1 }],
    );
    const live = await engine.dump('ledger');

    for (const rename of [{}, { ledger: 'ledger_copy' }] as Record<string, string>[]) {
      const error = await failure(runRestore(instance, temp.storage, backupId, { collections: ['ledger'], rename, atomic: true }));
      expect(error.code).toBe('restore_failed');
      expect(error.message).toMatch(/^7 document\(s\) failed to import/);
      expect(error.details).toMatchObject({ failed: 7, imported: 243 });
      const firstErrors = error.details!['firstErrors'] as { line: number; id: string; error: string; code: number }[];
      expect(firstErrors.map((e) => e.line)).toEqual([3, 57, 101, 102, 180]);
      expect(firstErrors[0]).toMatchObject({ id: 'l3', code: 400, error: 'Field `title` has been declared in the schema, but is not found in the document.' });
      expect(firstErrors[3]).toMatchObject({ id: 'l102', code: 400, error: 'Field `points` must be an int32.' });
      expect(error.message).toContain('ledger');
    }
    expect(await engine.dump('ledger')).toEqual(live);
    expect((await collectionNames()).filter((name) => name.startsWith('ledger'))).toEqual(['ledger']);
  });

  it('imports with upsert when configured: duplicate ids in the archive replace each other instead of failing', async () => {
    const { backupId, session } = openBackupSession(temp.storage);
    await session.writeCollectionSchema('dupes', { schema: { name: 'dupes', fields: [{ name: 'title', type: 'string' }] } });
    const sink = session.openDocuments('dupes');
    await sink.write([
      { id: 'a', title: 'first' },
      { id: 'b', title: 'b' },
      { id: 'a', title: 'second' },
    ]);
    await sink.close();
    const now = new Date().toISOString();
    await session.finalize({ plugin: 'typesense', engineVersion: '29.0', strategy: 'LOGICAL', type: 'FULL', createdAt: now, finishedAt: now, warnings: [] });

    const created = await failure(runRestore(instance, temp.storage, backupId, { collections: ['dupes'], rename: {}, atomic: true }));
    expect(created.details).toMatchObject({ failed: 1, imported: 2 });
    expect(created.message).toContain('A document with id a already exists.');
    const upserting = pluginFor({ ...(engine.config as object), importAction: 'upsert' });
    await runRestore(upserting, temp.storage, backupId, { collections: ['dupes'], rename: {}, atomic: true });
    expect(await engine.documents('dupes')).toEqual([
      { id: 'a', title: 'second' },
      { id: 'b', title: 'b' },
    ]);
  });

  it('never stores a masked embedding credential, and needs it re-supplied to restore', async () => {
    const model = 'openai/text-embedding-3-small';
    const schema = {
      name: 'semantic',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'embedding', type: 'float[]', num_dim: 4, embed: { from: ['title'], model_config: { model_name: model, api_key: 'sk-real-secret-value-123' } } },
      ],
    };
    await engine.seedCollection(schema, [
      { id: 's1', title: 'hello' },
      { id: 's2', title: 'world' },
    ]);
    const before = await engine.documents('semantic');

    const backup = await runBackup(typesensePlugin, instance, temp.storage, { collections: ['semantic'] });
    expect(backup.result.warnings.join('\n')).toContain('field embedding (openai/text-embedding-3-small) has its api_key masked');
    const archive = await openArchiveReader({ storage: temp.storage, backupId: backup.backupId });
    const stored = JSON.stringify(await archive.readCollectionSchema('semantic'));
    for (const leak of ['sk-real', 'sk-re*', '*****']) expect(stored).not.toContain(leak);
    expect(stored).toContain('"secretsRemoved":[{"field":"embedding","credential":"api_key","model":"openai/text-embedding-3-small"}]');

    await engine.drop('semantic');
    const refused = await failure(runRestore(instance, temp.storage, backup.backupId, { collections: ['semantic'], rename: {}, atomic: true }));
    expect(refused.code).toBe('restore_failed');
    expect(refused.message).toContain(`modelApiKeys["${model}"]`);
    expect(await collectionNames()).not.toContain('semantic');

    const resupplied = pluginFor({ ...(engine.config as object), modelApiKeys: { [model]: 'sk-new-key-456789' } });
    await runRestore(resupplied, temp.storage, backup.backupId, { collections: ['semantic'], rename: {}, atomic: true });
    const field = (await engine.sdk.collections('semantic').retrieve()).fields.find((f) => f.name === 'embedding') as unknown as { embed: { model_config: { api_key: string } } };
    expect(field.embed.model_config.api_key).toBe(`sk-ne${'*'.repeat('sk-new-key-456789'.length - 5)}`);
    expect(await engine.documents('semantic')).toEqual(before);
  });

  it('backs up and restores v30 synonym sets and curation sets', async () => {
    const v30 = await startEngine({ version: '30.0' });
    try {
      const { sdk } = v30;
      const plugin30 = pluginFor(v30.config);
      await sdk.synonymSets('products-syn').upsert({ items: [{ id: 'tv', synonyms: ['tv', 'television'] }] });
      await sdk.curationSets('products-cur').upsert({ items: [{ id: 'promo', rule: { tags: ['sale'] }, includes: [{ id: 'p1', position: 1 }] }] } as never);
      await v30.seedCollection({ ...defaultSchema, name: 'products', synonym_sets: ['products-syn'], curation_sets: ['products-cur'] }, makeDocuments(10));
      const before = { dump: await v30.dump('products'), synonyms: await sdk.synonymSets().retrieve(), curations: await sdk.curationSets().retrieve() };
      const backup = await runBackup(typesensePlugin, plugin30, temp.storage, { collections: ['products'] });
      expect(backup.result.engineVersion).toBe('30.0');

      await sdk.collections('products').delete();
      await sdk.synonymSets('products-syn').delete();
      await sdk.curationSets('products-cur').delete();
      await runRestore(plugin30, temp.storage, backup.backupId, { collections: ['products'], rename: {}, atomic: true });
      expect(await v30.dump('products')).toEqual(before.dump);
      expect(await sdk.synonymSets().retrieve()).toEqual(before.synonyms);
      expect(await sdk.curationSets().retrieve()).toEqual(before.curations);
    } finally {
      await v30.stop();
    }
  });

  it('maps a refused API key to engine_auth_failed, and health says so', async () => {
    const wrong = pluginFor({ ...(engine.config as object), apiKey: 'not-the-key' });
    const error = await failure(wrong.listCollections(AbortSignal.timeout(5000)));
    expect(error.code).toBe('engine_auth_failed');
    expect(error.message).toContain('Forbidden - a valid `x-typesense-api-key` header must be sent.');
    expect(error.details).toMatchObject({ status: 401 });
    const health = await wrong.health(AbortSignal.timeout(5000));
    expect(health).toMatchObject({ ok: false, version: null });
    expect(health.message).toContain('401');
  });

  it('maps a stalled export to engine_timeout after timeoutMs of silence', async () => {
    const slow = await startEngine({}, { timeoutMs: 300 });
    const { session } = openBackupSession(temp.storage);
    try {
      await slow.seedCollection({ ...defaultSchema, name: 'slow' }, makeDocuments(250));
      slow.emulator.setOptions({ exportDelayMs: 1000 });
      const started = performance.now();
      const error = await failure(pluginFor(slow.config).logicalBackup!({ collections: ['slow'] }, session, createTestJob().ctx));
      // The 300 ms silence timeout fired (the stalled batch would have come after 1 s): the coded error, after at least the timeout.
      expect(error.code).toBe('engine_timeout');
      expect(error.message).toContain('300 ms');
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await session.abort();
      await slow.stop();
    }
  });
});
