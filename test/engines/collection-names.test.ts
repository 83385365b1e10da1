// Issue 13.1: each engine's collection-name rule, table-driven, as the core applies it (generic check + plugin
// rule), and the kit's path-segment encoding.
import { describe, expect, it } from 'vitest';
import { magnetodbPlugin } from '../../plugins/magnetodb/index.ts';
import { meilisearchPlugin } from '../../plugins/meilisearch/index.ts';
import { milvusPlugin } from '../../plugins/milvus/index.ts';
import { typesensePlugin } from '../../plugins/typesense/index.ts';
import { checkCollectionName } from '../../src/catalog/names.ts';
import { pathSegment } from '../../src/engines/names.ts';
import { GatewayError } from '../../src/errors.ts';

const plugins = { meilisearch: meilisearchPlugin, typesense: typesensePlugin, milvus: milvusPlugin, magnetodb: magnetodbPlugin };

const CASES: Array<[keyof typeof plugins, string, boolean]> = [
  ['meilisearch', 'movies', true],
  ['meilisearch', 'Movies_2024-v2', true],
  ['meilisearch', 'a'.repeat(400), true],
  ['meilisearch', 'a'.repeat(401), false],
  ['meilisearch', 'movies?', false],
  ['meilisearch', '../keys/abc?', false],
  ['meilisearch', 'books#x', false],
  ['meilisearch', 'my index', false],
  ['meilisearch', 'films.fr', false],
  ['meilisearch', '', false],
  ['typesense', 'movies', true],
  ['typesense', 'movies?', true],
  ['typesense', 'Produits été 2024', true],
  ['typesense', 'a/b', false],
  ['typesense', '.', false],
  ['typesense', '..', false],
  ['typesense', 'tab\there', false],
  ['typesense', 'a'.repeat(513), false],
  ['milvus', 'book', true],
  ['milvus', '_private', true],
  ['milvus', 'analytics.events_2024', true],
  ['milvus', '2024_events', false],
  ['milvus', 'movies?', false],
  ['milvus', 'analytics.*', true],
  ['milvus', '*', false],
  ['milvus', 'db.coll.extra', false],
  ['milvus', 'db.', false],
  ['milvus', 'has-dash', false],
  ['milvus', 'a'.repeat(256), false],
  ['magnetodb', 'orders', true],
  ['magnetodb', 'Thread.v2-x_y', true],
  ['magnetodb', 'ab', false],
  ['magnetodb', 'orders?', false],
  ['magnetodb', '../x', false],
  ['magnetodb', 'a'.repeat(256), false],
];

describe('collection names per engine', () => {
  it.each(CASES)('%s: %j valid=%s', (engine, name, valid) => {
    const check = () => checkCollectionName(plugins[engine], name);
    if (valid) {
      expect(check()).toBe(name);
      return;
    }
    let error: unknown;
    try {
      check();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('invalid_name');
    expect((error as GatewayError).details).toEqual({ name });
    if (name.length < 100) expect((error as GatewayError).message).toContain(JSON.stringify(name));
  });

  it('names where the refusal happened', () => {
    expect(() => checkCollectionName(meilisearchPlugin, 'books?', 'crafted.dump')).toThrow(/^crafted\.dump: "books\?" is not a valid Meilisearch index uid/);
  });

  it('encodes one path segment, and refuses what no encoding can carry', () => {
    expect(pathSegment('movies?')).toBe('movies%3F');
    expect(pathSegment('../keys/x')).toBe('..%2Fkeys%2Fx');
    expect(pathSegment('a#b c')).toBe('a%23b%20c');
    for (const bad of ['', '.', '..']) expect(() => pathSegment(bad)).toThrow(expect.objectContaining({ code: 'invalid_name' }));
  });
});
