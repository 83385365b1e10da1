// The same logical backup → restore against every emulated Meilisearch version, and across versions: an old
// instance restored into the current one (what users upgrade with) and the current one into an older one, each
// ending equal to the source modulo the conversions the restore plan lists. The current version also carries
// instance configuration (experimental features, a webhook, a network) and the settings gated by a feature.
import { Meilisearch, type Settings } from 'meilisearch';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempStorage, createTestJob, runBackup, runRestore, type TempStorage } from '../../test/contract/harness.ts';
import { makeDocuments } from '../../test/contract/engine-plugin-contract.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../../test/emulators/meilisearch/server.ts';
import { CURRENT_MEILISEARCH_VERSION, EMULATED_MEILISEARCH_VERSIONS, versionAtLeast } from '../../test/emulators/meilisearch/versions.ts';
import { meilisearchPlugin } from './index.ts';
import { succeeded } from './test/engine.ts';
import { downgradeConversions } from './versions.ts';

const MASTER_KEY = 'versions-master-key-0123456789';
const CURRENT = CURRENT_MEILISEARCH_VERSION;

interface Case {
  source: string;
  target: string;
}

const CASES: Case[] = [
  ...EMULATED_MEILISEARCH_VERSIONS.filter((v) => versionAtLeast(v, '1.0')).map((v) => ({ source: v, target: v })),
  ...EMULATED_MEILISEARCH_VERSIONS.filter((v) => v !== CURRENT).map((v) => ({ source: v, target: CURRENT })),
  { source: CURRENT, target: '1.16.0' },
  { source: CURRENT, target: '1.12.8' },
];

/** Settings every version since 0.23 has; the rest are added where the source version has them. */
function settingsFor(version: string): Settings {
  const settings: Settings = {
    displayedAttributes: ['id', 'title', 'rank', 'tags'],
    searchableAttributes: ['title', 'tags'],
    filterableAttributes: ['tags', 'rank'],
    sortableAttributes: ['rank'],
    rankingRules: ['sort', 'words', 'typo', 'proximity', 'attribute', 'exactness', 'rank:desc'],
    stopWords: ['the', 'a'],
    synonyms: { title: ['heading', 'name'] },
    distinctAttribute: 'title',
    typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 4, twoTypos: 10 } },
  };
  if (versionAtLeast(version, '0.28')) Object.assign(settings, { faceting: { maxValuesPerFacet: 42 }, pagination: { maxTotalHits: 500 } });
  if (versionAtLeast(version, '1.7')) settings.searchCutoffMs = 150;
  if (versionAtLeast(version, '1.12')) settings.facetSearch = false;
  if (versionAtLeast(version, '1.36')) settings.rankingRules = ['words', 'typo', 'proximity', 'attributeRank', 'sort', 'wordPosition', 'exactness', 'rank:desc'];
  return settings;
}

const emulators: MeilisearchEmulator[] = [];
let temp: TempStorage | undefined;
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
  await temp?.cleanup();
  temp = undefined;
});

async function start(version: string): Promise<{ emulator: MeilisearchEmulator; sdk: Meilisearch; raw: (method: string, path: string, body?: unknown) => Promise<unknown> }> {
  const emulator = await startMeilisearchEmulator({ masterKey: MASTER_KEY, version });
  emulators.push(emulator);
  const sdk = new Meilisearch({ host: emulator.url, apiKey: MASTER_KEY });
  const raw = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status, `${method} ${path}`).toBeLessThan(300);
    const text = await response.text();
    return text === '' ? null : (JSON.parse(text) as unknown);
  };
  return { emulator, sdk, raw };
}

/** The documents and settings of `uid`; settings limited to `keys` (what the source version has). */
async function contents(sdk: Meilisearch, uid: string, keys: string[]): Promise<{ documents: unknown[]; settings: Record<string, unknown> }> {
  const documents = (await sdk.index(uid).getDocuments({ limit: 1000 })).results.sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
  const settings = (await sdk.index(uid).getSettings()) as Record<string, unknown>;
  return { documents, settings: Object.fromEntries(keys.map((key) => [key, settings[key]])) };
}

/** The conversions a current → older restore lists, applied to what the source holds. */
function convertedFor(settings: Record<string, unknown>, target: string): Record<string, unknown> {
  if (versionAtLeast(target, '1.36') || !Array.isArray(settings['rankingRules'])) return settings;
  const rules: unknown[] = [];
  for (const rule of settings['rankingRules'] as unknown[]) {
    const mapped = rule === 'attributeRank' || rule === 'wordPosition' ? 'attribute' : rule;
    if (!(mapped === 'attribute' && rules.includes('attribute'))) rules.push(mapped);
  }
  return { ...settings, rankingRules: rules };
}

describe.each(CASES)('meilisearch logical backup $source → restore into $target', ({ source, target }) => {
  it('ends equal to the source modulo the conversions the plan lists', async () => {
    temp = await createTempStorage();
    const from = await start(source);
    const documents = makeDocuments(40);
    await succeeded(from.sdk.createIndex('books', { primaryKey: 'id' }));
    await succeeded(from.sdk.index('books').updateSettings(settingsFor(source)));
    await succeeded(from.sdk.index('books').addDocuments(documents));
    const withInstance = versionAtLeast(source, '1.39');
    if (withInstance) {
      await from.raw('PATCH', '/experimental-features', { foreignKeys: true, network: true, chatCompletions: true });
      await succeeded(from.sdk.index('books').updateSettings({ foreignKeys: [{ foreignIndexUid: 'authors', fieldName: 'author' }] } as Settings));
      await from.raw('POST', '/webhooks', { url: 'https://hooks.example/tasks', headers: { 'x-team': 'search' } });
      await from.raw('PATCH', '/network', { self: 'ms-0', remotes: { 'ms-0': { url: 'http://10.0.0.1:7700', searchApiKey: 'search-key' } } });
    }
    const sourceSettings = Object.keys((await from.sdk.index('books').getSettings()) as Record<string, unknown>);
    const before = await contents(from.sdk, 'books', sourceSettings);

    const sourceInstance = meilisearchPlugin.create(meilisearchPlugin.config.parse({ url: from.emulator.url, apiKey: MASTER_KEY }), { logger: createTestJob().ctx.logger });
    const backup = await runBackup(meilisearchPlugin, sourceInstance, temp.storage, { collections: ['books'] });
    expect(backup.result.engineVersion).toBe(source);

    const to = await start(target);
    const targetInstance = meilisearchPlugin.create(meilisearchPlugin.config.parse({ url: to.emulator.url, apiKey: MASTER_KEY }), { logger: createTestJob().ctx.logger });
    const restored = await runRestore(targetInstance, temp.storage, backup.backupId, { collections: ['books'], rename: {}, atomic: true, options: { keys: true, instance: true } });

    const targetSettings = Object.keys((await to.sdk.index('books').getSettings()) as Record<string, unknown>);
    const kept = sourceSettings.filter((key) => targetSettings.includes(key));
    const after = await contents(to.sdk, 'books', kept);
    expect(after.documents).toEqual(before.documents);
    // a newer target adds sub-settings with their defaults (e.g. typoTolerance.disableOnNumbers): a superset
    expect(after.settings).toMatchObject(convertedFor(Object.fromEntries(kept.map((key) => [key, before.settings[key]])), target));

    // every setting the target lacks is one the plan announced as dropped
    const dropped = sourceSettings.filter((key) => !targetSettings.includes(key));
    const plan = downgradeConversions(source, target).join('\n');
    for (const key of dropped) expect(plan).toContain(`\`${key}\``);

    if (withInstance && versionAtLeast(target, '1.39')) {
      expect(await to.raw('GET', '/experimental-features')).toMatchObject({ foreignKeys: true, network: true, chatCompletions: true });
      expect(await to.raw('GET', '/webhooks')).toMatchObject({ results: [{ url: 'https://hooks.example/tasks', headers: { 'x-team': 'search' } }] });
      expect(await to.raw('GET', '/network')).toMatchObject({ self: 'ms-0', remotes: { 'ms-0': { url: 'http://10.0.0.1:7700', searchApiKey: 'search-key' } } });
    } else if (withInstance) {
      // into an older version: the webhook is recreated where /webhooks exists, features it lacks are said
      const webhooks = versionAtLeast(target, '1.17') ? ((await to.raw('GET', '/webhooks')) as { results: unknown[] }).results : [];
      expect(webhooks.length).toBe(versionAtLeast(target, '1.17') ? 1 : 0);
      expect(restored.warnings.join('\n')).toMatch(/experimental feature foreignKeys not restored/);
      if (!versionAtLeast(target, '1.17')) expect(restored.warnings.join('\n')).toMatch(/webhook\(s\) not restored/);
    }
  });
});
