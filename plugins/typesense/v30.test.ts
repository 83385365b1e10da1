// The conversions across the v30 line on their own: analytics rules as `create_old_rule` migrates them and back,
// sets merged into per-collection items with every loss named.
import { describe, expect, it } from 'vitest';
import type { Satellites } from './satellites.ts';
import { analyticsRulesToV1, analyticsRulesToV30, convertSatellites } from './v30.ts';

const empty: Satellites = {
  aliases: undefined,
  synonyms: undefined,
  overrides: undefined,
  synonym_sets: undefined,
  curation_sets: undefined,
  stopwords: undefined,
  presets: undefined,
  analytics_rules: undefined,
  keys: undefined,
};

describe('typesense v30 conversions', () => {
  it('splits a v1 counter rule per event and collection, named <event>_<collection>, and regroups it by rule_tag', () => {
    const v1 = {
      name: 'clicks',
      type: 'counter',
      params: {
        source: { collections: ['a', 'b'], events: [{ type: 'click', name: 'c1', weight: 2 }] },
        destination: { collection: 'a', counter_field: 'popularity' },
      },
    };
    const up = analyticsRulesToV30([v1]);
    expect(up.rules).toEqual([
      { name: 'c1_a', type: 'counter', collection: 'a', event_type: 'click', rule_tag: 'clicks', params: { destination_collection: 'a', counter_field: 'popularity', weight: 2 } },
      { name: 'c1_b', type: 'counter', collection: 'b', event_type: 'click', rule_tag: 'clicks', params: { destination_collection: 'a', counter_field: 'popularity', weight: 2 } },
    ]);
    expect(up.report.losses).toEqual([]);
    const down = analyticsRulesToV1(up.rules);
    expect(down.rules).toEqual([v1]);
    expect(down.report.conversions).toEqual(['analytics rule(s) c1_a, c1_b (v30) → v1 rule clicks']);
  });

  it('names the v30 rules it cannot take down and the v1 rules it cannot take up', () => {
    expect(analyticsRulesToV1([{ name: 'log', type: 'log', collection: 'a', event_type: 'visit', params: {} }]).report.losses).toEqual([
      'analytics rule log (log): no such rule type before v30; not restored',
    ]);
    expect(analyticsRulesToV30([{ name: 'odd', type: 'popular_queries', params: { destination: { collection: 'q' } } }]).report.losses).toEqual([
      'analytics rule odd (popular_queries): no source collections, destination or known type; not converted',
    ]);
  });

  it('merges the sets a collection references, naming id clashes, v30-only curation fields and unreferenced sets', () => {
    const satellites: Satellites = {
      ...empty,
      synonym_sets: {
        synonym_sets: [
          { name: 's1', items: [{ id: 'x', root: '', synonyms: ['a', 'b'] }] },
          { name: 's2', items: [{ id: 'x', root: '', synonyms: ['c', 'd'] }] },
          { name: 'unused', items: [] },
        ],
      },
      curation_sets: {
        curation_sets: [{ name: 'c1', items: [{ id: 'p', rule: { query: 'q', match: 'exact', stem: true }, diversity: { similarity_metric: [] }, includes: [] }] }],
      },
    };
    const items = [{ source: 'books', target: 'books', body: { name: 'books', synonym_sets: ['s1', 's2'], curation_sets: ['c1', 'gone'] } as Record<string, unknown> }];
    const { satellites: converted, report } = convertSatellites(satellites, items, false);
    expect(items[0]!.body).toEqual({ name: 'books' });
    expect(converted.synonyms?.collections['books']).toEqual([{ id: 'x', root: '', synonyms: ['c', 'd'] }]);
    expect(converted.overrides?.collections['books']).toEqual([{ id: 'p', rule: { query: 'q', match: 'exact' }, includes: [] }]);
    expect(converted.synonym_sets).toBeUndefined();
    expect(report.losses).toEqual([
      'collection books: item x of s2 replaces the one of the same id from an earlier set (v29 ids are per collection)',
      'collection books: curation p of c1 loses `diversity` (no such override field before v30)',
      'collection books: curation p of c1 loses rule.stem (no such rule field before v30)',
      'collection books: curation sets gone is referenced but not in the backup',
      'synonym sets unused: attached to no restored collection, v29 has no global sets',
    ]);
  });

  it('attaches the upgraded sets under the target name when a collection is restored renamed', () => {
    const satellites: Satellites = { ...empty, synonyms: { collections: { books: [{ id: 'x', root: '', synonyms: ['a', 'b'] }] } }, overrides: { collections: { books: [] } } };
    const items = [{ source: 'books', target: 'books_v2', body: { name: 'books_v2' } as Record<string, unknown> }];
    const { satellites: converted, report } = convertSatellites(satellites, items, true);
    expect(items[0]!.body).toEqual({ name: 'books_v2', synonym_sets: ['books_v2_synonyms_index'] });
    expect(converted.synonym_sets).toEqual({ synonym_sets: [{ name: 'books_v2_synonyms_index', items: [{ id: 'x', synonyms: ['a', 'b'] }] }] });
    expect(converted.curation_sets).toEqual({ curation_sets: [] });
    expect(report.conversions).toEqual(['collection books: 1 synonym(s) → synonym set books_v2_synonyms_index, attached to books_v2']);
  });
});
