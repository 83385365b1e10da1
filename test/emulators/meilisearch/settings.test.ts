// Index settings: Meilisearch's defaults, partial PATCH with `null` resets, full reset, masked
// embedder secrets, validation errors.
import { describe, expect, it } from 'vitest';
import { apiError, errorBody, startTestEmulator } from './test-helpers.ts';

const DEFAULTS = {
  displayedAttributes: ['*'],
  searchableAttributes: ['*'],
  filterableAttributes: [],
  sortableAttributes: [],
  rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'],
  stopWords: [],
  nonSeparatorTokens: [],
  separatorTokens: [],
  dictionary: [],
  synonyms: {},
  distinctAttribute: null,
  proximityPrecision: 'byWord',
  typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 }, disableOnWords: [], disableOnAttributes: [], disableOnNumbers: false },
  faceting: { maxValuesPerFacet: 100, sortFacetValuesBy: { '*': 'alpha' } },
  pagination: { maxTotalHits: 1000 },
  embedders: {},
  searchCutoffMs: null,
  localizedAttributes: null,
  facetSearch: true,
  prefixSearch: 'indexingTime',
};

describe('meilisearch emulator: settings', () => {
  it('returns the full default settings object of v1.16', async () => {
    const { client } = await startTestEmulator({ version: '1.16.0' });
    await client.createIndex('s').waitTask();
    const settings = await client.index('s').getSettings();
    expect(settings).toEqual(DEFAULTS);
    expect(Object.keys(settings)).toEqual(Object.keys(DEFAULTS));
  });

  it('merges partial updates, resets with null and creates a missing index', async () => {
    const { client } = await startTestEmulator({ version: '1.16.0' });
    const index = client.index('s');
    const task = await index.updateSettings({ sortableAttributes: ['year', 'title', 'year'], typoTolerance: { enabled: false }, faceting: { maxValuesPerFacet: 42 } }).waitTask();
    expect(task).toMatchObject({ status: 'succeeded', type: 'settingsUpdate', indexUid: 's' });
    expect(task.details).toEqual({ sortableAttributes: ['title', 'year'], typoTolerance: { enabled: false }, faceting: { maxValuesPerFacet: 42 } });

    await index.updateSettings({ typoTolerance: { minWordSizeForTypos: { oneTypo: 3 } }, searchCutoffMs: 150 }).waitTask();
    const settings = await index.getSettings();
    expect(settings.sortableAttributes).toEqual(['title', 'year']);
    expect(settings.typoTolerance).toEqual({ ...DEFAULTS.typoTolerance, enabled: false, minWordSizeForTypos: { oneTypo: 3, twoTypos: 9 } });
    expect(settings.faceting).toEqual({ maxValuesPerFacet: 42, sortFacetValuesBy: { '*': 'alpha' } });
    expect(settings.searchCutoffMs).toBe(150);

    await index.updateSettings({ sortableAttributes: null, typoTolerance: null }).waitTask();
    const reset = await index.getSettings();
    expect(reset.sortableAttributes).toEqual([]);
    expect(reset.typoTolerance).toEqual(DEFAULTS.typoTolerance);
    expect(reset.searchCutoffMs).toBe(150);

    const all = await index.resetSettings().waitTask();
    expect(all.details).toMatchObject({ displayedAttributes: null, searchCutoffMs: null });
    expect(await index.getSettings()).toEqual(DEFAULTS);
  });

  it('masks embedder API keys on GET and in task details', async () => {
    const { client } = await startTestEmulator();
    const index = client.index('e');
    const task = await index
      .updateSettings({
        embedders: {
          default: {
            source: 'rest',
            url: 'https://localhost:7777',
            apiKey: 'My super secret value you will never guess',
            dimensions: 4,
            request: { input: '{{text}}' },
            response: { data: '{{embedding}}' },
          },
        },
      })
      .waitTask();
    expect(task.details).toEqual({
      embedders: {
        default: { source: 'rest', url: 'https://localhost:7777', apiKey: 'My suXXXXXX...', dimensions: 4, request: { input: '{{text}}' }, response: { data: '{{embedding}}' } },
      },
    });
    const embedders = (await index.getSettings()).embedders ?? {};
    expect(embedders.default).toMatchObject({ source: 'rest', apiKey: 'My suXXXXXX...', documentTemplateMaxBytes: 400, headers: {} });
    await index.updateSettings({ embedders: { default: null } }).waitTask();
    expect((await index.getSettings()).embedders).toEqual({});
  });

  it('validates settings with the engine codes and messages', async () => {
    const { client, raw } = await startTestEmulator();
    const wrongType = await apiError(client.index('s').updateSettings({ displayedAttributes: 'doggo' as unknown as string[] }));
    expect(wrongType).toMatchObject({
      status: 400,
      ...errorBody('invalid_settings_displayed_attributes', 'Invalid value type at `.displayedAttributes`: expected an array, but found a string: `"doggo"`'),
    });
    const unknown = await raw('PATCH', '/indexes/s/settings', { body: '{"doggo":1}', headers: { 'content-type': 'application/json' } });
    expect(unknown.body).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^Unknown field `doggo`: expected one of `displayedAttributes`/) });
    const rule = await apiError(client.index('s').updateRankingRules(['words', 'doggo']));
    expect(rule.code).toBe('invalid_settings_ranking_rules');
    const deletedOnMissing = await client.index('nowhere').resetSettings().waitTask();
    expect(deletedOnMissing).toMatchObject({ status: 'failed', error: { code: 'index_not_found' } });
  });
});
