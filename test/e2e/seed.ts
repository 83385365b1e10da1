// Seed data for end-to-end tests: three Meilisearch indexes, ~10k documents, non-default settings.
import { Meilisearch } from 'meilisearch';

export const SEED = [
  {
    uid: 'movies',
    primaryKey: 'id',
    count: 4000,
    doc: (i: number) => ({ id: i, title: `Movie ${i}`, year: 1950 + (i % 70), genres: i % 2 ? ['drama'] : ['comedy', 'family'] }),
    settings: {
      searchableAttributes: ['title', 'genres'],
      filterableAttributes: ['year', 'genres'],
      sortableAttributes: ['year'],
      rankingRules: ['words', 'typo', 'year:desc', 'proximity', 'attribute', 'sort', 'exactness'],
      stopWords: ['the', 'a'],
      synonyms: { film: ['movie'], movie: ['film'] },
    },
  },
  {
    uid: 'books',
    primaryKey: 'isbn',
    count: 3500,
    doc: (i: number) => ({ isbn: `isbn-${i}`, title: `Book ${i}`, author: { name: `Author ${i % 97}` }, pages: 100 + i }),
    settings: { displayedAttributes: ['isbn', 'title', 'author'], distinctAttribute: 'title', typoTolerance: { minWordSizeForTypos: { oneTypo: 4, twoTypos: 10 } } },
  },
  {
    uid: 'songs',
    primaryKey: 'sku',
    count: 2500,
    doc: (i: number) => ({ sku: `s${i}`, name: `Song ${i}`, tags: [`t${i % 13}`], length: i * 1.5 }),
    settings: { filterableAttributes: ['tags'], pagination: { maxTotalHits: 5000 }, faceting: { maxValuesPerFacet: 50 } },
  },
] as const;

export async function seedIndexes(client: Meilisearch): Promise<void> {
  for (const index of SEED) {
    await client.createIndex(index.uid, { primaryKey: index.primaryKey }).waitTask();
    await client
      .index(index.uid)
      .updateSettings(index.settings as never)
      .waitTask();
    const docs = Array.from({ length: index.count }, (_, i) => index.doc(i));
    await client.index(index.uid).addDocuments(docs, { primaryKey: index.primaryKey }).waitTask({ timeout: 60_000 });
  }
}

/** Every document of an index, sorted by primary key, plus its settings. */
export async function snapshotIndex(client: Meilisearch, uid: string): Promise<{ primaryKey: string | undefined; settings: unknown; documents: Record<string, unknown>[] }> {
  const index = await client.getIndex(uid);
  const documents: Record<string, unknown>[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await client.index(uid).getDocuments({ offset, limit: 1000 });
    documents.push(...(page.results as Record<string, unknown>[]));
    if (page.results.length < 1000) break;
  }
  const key = index.primaryKey ?? 'id';
  documents.sort((a, b) => String(a[key]).localeCompare(String(b[key])));
  return { primaryKey: index.primaryKey, settings: await client.index(uid).getSettings(), documents };
}
