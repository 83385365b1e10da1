// The neutral description's pairs, as pure functions: vectors (Meilisearch userProvided embedders ↔ Typesense
// float[] with num_dim), synonyms both ways, auto-embedding listed not invented, exact MagnetoDB numbers, type checks.
import { describe, expect, it } from 'vitest';
import { fitsType, inferFields } from '../../src/engines/neutral.ts';
import { meilisearchNeutral } from '../../plugins/meilisearch/neutral.ts';
import { typesenseNeutral } from '../../plugins/typesense/neutral.ts';
import { exactNumber, magnetodbNeutral } from '../../plugins/magnetodb/neutral.ts';

const noExtras = async () => undefined;

describe('neutral description pairs', () => {
  it('carries user-provided Meilisearch vectors to a Typesense float[] field with num_dim, and back', async () => {
    const schemaFile = {
      uid: 'films',
      primaryKey: 'id',
      settings: {
        filterableAttributes: ['year'],
        sortableAttributes: ['year'],
        embedders: { own: { source: 'userProvided', dimensions: 3 }, cloud: { source: 'openAi', model: 'text-embedding-3-small' } },
        synonyms: { film: ['movie'], movie: ['film'] },
      },
    };
    const raw = [{ id: 1, title: 'A', year: 1999, _vectors: { own: [0.1, 0.2, 0.3], cloud: { embeddings: [[1, 2]], regenerate: true } } }];
    const sample = raw.map((d) => meilisearchNeutral.readDocument!(d, undefined as never));
    const neutral = await meilisearchNeutral.read({ collection: 'films', schemaFile, extra: noExtras, sample });
    expect(neutral.fields.find((f) => f.name === 'own')).toEqual({ name: 'own', type: 'vector', roles: ['vector'], dims: 3 });
    expect(neutral.embedders).toEqual(['embedder cloud (openAi)']);
    expect(neutral.notCarried).toContain('embedder cloud: an auto-embedding configuration (openAi); its vectors are not carried');

    const typesense = typesenseNeutral.write!(neutral, 'films');
    const fields = (typesense.schemaFile as { schema: { fields: Array<Record<string, unknown>> } }).schema.fields;
    expect(fields).toContainEqual({ name: 'own', type: 'float[]', num_dim: 3, optional: true });
    expect(fields).toContainEqual({ name: 'year', type: 'int64', optional: true });
    expect(typesense.notCarried).toContain('embedder cloud (openAi): listed, not recreated');
    expect(typesense.extras['synonyms']).toEqual({
      collections: {
        films: [
          { id: 'synonym-1', root: 'film', synonyms: ['movie'] },
          { id: 'synonym-2', root: 'movie', synonyms: ['film'] },
        ],
      },
    });
    expect(typesenseNeutral.writeDocument!({ ...sample[0]!, cloud: undefined }, neutral)).toEqual({
      document: { id: '1', title: 'A', year: 1999, own: [0.1, 0.2, 0.3], cloud: undefined },
    });

    // Back: the Typesense vector field becomes a userProvided embedder, its values go to _vectors.
    const back = await typesenseNeutral.read({
      collection: 'films',
      schemaFile: typesense.schemaFile,
      extra: async (name) => typesense.extras[name],
      sample: [{ id: '1', title: 'A', year: 1999, own: [0.1, 0.2, 0.3] }],
    });
    const meili = meilisearchNeutral.write!(back, 'films');
    expect((meili.schemaFile as { settings: Record<string, unknown> }).settings['embedders']).toEqual({ own: { source: 'userProvided', dimensions: 3 } });
    expect(meilisearchNeutral.writeDocument!({ id: '1', own: [0.1, 0.2, 0.3] }, back)).toEqual({ document: { id: '1', _vectors: { own: [0.1, 0.2, 0.3] } } });
  });

  it('turns a multi-way Typesense synonym into one Meilisearch entry per word, and lists what Typesense cannot hold', async () => {
    const neutral = await typesenseNeutral.read({
      collection: 'c',
      schemaFile: { schema: { name: 'c', fields: [{ name: 'title', type: 'string' }], token_separators: ['-'] } },
      extra: async (name) => (name === 'synonyms' ? { collections: { c: [{ id: 's', root: '', synonyms: ['a', 'b', 'c'] }] } } : undefined),
      sample: [{ id: '0', title: 'x' }],
    });
    expect(neutral.notCarried).toEqual(['collection setting token_separators = ["-"]']);
    const settings = (meilisearchNeutral.write!(neutral, 'c').schemaFile as { settings: Record<string, unknown> }).settings;
    expect(settings['synonyms']).toEqual({ a: ['b', 'c'], b: ['a', 'c'], c: ['a', 'b'] });
    const withRules = { ...neutral, relevance: { ...neutral.relevance, rankingRules: ['words', 'exactness'], typoTolerance: { enabled: false } } };
    expect(typesenseNeutral.write!(withRules, 'c').notCarried).toEqual([
      'rankingRules words, exactness: Typesense ranks per query (sort_by, prioritize_*)',
      'typoTolerance: Typesense sets typos per query (num_typos, min_len_1typo, min_len_2typo)',
    ]);
  });

  it('refuses, never silently, a document whose declared field has another type on Typesense', async () => {
    const neutral = await meilisearchNeutral.read({
      collection: 'c',
      schemaFile: { uid: 'c', primaryKey: 'id', settings: { filterableAttributes: ['n'] } },
      extra: noExtras,
      sample: [{ id: 1, n: 5 }],
    });
    expect(typesenseNeutral.writeDocument!({ id: 2, n: 'five' }, neutral)).toEqual({ rejected: 'field n is not int' });
    expect(typesenseNeutral.writeDocument!({ n: 1 }, neutral)).toEqual({ rejected: 'no id value' });
  });

  it('infers types from documents and checks values against them', () => {
    const fields = inferFields(
      [],
      [
        { a: 1, b: 'x', c: [1.5, 2] },
        { a: 2.5, b: 'y' },
      ],
    );
    expect(fields).toEqual([
      { name: 'a', type: 'float', roles: [], inferred: true },
      { name: 'b', type: 'string', roles: [], inferred: true },
      { name: 'c', type: 'float[]', roles: [], inferred: true, optional: true },
    ]);
    expect(fitsType(3, fields[0]!)).toBe(true);
    expect(fitsType('3', fields[0]!)).toBe(false);
  });

  it('reads MagnetoDB numbers exactly: a number when a double holds it, else its digits', () => {
    expect(exactNumber('12.50')).toBe(12.5);
    expect(exactNumber('-0')).toBe(-0);
    expect(exactNumber('98765432109876543210987654321')).toBe('98765432109876543210987654321');
    expect(exactNumber('0.1000000000000000000001')).toBe('0.1000000000000000000001');
    expect(magnetodbNeutral.readDocument!({ k: { S: 'a' }, n: { N: '7' }, b: { B: 'AAE=' }, ns: { NS: ['1', '2.5'] } }, undefined as never)).toEqual({
      k: 'a',
      n: 7,
      b: 'AAE=',
      ns: [1, 2.5],
    });
  });
});
