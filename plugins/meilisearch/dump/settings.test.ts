// Settings of old dump formats converted for a current Meilisearch.
import { describe, expect, it } from 'vitest';
import { settingsForTarget } from './settings.ts';

describe('settingsForTarget', () => {
  it('turns v1 settings into current ones', () => {
    // indexUID/settings.json of v1_v0.20.0_movies_with_settings.dump
    const v1 = {
      rankingRules: ['typo', 'words', 'proximity', 'attribute', 'wordsPosition', 'exactness', 'desc(rank)'],
      distinctAttribute: null,
      searchableAttributes: ['title', 'overview'],
      displayedAttributes: ['genres', 'id', 'overview', 'poster', 'release_date', 'title'],
      stopWords: ['of', 'the'],
      synonyms: {},
      attributesForFaceting: ['genres'],
    };
    const { settings, warnings } = settingsForTarget(v1, 'V1', '1.16.0');
    expect(settings).toEqual({
      rankingRules: ['typo', 'words', 'proximity', 'attribute', 'exactness', 'rank:desc'],
      distinctAttribute: null,
      searchableAttributes: ['title', 'overview'],
      displayedAttributes: ['genres', 'id', 'overview', 'poster', 'release_date', 'title'],
      stopWords: ['of', 'the'],
      synonyms: {},
      filterableAttributes: ['genres'],
      sortableAttributes: ['genres'],
    });
    expect(warnings.join('\n')).toContain('wordsPosition');
    expect(warnings.join('\n')).toContain('attributesForFaceting');
  });

  it('rewrites 0.21 custom ranking rules and keeps 0.22+ ones', () => {
    expect(settingsForTarget({ rankingRules: ['words', 'asc(release_date)'] }, 'V2', '1.16.0').settings).toEqual({ rankingRules: ['words', 'release_date:asc'] });
    expect(settingsForTarget({ rankingRules: ['sort', 'fame:desc'] }, 'V3', '1.16.0').settings).toEqual({ rankingRules: ['sort', 'fame:desc'] });
  });

  it('leaves v6 settings alone for a current target', () => {
    const v6 = { rankingRules: ['words'], embedders: { default: { source: 'userProvided', dimensions: 3 } }, prefixSearch: 'indexingTime' };
    expect(settingsForTarget(v6, 'V6', '1.16.0')).toEqual({ settings: v6, warnings: [] });
  });

  it('drops settings an older target does not know', () => {
    const v6 = { stopWords: ['a'], facetSearch: true, proximityPrecision: 'byWord', faceting: { maxValuesPerFacet: 10, sortFacetValuesBy: { '*': 'count' } } };
    const { settings, warnings } = settingsForTarget(v6, 'V6', '1.2.0');
    expect(settings).toEqual({ stopWords: ['a'], faceting: { maxValuesPerFacet: 10 } });
    expect(warnings).toHaveLength(3);
    // Unknown target version: nothing dropped up front.
    expect(settingsForTarget(v6, 'V6', null).settings).toEqual(v6);
  });
});
