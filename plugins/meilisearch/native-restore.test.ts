// Native restore: real dump files (fixtures v1–v6 and the emulator's own) replayed over the API into the
// emulator, atomically, with rename, selection and rollback; and importBackup's inspection.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithShared, sharedPath } from '../../test/helpers/requirements.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../../test/emulators/meilisearch/server.ts';
import { writeDumpFile, jsonl } from '../../test/emulators/meilisearch/dumps-tar.ts';
import { createTempStorage, createTestJob, runNativeBackup, runNativeRestore, settleAfterCancel, type TempStorage } from '../../test/contract/harness.ts';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { createNativeSink } from '../../src/storage/native-sink.ts';
import { GatewayError } from '../../src/errors.ts';
import type { EngineInstance } from '../../src/engines/contract.ts';
import { meilisearchPlugin } from './index.ts';
import { readDumpIndex, readDumpSummary } from './dump/reader.ts';
import { settingsForTarget } from './dump/settings.ts';
import { meilisearchTestEngine, type MeilisearchTestEngine } from './test/engine.ts';

const FIXTURES = sharedPath('fixtures', 'meilisearch-dumps');
const MASTER_KEY = 'restore-master-key-0123456789';
const signal = () => AbortSignal.timeout(30_000);

let emulator: MeilisearchEmulator;
let engine: MeilisearchTestEngine;
let instance: EngineInstance;
let temp: TempStorage;

beforeAll(async () => {
  temp = await createTempStorage();
  emulator = await startMeilisearchEmulator({ masterKey: MASTER_KEY });
  const config = { url: emulator.url, apiKey: MASTER_KEY, dumpsDir: emulator.dumpsDir, batchSize: 40 };
  engine = meilisearchTestEngine({ url: emulator.url, apiKey: MASTER_KEY, config, setSlow: () => {}, stop: () => emulator.close() });
  instance = meilisearchPlugin.create(meilisearchPlugin.config.parse(config), { logger: createTestJob().ctx.logger });
});
afterAll(async () => {
  await emulator?.close();
  await temp?.cleanup();
});

/** Puts a dump file into gateway storage as a native backup, the way importBackup catalogs one. */
async function storeDump(path: string): Promise<string> {
  const backupId = randomUUID();
  const sink = createNativeSink({ storage: temp.storage, backupId });
  await sink.writeFile('imported.dump', createReadStream(path));
  const now = new Date().toISOString();
  await sink.finalize({ plugin: 'meilisearch', engineVersion: null, externalId: null, collections: [], warnings: [], createdAt: now, finishedAt: now });
  return backupId;
}

async function dumpDocuments(path: string, uid: string): Promise<Record<string, unknown>[]> {
  const documents: Record<string, unknown>[] = [];
  for await (const item of readDumpIndex(path, uid, { signal: signal() })) if (item.kind === 'documents') documents.push(...item.documents);
  return documents;
}

async function liveDocuments(uid: string): Promise<Record<string, unknown>[]> {
  const page = await engine.sdk.index(uid).getDocuments({ limit: 100_000, retrieveVectors: true });
  return page.results;
}

const byKey = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) => String(a[key]).localeCompare(String(b[key]));

/** Every setting of the (converted) dump that the target also has equals the target's value. */
function expectSettingsOf(live: Record<string, unknown>, fromDump: Record<string, unknown>): void {
  const setLike = new Set(['stopWords', 'sortableAttributes', 'nonSeparatorTokens', 'separatorTokens', 'dictionary']);
  for (const [key, value] of Object.entries(fromDump)) {
    if (!(key in live)) continue;
    if (setLike.has(key) && Array.isArray(value)) expect([...(live[key] as string[])].sort(), key).toEqual([...(value as string[])].sort());
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) expect(live[key], key).toMatchObject(value);
    else expect(live[key], key).toEqual(value);
  }
}

describeWithShared('meilisearch native restore of real dump files', () => {
  const cases = [
    { file: 'v1.dump', uid: 'movies', key: 'id' },
    { file: 'v2.dump', uid: 'movies', key: 'id' },
    { file: 'v2_v0.21.1_movies_with_settings.dump', uid: 'indexUID', key: 'id' },
    { file: 'v4_v0.25.2_rubygems_with_settings.dump', uid: 'rubygems', key: 'id' },
    { file: 'v5.dump', uid: 'products', key: 'sku' },
    { file: 'v6_v1.6.0_use_deactivated_experimental_setting.dump', uid: 'movies', key: 'id' },
    { file: 'v6-with-vectors.dump', uid: 'vector', key: 'id' },
  ];
  for (const { file, uid, key } of cases) {
    it(`restores ${uid} of ${file}: documents and settings equal the dump's`, async () => {
      const path = join(FIXTURES, file);
      const backupId = await storeDump(path);
      const target = `r_${file.replace(/\W/g, '_')}`;
      const result = await runNativeRestore(instance, temp.storage, backupId, { collections: [uid], rename: { [uid]: target }, atomic: true });
      const summary = await readDumpSummary(path, signal());
      const index = summary.indexes.find((candidate) => candidate.uid === uid)!;
      expect(result.collections).toEqual([{ source: uid, target, documentCount: index.documentCount }]);
      expect((await engine.sdk.getRawIndex(target)).primaryKey).toBe(index.primaryKey);

      const expected = (await dumpDocuments(path, uid)).sort(byKey(key));
      const live = (await liveDocuments(target)).sort(byKey(key));
      if (file === 'v6-with-vectors.dump') {
        // stored embeddings come back in the explicit form; compare the rest of each document
        const strip = (docs: Record<string, unknown>[]) => docs.map(({ _vectors: _ignored, ...rest }) => rest);
        expect(strip(live)).toEqual(strip(expected));
        expect(live.every((doc) => typeof doc['_vectors'] === 'object')).toBe(true);
      } else {
        expect(live.map(({ _vectors: _ignored, ...rest }) => rest)).toEqual(expected);
      }
      const converted = settingsForTarget(index.settings, summary.dumpVersion, '1.16.0').settings;
      expectSettingsOf(await engine.sdk.index(target).getSettings(), converted);
      expect((await engine.list()).filter((name) => name.startsWith('__gwstage_'))).toEqual([]);
    });
  }

  it('converts the old settings formats (v1 facets and ranking rules, v2 asc())', async () => {
    const v1 = await storeDump(join(FIXTURES, 'v1.dump'));
    const result = await runNativeRestore(instance, temp.storage, v1, { collections: ['movies'], rename: { movies: 'v1_movies' }, atomic: true });
    const settings = await engine.sdk.index('v1_movies').getSettings();
    expect(settings.rankingRules).toEqual(['typo', 'words', 'proximity', 'attribute', 'exactness', 'release_date:asc']);
    expect(settings.filterableAttributes).toEqual(['id', 'genres']);
    expect(result.warnings.join('\n')).toContain('wordsPosition');

    const v2 = await storeDump(join(FIXTURES, 'v2.dump'));
    await runNativeRestore(instance, temp.storage, v2, { collections: ['movies'], rename: { movies: 'v2_movies' }, atomic: true });
    expect((await engine.sdk.index('v2_movies').getSettings()).rankingRules).toEqual(['words', 'typo', 'proximity', 'attribute', 'exactness', 'release_date:asc']);
  });

  it('restores the selected indexes only, renamed, including an empty one', async () => {
    const backupId = await storeDump(join(FIXTURES, 'v3.dump'));
    const result = await runNativeRestore(instance, temp.storage, backupId, {
      collections: ['products', 'movies_2'],
      rename: { products: 'v3_products', movies_2: 'v3_empty' },
      atomic: true,
    });
    expect(result.collections).toEqual([
      { source: 'products', target: 'v3_products', documentCount: 10 },
      { source: 'movies_2', target: 'v3_empty', documentCount: 0 },
    ]);
    expect((await engine.sdk.index('v3_products').getStats()).numberOfDocuments).toBe(10);
    expect((await engine.list()).filter((name) => name.startsWith('v3_')).sort()).toEqual(['v3_empty', 'v3_products']);
    const error = await failure(runNativeRestore(instance, temp.storage, backupId, { collections: ['ghost'], rename: {}, atomic: true }));
    expect(error.code).toBe('collection_not_found');
  });

  it('a canceled restore leaves the target exactly as before', async () => {
    await engine.seedIndex('movies', 'id', makeDocuments(5, 'live'), { stopWords: ['live'] });
    const before = await engine.dump('movies');
    const backupId = await storeDump(join(FIXTURES, 'v2.dump'));
    emulator.setOptions({ taskDelayMs: 30 });
    try {
      const job = createTestJob();
      job.cancelWhen((update) => update.phase === 'documents' && update.completed >= 40);
      const outcome = await settleAfterCancel(runNativeRestore(instance, temp.storage, backupId, { collections: ['dnd_spells', 'movies'], rename: {}, atomic: true }, job), job);
      expect((outcome.error as GatewayError).code).toBe('job_canceled');
    } finally {
      emulator.setOptions({ taskDelayMs: 0 });
    }
    expect(await engine.dump('movies')).toEqual(before);
    const names = await engine.list();
    expect(names.filter((name) => name.startsWith('__gwstage_') || name === 'dnd_spells')).toEqual([]);
  });

  it('a failed restore rolls back and reports restore_failed', async () => {
    await engine.seedIndex('bad', 'id', [{ id: 'live' }]);
    const before = await engine.dump('bad');
    const at = new Date();
    writeDumpFile(
      temp.root,
      'broken',
      [
        { path: 'metadata.json', content: JSON.stringify({ dumpVersion: 'V6', dbVersion: '1.16.0', dumpDate: at.toISOString() }) },
        { path: 'indexes/bad/metadata.json', content: JSON.stringify({ uid: 'bad', primaryKey: 'id' }) },
        { path: 'indexes/bad/settings.json', content: JSON.stringify({ stopWords: ['x'] }) },
        { path: 'indexes/bad/documents.jsonl', content: jsonl([{ id: 'fine' }, { id: 'not a valid id!' }]) },
      ],
      at,
    );
    const backupId = await storeDump(join(temp.root, 'broken.dump'));
    const error = await failure(runNativeRestore(instance, temp.storage, backupId, { collections: ['bad'], rename: {}, atomic: true }));
    expect(error.code).toBe('restore_failed');
    expect(await engine.dump('bad')).toEqual(before);
    expect((await engine.list()).filter((name) => name.startsWith('__gwstage_'))).toEqual([]);
  });
});

describe('meilisearch native backup → restore end to end', () => {
  it("restores the emulator's own dump into an index equal to the original", async () => {
    await engine.seedIndex('roundtrip', 'id', makeDocuments(95), { searchableAttributes: ['title'], stopWords: ['a'] });
    const original = await engine.dump('roundtrip');
    const backup = await runNativeBackup(meilisearchPlugin, instance, temp.storage, { collections: null, name: 'rt', requestId: 'rt' });
    await engine.drop('roundtrip');
    await runNativeRestore(instance, temp.storage, backup.backupId, { collections: ['roundtrip'], rename: {}, atomic: true });
    expect(await engine.dump('roundtrip')).toEqual(original);
  });

  it('cannot restore a dump that stayed on the server', async () => {
    const external = meilisearchPlugin.create(meilisearchPlugin.config.parse({ url: emulator.url, apiKey: MASTER_KEY }), { logger: createTestJob().ctx.logger });
    const backup = await runNativeBackup(meilisearchPlugin, external, temp.storage, { collections: null, name: 'ext', requestId: 'ext' });
    const error = await failure(runNativeRestore(instance, temp.storage, backup.backupId, { collections: ['books'], rename: {}, atomic: true }));
    expect(error.code).toBe('capability_not_supported');
  });
});

describeWithShared('meilisearch inspectBackupFile', () => {
  it('describes a dump file without any engine', async () => {
    const inspected = await meilisearchPlugin.inspectBackupFile!(join(FIXTURES, 'v4.dump'), signal());
    expect(inspected).toMatchObject({ engineVersion: '0.27.2', format: 'meilisearch dump v4', createdAt: '2022-10-06T12:53:49.131989609Z' });
    expect(inspected.collections.map((c) => [c.name, c.documentCount])).toEqual([
      ['dnd_spells', 10],
      ['movies', 110],
      ['products', 10],
    ]);
    expect(inspected.warnings.join('\n')).toMatch(/2 API key\(s\) and 10 task\(s\)/);
    expect((await failure(meilisearchPlugin.inspectBackupFile!(join(FIXTURES, 'missing.dump'), signal()))).code).toBe('file_not_found');
  });
});

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the call to fail');
}
