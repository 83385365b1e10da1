// The dump reader against every real dump in shared/fixtures/meilisearch-dumps. The expected values were
// read off the files with the shell (tar xzf; cat metadata.json / index_uuids/data.jsonl / meta.json;
// grep -c . on documents.jsonl, keys, updates/tasks files), not with this reader.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithShared, sharedPath } from '../../../test/helpers/requirements.ts';
import { GatewayError } from '../../../src/errors.ts';
import { readDumpIndex, readDumpSummary } from './reader.ts';

const FIXTURES = sharedPath('fixtures', 'meilisearch-dumps');
const signal = () => AbortSignal.timeout(30_000);

interface Expected {
  file: string;
  version: string;
  db: string;
  date: string | null;
  /** uid → document count. */
  indexes: Record<string, number>;
  keys: number;
  tasks: number;
}

const TABLE: Expected[] = [
  { file: 'v1.dump', version: 'V1', db: '0.20.0', date: null, indexes: { dnd_spells: 10, movies: 10, products: 10 }, keys: 0, tasks: 10 },
  { file: 'v1_v0.20.0_movies.dump', version: 'V1', db: '0.20.0', date: null, indexes: { indexUID: 53 }, keys: 0, tasks: 1 },
  { file: 'v1_v0.20.0_movies_with_settings.dump', version: 'V1', db: '0.20.0', date: null, indexes: { indexUID: 53 }, keys: 0, tasks: 2 },
  { file: 'v1_v0.20.0_rubygems_with_settings.dump', version: 'V1', db: '0.20.0', date: null, indexes: { rubygems: 53 }, keys: 0, tasks: 93 },
  { file: 'v2-v0.22.0.dump', version: 'V2', db: '0.22.0', date: '2023-01-30T16:26:09.247261Z', indexes: { dnd_spells: 10, movies: 10, products: 10 }, keys: 0, tasks: 8 },
  { file: 'v2.dump', version: 'V2', db: '0.21.1', date: '2022-10-09T20:27:59.904096267Z', indexes: { dnd_spells: 10, movies: 110, movies_2: 0, products: 10 }, keys: 0, tasks: 9 },
  { file: 'v2_v0.21.1_movies.dump', version: 'V2', db: '0.21.1', date: '2021-09-08T08:31:17.999839Z', indexes: { indexUID: 53 }, keys: 0, tasks: 1 },
  { file: 'v2_v0.21.1_movies_with_settings.dump', version: 'V2', db: '0.21.1', date: '2021-09-08T08:27:14.057573Z', indexes: { indexUID: 53 }, keys: 0, tasks: 2 },
  { file: 'v2_v0.21.1_rubygems_with_settings.dump', version: 'V2', db: '0.21.1', date: '2021-09-08T09:02:43.110046Z', indexes: { rubygems: 53 }, keys: 0, tasks: 93 },
  { file: 'v3.dump', version: 'V3', db: '0.24.0', date: '2022-10-07T11:39:03.709153554Z', indexes: { dnd_spells: 10, movies: 110, movies_2: 0, products: 10 }, keys: 0, tasks: 10 },
  { file: 'v3_v0.24.0_movies.dump', version: 'V3', db: '0.24.0', date: '2022-03-09T18:06:50.338740Z', indexes: { indexUID: 53 }, keys: 0, tasks: 1 },
  { file: 'v3_v0.24.0_movies_with_settings.dump', version: 'V3', db: '0.24.0', date: '2022-03-09T18:12:39.778455Z', indexes: { indexUID: 53 }, keys: 0, tasks: 2 },
  { file: 'v3_v0.24.0_rubygems_with_settings.dump', version: 'V3', db: '0.24.0', date: '2022-03-09T18:14:34.658332Z', indexes: { rubygems: 53 }, keys: 0, tasks: 93 },
  { file: 'v4.dump', version: 'V4', db: '0.27.2', date: '2022-10-06T12:53:49.131989609Z', indexes: { dnd_spells: 10, movies: 110, products: 10 }, keys: 2, tasks: 10 },
  { file: 'v4_v0.25.2_movies.dump', version: 'V4', db: '0.25.2', date: '2022-03-09T18:19:26.902710Z', indexes: { indexUID: 53 }, keys: 2, tasks: 1 },
  { file: 'v4_v0.25.2_movies_with_settings.dump', version: 'V4', db: '0.25.2', date: '2022-03-09T18:22:12.028413Z', indexes: { indexUID: 53 }, keys: 2, tasks: 2 },
  { file: 'v4_v0.25.2_rubygems_with_settings.dump', version: 'V4', db: '0.25.2', date: '2022-03-09T18:23:29.843285Z', indexes: { rubygems: 53 }, keys: 2, tasks: 93 },
  { file: 'v5.dump', version: 'V5', db: '0.29.0', date: '2022-10-04T15:55:10.344982459Z', indexes: { dnd_spells: 10, movies: 200, products: 10 }, keys: 2, tasks: 22 },
  { file: 'v5_v0.28.0_test_dump.dump', version: 'V5', db: '0.27.1', date: '2022-06-08T15:11:40.605911Z', indexes: { test: 10, test2: 10 }, keys: 3, tasks: 5 },
  { file: 'v6-with-experimental.dump', version: 'V6', db: '1.3.0', date: '2023-07-06T07:10:27.21958Z', indexes: { test: 1 }, keys: 2, tasks: 2 },
  { file: 'v6-with-network.dump', version: 'V6', db: '1.13.0', date: '2025-01-29T15:45:32.738676Z', indexes: { mieli: 17986 }, keys: 2, tasks: 3 },
  // macOS tar: `._*` AppleDouble twins of every entry and pax headers.
  { file: 'v6-with-vectors.dump', version: 'V6', db: '1.8.0', date: '2024-05-16T15:51:34.151044Z', indexes: { novector: 2, vector: 4 }, keys: 2, tasks: 10 },
  { file: 'v6-with-webhooks.dump', version: 'V6', db: '1.16.0', date: '2025-07-31T09:21:30.479544Z', indexes: {}, keys: 4, tasks: 1 },
  { file: 'v6_v1.13.0_batches_and_enqueued_tasks.dump', version: 'V6', db: '1.13.0', date: '2025-02-04T10:22:31.331764736Z', indexes: { kefir: 1 }, keys: 2, tasks: 4 },
  { file: 'v6_v1.6.0_use_deactivated_experimental_setting.dump', version: 'V6', db: '1.5.0', date: '2023-12-06T13:42:11.534951Z', indexes: { movies: 3 }, keys: 2, tasks: 4 },
];

describeWithShared('meilisearch dump reader: every fixture', () => {
  it('lists all 25 fixture files', () => {
    expect(TABLE).toHaveLength(25);
  });

  for (const expected of TABLE) {
    it(`reads ${expected.file}`, async () => {
      const summary = await readDumpSummary(join(FIXTURES, expected.file), signal());
      expect(summary).toMatchObject({ dumpVersion: expected.version, dbVersion: expected.db, dumpDate: expected.date, keysCount: expected.keys, tasksCount: expected.tasks });
      expect(Object.fromEntries(summary.indexes.map((index) => [index.uid, index.documentCount]))).toEqual(expected.indexes);
      expect(JSON.stringify(summary)).not.toMatch(/"key"\s*:/);
    });
  }

  it('keeps primary keys and settings in each format', async () => {
    const v1 = await readDumpSummary(join(FIXTURES, 'v1.dump'), signal());
    expect(v1.indexes.map((index) => [index.uid, index.primaryKey])).toEqual([
      ['dnd_spells', 'index'],
      ['movies', 'id'],
      ['products', 'sku'],
    ]);
    expect(v1.indexes[1]!.settings).toMatchObject({ attributesForFaceting: ['id', 'genres'], rankingRules: expect.arrayContaining(['asc(release_date)']) });

    const v2 = await readDumpSummary(join(FIXTURES, 'v2_v0.21.1_movies_with_settings.dump'), signal());
    expect(v2.indexes[0]!.settings).toMatchObject({ filterableAttributes: ['genres'], stopWords: ['of', 'the'], searchableAttributes: ['title', 'overview'] });
    const v2empty = await readDumpSummary(join(FIXTURES, 'v2.dump'), signal());
    expect(v2empty.indexes.find((index) => index.uid === 'movies_2')!.primaryKey).toBeNull();

    const v5 = await readDumpSummary(join(FIXTURES, 'v5_v0.28.0_test_dump.dump'), signal());
    expect(v5.indexes[0]!.settings).toMatchObject({ typoTolerance: { minWordSizeForTypos: { oneTypo: 10, twoTypos: 17 } } });

    const v6 = await readDumpSummary(join(FIXTURES, 'v6-with-vectors.dump'), signal());
    expect(v6.indexes.find((index) => index.uid === 'vector')!.settings).toMatchObject({ embedders: { default: { source: 'huggingFace', model: 'BAAI/bge-base-en-v1.5' } } });
    expect(v6.indexes.find((index) => index.uid === 'vector')!.documentBytes).toBe(37029);
  });

  it('streams one index in batches: settings first, then every document in file order', async () => {
    const documents: Record<string, unknown>[] = [];
    const sizes: number[] = [];
    let index: unknown;
    for await (const item of readDumpIndex(join(FIXTURES, 'v2.dump'), 'movies', { batchSize: 25, signal: signal() })) {
      if (item.kind === 'index') index = item.index;
      else {
        sizes.push(item.documents.length);
        documents.push(...item.documents);
      }
    }
    expect(index).toMatchObject({ uid: 'movies', primaryKey: 'id', documentCount: 110 });
    expect(sizes).toEqual([25, 25, 25, 25, 10]);
    // first and last lines of indexes/index-bb33e237-…/documents.jsonl
    expect(documents[0]).toMatchObject({ id: '166428', title: 'How to Train Your Dragon: The Hidden World' });
    expect(documents.at(-1)).toMatchObject({ id: '99861', title: 'Avengers: Age of Ultron' });
  });

  it('reads the 9 MB index of v6-with-network to its end', async () => {
    let count = 0;
    for await (const item of readDumpIndex(join(FIXTURES, 'v6-with-network.dump'), 'mieli', { batchSize: 5000, signal: signal() })) {
      if (item.kind === 'documents') count += item.documents.length;
    }
    expect(count).toBe(17986);
  });

  it('says collection_not_found for an index the dump does not have', async () => {
    const items = readDumpIndex(join(FIXTURES, 'v4.dump'), 'movies_2', { signal: signal() });
    expect(await codeOf(items.next())).toBe('collection_not_found');
  });
});

describeWithShared('meilisearch dump reader: broken inputs', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dump-reader-'));
    const v4 = await readFile(join(FIXTURES, 'v4.dump'));
    await writeFile(file('truncated.dump'), v4.subarray(0, Math.floor(v4.length / 2)));
    const corrupt = Buffer.from(v4);
    for (let i = 2000; i < 2100; i++) corrupt[i] = corrupt[i]! ^ 0xff;
    await writeFile(file('corrupt.dump'), corrupt);
    // Whole gzip, but the tar inside ends in the middle of an entry.
    const tar = gunzipSync(v4);
    await writeFile(file('truncated-tar.dump'), gzipSync(tar.subarray(0, 10_000)));
    await writeFile(file('plain.tar'), tar);
    await writeFile(file('empty.dump'), Buffer.alloc(0));
    await writeFile(file('text.dump'), 'not a dump at all\n');
    await writeFile(file('other.tar.gz'), await tarGz({ 'README.md': '# hello', 'data/rows.jsonl': '{"a":1}\n' }));
    await writeFile(file('bad-metadata.dump'), await tarGz({ 'metadata.json': '{"dumpVersion":"V9"}' }));
    await writeFile(
      file('missing-meta.dump'),
      await tarGz({
        'metadata.json': '{"dumpVersion":"V4","dbVersion":"0.27.2","dumpDate":"2022-10-06T12:53:49Z"}',
        'index_uuids/data.jsonl': '{"uid":"movies","index_meta":{"uuid":"94a60fae","creation_task_id":0}}\n',
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string, string][] = [
    ['truncated.dump', 'invalid_backup_file'],
    ['corrupt.dump', 'invalid_backup_file'],
    ['truncated-tar.dump', 'invalid_backup_file'],
    ['plain.tar', 'invalid_backup_file'],
    ['empty.dump', 'invalid_backup_file'],
    ['text.dump', 'invalid_backup_file'],
    ['other.tar.gz', 'invalid_backup_file'],
    ['bad-metadata.dump', 'invalid_backup_file'],
    ['missing-meta.dump', 'invalid_backup_file'],
    ['does-not-exist.dump', 'file_not_found'],
  ];
  for (const [name, code] of cases) {
    it(`${name} → ${code}`, async () => {
      expect(await codeOf(readDumpSummary(file(name), signal()))).toBe(code);
    });
  }

  it('a directory is not a dump', async () => {
    expect(await codeOf(readDumpSummary(dir, signal()))).toBe('invalid_backup_file');
  });

  it('stops with job_canceled when the signal fires', async () => {
    expect(await codeOf(readDumpSummary(join(FIXTURES, 'v6-with-network.dump'), AbortSignal.abort()))).toBe('job_canceled');
  });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return (error as GatewayError).code;
  }
  throw new Error('expected the call to fail');
}

async function tarGz(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  for (const [name, content] of Object.entries(files)) archive.entry({ name }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
