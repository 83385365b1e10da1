// Indexes and documents through the official client: the engine's shapes, order, primary key rules
// and error objects.
import { describe, expect, it } from 'vitest';
import { apiError, errorBody, startTestEmulator } from './test-helpers.ts';

describe('meilisearch emulator: instance, indexes and documents', () => {
  it('answers health without a key and version with one', async () => {
    const { client, raw } = await startTestEmulator({ masterKey: 'master-key', version: '1.16.0' });
    expect(await client.health()).toEqual({ status: 'available' });
    expect(await raw('GET', '/health', { headers: { authorization: '' } })).toEqual({ status: 200, body: { status: 'available' } });
    expect((await client.getVersion()).pkgVersion).toBe('1.16.0');
    expect(await raw('GET', '/nothing-here')).toEqual({ status: 404, body: undefined });
    expect((await raw('PUT', '/indexes')).status).toBe(405);
  });

  it('creates an index through a task that only takes effect when processed', async () => {
    const { client } = await startTestEmulator();
    const enqueued = await client.createIndex('movies', { primaryKey: 'movie_id' });
    expect(enqueued).toMatchObject({ indexUid: 'movies', status: 'enqueued', type: 'indexCreation' });
    const task = await client.tasks.waitForTask(enqueued.taskUid);
    expect(task).toMatchObject({ status: 'succeeded', details: { primaryKey: 'movie_id' }, error: null });
    expect(task.duration).toMatch(/^PT\d+(\.\d+)?S$/);
    const index = await client.getRawIndex('movies');
    expect(index).toMatchObject({ uid: 'movies', primaryKey: 'movie_id' });
    expect(Date.parse(index.createdAt as unknown as string)).not.toBeNaN();

    const again = await client.createIndex('movies').waitTask();
    expect(again.status).toBe('failed');
    expect(again.error).toEqual(errorBody('index_already_exists', 'Index `movies` already exists.'));

    expect(await apiError(client.getIndex('nope'))).toMatchObject({ status: 404, ...errorBody('index_not_found', 'Index `nope` not found.') });
    const deleted = await client.deleteIndex('missing').waitTask();
    expect(deleted).toMatchObject({ status: 'failed', details: { deletedDocuments: 0 }, error: { code: 'index_not_found' } });
  });

  it('adds JSON and NDJSON documents, infers the primary key and pages in insertion order', async () => {
    const { client } = await startTestEmulator();
    const index = client.index('books');
    const first = await index.addDocuments(Array.from({ length: 30 }, (_, i) => ({ title: `t${i}`, bookId: i }))).waitTask();
    expect(first).toMatchObject({ status: 'succeeded', type: 'documentAdditionOrUpdate', details: { receivedDocuments: 30, indexedDocuments: 30 } });
    expect((await client.getRawIndex('books')).primaryKey).toBe('bookId');

    const ndjson = '{"bookId":30,"title":"t30"}\n{"bookId":31,"title":"t31","extra":true}\n';
    const second = await index.addDocumentsFromString(ndjson, 'application/x-ndjson').waitTask();
    expect(second.details).toEqual({ receivedDocuments: 2, indexedDocuments: 2 });

    const page = await index.getDocuments({ offset: 28, limit: 3 });
    expect(page).toEqual({
      // fields come back in the index's field order, not the payload's
      results: [
        { title: 't28', bookId: 28 },
        { title: 't29', bookId: 29 },
        { title: 't30', bookId: 30 },
      ],
      offset: 28,
      limit: 3,
      total: 32,
    });
    expect((await index.getDocuments()).results).toHaveLength(20);
    expect(await index.getDocuments({ fields: ['bookId'], limit: 2 })).toMatchObject({ results: [{ bookId: 0 }, { bookId: 1 }] });
    expect(await index.getDocument(31)).toEqual({ title: 't31', bookId: 31, extra: true });
    expect(await apiError(index.getDocument(99))).toMatchObject({ status: 404, code: 'document_not_found', message: 'Document `99` not found.' });
  });

  it('reads CSV payloads with typed headers', async () => {
    const { client } = await startTestEmulator();
    const csv = 'id,title,year:number,seen:boolean\n1,"Hello, world",1999,true\n2,,,\n';
    const task = await client.index('csv').addDocumentsFromString(csv, 'text/csv').waitTask();
    expect(task).toMatchObject({ status: 'succeeded', details: { receivedDocuments: 2, indexedDocuments: 2 } });
    expect((await client.index('csv').getDocuments()).results).toEqual([
      { id: '1', title: 'Hello, world', year: 1999, seen: true },
      { id: '2', title: null, year: null, seen: null },
    ]);
  });

  it('fetches through POST documents/fetch with a filter on filterable attributes', async () => {
    const { client, raw } = await startTestEmulator();
    const index = client.index('films');
    await index
      .addDocuments([
        { id: 1, genre: 'Drama', year: 1990 },
        { id: 2, genre: 'comedy', year: 2001 },
        { id: 3, genre: ['drama', 'war'], year: 2010 },
      ])
      .waitTask();
    const refused = await apiError(index.getDocuments({ filter: 'genre = drama' }));
    expect(refused).toMatchObject({
      status: 400,
      code: 'invalid_document_filter',
      message: 'Attribute `genre` is not filterable. This index does not have configured filterable attributes.\n1:6 genre = drama',
    });
    await index.updateFilterableAttributes(['genre', 'year']).waitTask();
    expect((await index.getDocuments({ filter: 'genre = drama' })).results.map((d) => d.id)).toEqual([1, 3]);
    expect((await index.getDocuments({ filter: ['year > 1995', ['genre = comedy', 'genre = war']] })).results.map((d) => d.id)).toEqual([2, 3]);
    expect((await index.getDocuments({ filter: 'year 1995 TO 2005 OR NOT genre EXISTS' })).results.map((d) => d.id)).toEqual([2]);
    // without a filter, the fetch route pages like GET
    const fetched = await raw('POST', '/indexes/films/documents/fetch', { body: '{"offset":1,"limit":1}', headers: { 'content-type': 'application/json' } });
    expect(fetched).toEqual({ status: 200, body: { results: [{ id: 2, genre: 'comedy', year: 2001 }], offset: 1, limit: 1, total: 3 } });
    const syntax = await raw('GET', '/indexes/films/documents?filter=doggo');
    expect(syntax.body).toMatchObject({ code: 'invalid_document_filter', message: expect.stringContaining('Was expecting an operation') });
  });

  it('updates partially with PUT, replaces with POST and deletes by ids or entirely', async () => {
    const { client } = await startTestEmulator();
    const index = client.index('items');
    await index
      .addDocuments([
        { id: 'a', n: 1, keep: true },
        { id: 'b', n: 2 },
        { id: 'c', n: 3 },
      ])
      .waitTask();
    await index.updateDocuments([{ id: 'a', n: 10 }]).waitTask();
    expect(await index.getDocument('a')).toEqual({ id: 'a', n: 10, keep: true });
    await index.addDocuments([{ id: 'a', n: 11 }]).waitTask();
    expect(await index.getDocument('a')).toEqual({ id: 'a', n: 11 });

    const deletion = await index.deleteDocuments(['b', 'zz']).waitTask();
    expect(deletion).toMatchObject({ type: 'documentDeletion', details: { providedIds: 2, deletedDocuments: 1, originalFilter: null } });
    // a freed internal id is reused, so the new document takes b's place
    await index.addDocuments([{ id: 'd', n: 4 }]).waitTask();
    expect((await index.getDocuments()).results.map((d) => d.id)).toEqual(['a', 'd', 'c']);

    const cleared = await index.deleteAllDocuments().waitTask();
    expect(cleared).toMatchObject({ type: 'documentDeletion', details: { deletedDocuments: 3 } });
    expect((await index.getStats()).numberOfDocuments).toBe(0);
  });

  it('fails document tasks the way milli does and leaves the index untouched', async () => {
    const { client } = await startTestEmulator();
    const noCandidate = await client
      .index('a')
      .addDocuments([{ title: 'x' }])
      .waitTask();
    expect(noCandidate).toMatchObject({ status: 'failed', details: { receivedDocuments: 1, indexedDocuments: 0 } });
    expect(noCandidate.error).toEqual(
      errorBody(
        'index_primary_key_no_candidate_found',
        'The primary key inference failed as the engine did not find any field ending with `id` in its name. Please specify the primary key manually using the `primaryKey` query parameter.',
      ),
    );
    // the index was created by the addition even though it failed
    expect((await client.getRawIndex('a')).primaryKey).toBeNull();

    const multiple = await client
      .index('b')
      .addDocuments([{ id: 1, userId: 2 }])
      .waitTask();
    expect(multiple.error?.code).toBe('index_primary_key_multiple_candidates_found');
    expect(multiple.error?.message).toContain("found 2 fields ending with `id` in their names: 'id' and 'userId'");

    await client
      .index('c')
      .addDocuments([{ id: 1 }])
      .waitTask();
    const missing = await client
      .index('c')
      .addDocuments([{ id: 2 }, { name: 'no id' }])
      .waitTask();
    expect(missing.error).toEqual(errorBody('missing_document_id', 'Document doesn\'t have a `id` attribute: `{"name":"no id"}`.'));
    const invalid = await client
      .index('c')
      .addDocuments([{ id: 'not valid!' }])
      .waitTask();
    expect(invalid.error?.code).toBe('invalid_document_id');
    expect(invalid.error?.message).toMatch(/^Document identifier `"not valid!"` is invalid\./);
    const otherKey = await client
      .index('c')
      .addDocuments([{ id: 3, sku: 'x' }], { primaryKey: 'sku' })
      .waitTask();
    expect(otherKey.error).toEqual(errorBody('index_primary_key_already_exists', 'Index already has a primary key: `id`.'));
    expect((await client.index('c').getDocuments()).total).toBe(1);
  });

  it('rejects bad payloads and content types when the request arrives', async () => {
    const { client, raw } = await startTestEmulator();
    const noType = await raw('POST', '/indexes/x/documents', { body: '[]' });
    expect(noType.status).toBe(415);
    const missing = await raw('POST', '/indexes/x/documents', { body: new Blob(['[]']) });
    expect(missing).toEqual({
      status: 415,
      body: errorBody(
        'missing_content_type',
        'A Content-Type header is missing. Accepted values for the Content-Type header are: `application/json`, `application/x-ndjson`, `text/csv`',
      ),
    });
    expect(await apiError(client.index('x').addDocumentsFromString('{"id":1}', 'text/plain' as 'text/csv'))).toMatchObject({ status: 415, code: 'invalid_content_type' });
    expect(await raw('POST', '/indexes/x/documents', { body: '', headers: { 'content-type': 'application/json' } })).toEqual({
      status: 400,
      body: errorBody('missing_payload', 'A json payload is missing.'),
    });
    expect((await raw('POST', '/indexes/x/documents', { body: '[{"id":1}', headers: { 'content-type': 'application/json' } })).body).toEqual(
      errorBody('malformed_payload', "The `json` payload provided is malformed. `Couldn't serialize document value: EOF while parsing a list at line 1 column 9`."),
    );
    expect((await raw('GET', '/indexes/x/documents?limit=ten')).body).toEqual(
      errorBody('invalid_document_limit', 'Invalid value in parameter `limit`: could not parse `ten` as a positive integer'),
    );
    expect((await raw('GET', '/indexes/x/documents?page=1')).body).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^Unknown parameter `page`/) });
    expect((await raw('POST', '/indexes', { body: '{"uid":', headers: { 'content-type': 'application/json' } })).body).toEqual(
      errorBody('malformed_payload', 'The json payload provided is malformed. `EOF while parsing a value at line 1 column 7`.'),
    );
    expect((await raw('POST', '/indexes', { body: '{"uid":"a b"}', headers: { 'content-type': 'application/json' } })).body).toMatchObject({ code: 'invalid_index_uid' });
    expect((await client.tasks.getTasks()).total).toBe(0);
  });

  it('keeps _vectors out of documents unless retrieveVectors is set', async () => {
    const { client } = await startTestEmulator();
    const index = client.index('vec');
    await index.updateEmbedders({ manual: { source: 'userProvided', dimensions: 2 } }).waitTask();
    await index.addDocuments([{ id: 1, _vectors: { manual: [0.1, 0.2] }, title: 'x' }]).waitTask();
    expect(await index.getDocument(1)).toEqual({ id: 1, title: 'x' });
    const withVectors = await index.getDocuments({ retrieveVectors: true });
    expect(withVectors.results[0]).toEqual({ id: 1, title: 'x', _vectors: { manual: { embeddings: [[0.1, 0.2]], regenerate: false } } });
    const stats = await index.getStats();
    expect(stats).toMatchObject({ numberOfDocuments: 1, numberOfEmbeddings: 1, numberOfEmbeddedDocuments: 1, fieldDistribution: { _vectors: 1, id: 1, title: 1 } });
  });
});
