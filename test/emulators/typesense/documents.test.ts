// Documents import and export with the engine's quirks: JSONL without a trailing newline, HTTP 200 with one
// result per line, the import actions, and Typesense's own test documents from ../shared/fixtures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { itWithShared, sharedPath } from '../../helpers/requirements.ts';
import { booksSchema, clientError, startTestEmulator } from './test-helpers.ts';

const fixture = (name: string): string => readFileSync(sharedPath('fixtures', 'typesense', name), 'utf8');

describe('typesense emulator: documents', () => {
  itWithShared("imports Typesense's own test documents and exports them as JSONL with sorted keys and no trailing newline", async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    const lines = fixture('documents.jsonl').trim().split('\n');
    const imported = await raw('POST', '/collections/books/documents/import', { body: lines.join('\n') });
    expect(imported.status).toBe(200);
    expect(imported.contentType).toBe('text/plain; charset=utf-8');
    expect(imported.text.split('\n')).toEqual(lines.map(() => '{"success":true}'));

    const exported = await raw('GET', '/collections/books/documents/export');
    expect(exported.contentType).toBe('text/plain; charset=utf-8');
    expect(exported.text.endsWith('\n')).toBe(false);
    const documents = exported.text.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(documents).toHaveLength(lines.length);
    // Ids: explicit ones kept, the others are the seq id; keys sorted as nlohmann dumps them.
    expect(documents[0]).toEqual({ id: '0', points: 15, title: 'How are cryogenic rocket propellants delivered for the launch pad?' });
    expect(documents[4]!['id']).toBe('foo');
    expect(exported.text.split('\n')[0]).toBe('{"id":"0","points":15,"title":"How are cryogenic rocket propellants delivered for the launch pad?"}');
    expect(await client.collections('books').documents().export()).toBe(exported.text);
  });

  it('answers HTTP 200 with a failure line per refused document, in order', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    const body = ['{"id":"a","title":"A","points":1}', '{"id":"b","title":"B","points":"many"}', 'not json', '{"id":"a","title":"again","points":2}', '{"id":"c","points":3}'].join(
      '\n',
    );
    const imported = await raw('POST', '/collections/books/documents/import?action=create', { body });
    expect(imported.status).toBe(200);
    expect(imported.text.split('\n').map((line) => JSON.parse(line))).toEqual([
      { success: true },
      { code: 400, error: 'Field `points` must be an int32.', success: false },
      { code: 400, error: expect.stringMatching(/^Bad JSON: /), success: false },
      { code: 409, error: 'A document with id a already exists.', success: false },
      { code: 400, error: 'Field `title` has been declared in the schema, but is not found in the document.', success: false },
    ]);
    // The official client parses every line; with throwOnFail it raises an ImportError carrying them.
    const results = await client
      .collections('books')
      .documents()
      .import(
        [
          { id: 'd', title: 'D', points: 4 },
          { id: 'e', title: 'E' },
        ],
        { throwOnFail: false },
      );
    expect(results).toEqual([
      { success: true },
      { code: 400, error: 'Field `points` has been declared as a default sorting field, but is not found in the document.', success: false },
    ]);
    expect((await client.collections('books').retrieve()).num_documents).toBe(2);
  });

  it('implements create, upsert, update and emplace, return_id and return_doc', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    await client
      .collections('books')
      .documents()
      .import([{ id: 'a', title: 'A', points: 1, tags: ['x'] }]);
    const upsert = await raw('POST', '/collections/books/documents/import?action=upsert&return_id=true', { body: '{"id":"a","title":"A2","points":2}' });
    expect(JSON.parse(upsert.text)).toEqual({ id: 'a', success: true });
    expect(await client.collections('books').documents('a').retrieve()).toEqual({ id: 'a', points: 2, title: 'A2' });
    const update = await raw('POST', '/collections/books/documents/import?action=update&return_doc=true', { body: '{"id":"a","points":3}\n{"id":"zz","points":1}' });
    expect(update.text.split('\n').map((line) => JSON.parse(line))).toEqual([
      { document: { id: 'a', points: 3, title: 'A2' }, success: true },
      { code: 404, document: '{"id":"zz","points":1}', error: 'Could not find a document with id: zz', success: false },
    ]);
    await raw('POST', '/collections/books/documents/import?action=emplace', { body: '{"id":"b","title":"B","points":5}' });
    expect((await client.collections('books').retrieve()).num_documents).toBe(2);
  });

  it('refuses bad import parameters, and a missing collection, with real error bodies', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    expect((await raw('POST', '/collections/books/documents/import?action=replace', { body: '{}' })).json).toEqual({
      message: 'Parameter `action` must be a create|update|upsert.',
    });
    expect((await raw('POST', '/collections/books/documents/import?batch_size=0', { body: '{}' })).json).toEqual({ message: 'Parameter `batch_size` must be a positive integer.' });
    const missing = await raw('POST', '/collections/nope/documents/import', { body: '{}' });
    expect(missing).toMatchObject({ status: 404, json: { message: 'Collection not found' } });
    expect(await clientError(client.collections('nope').documents().export())).toMatchObject({ status: 404, name: 'ObjectNotFound' });
  });

  it('echoes the refused line in every failure on v27, only with return_doc from v28', async () => {
    for (const [version, echoed] of [
      ['27.1', true],
      ['28.0', false],
    ] as const) {
      const { client, raw } = await startTestEmulator({ version });
      await client.collections().create(booksSchema as never);
      const result = JSON.parse((await raw('POST', '/collections/books/documents/import', { body: '{"title":"x"}' })).text) as Record<string, unknown>;
      expect('document' in result, version).toBe(echoed);
    }
  });

  itWithShared('streams big exports in batches (batch_size), each line a document, with include/exclude_fields', async () => {
    const { client, emulator } = await startTestEmulator({ exportDelayMs: 5 });
    await client.collections().create({ name: 'multi', fields: [{ name: '.*', type: 'auto' }] } as never);
    const multi = fixture('multi_field_documents.jsonl').trim();
    await client.collections('multi').documents().import(multi, { action: 'create' });
    const stream = await client
      .collections('multi')
      .documents()
      .exportStream({ batch_size: 5, include_fields: 'title,points' } as never);
    const chunks: string[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(String(chunk));
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    const documents = chunks
      .join('')
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(documents).toHaveLength(multi.split('\n').length);
    expect(Object.keys(documents[0]!).sort()).toEqual(['points', 'title']);
    emulator.setOptions({ exportDelayMs: 0 });
  });

  it('keeps nested objects with enable_nested_fields, vectors of the declared size, and drops store:false fields', async () => {
    const { client } = await startTestEmulator();
    await client.collections().create({
      name: 'recipes',
      enable_nested_fields: true,
      fields: [
        { name: 'title', type: 'string' },
        { name: 'meta', type: 'object', optional: true },
        { name: 'vec', type: 'float[]', num_dim: 3 },
        { name: 'secret', type: 'string', store: false, optional: true },
      ],
    } as never);
    const results = await client
      .collections('recipes')
      .documents()
      .import(
        [
          { id: 'r1', title: 'cake', meta: { author: { name: 'Jamie' } }, vec: [0.1, 0.2, 0.3], secret: 'x' },
          { id: 'r2', title: 'pie', vec: [0.1, 0.2] },
        ],
        { throwOnFail: false },
      );
    expect(results[1]).toEqual({ code: 400, error: 'Field `vec` must have 3 dimensions.', success: false });
    expect(await client.collections('recipes').documents().export()).toBe('{"id":"r1","meta":{"author":{"name":"Jamie"}},"title":"cake","vec":[0.1,0.2,0.3]}');
  });

  it('refuses lines for engine-side reasons when told to (importFailure), like any failed line', async () => {
    const { client, emulator } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    emulator.setOptions({ importFailure: (document) => (document['id'] === 'b' ? { code: 500, error: 'Could not write to on-disk storage.' } : null) });
    const results = await client
      .collections('books')
      .documents()
      .import(
        [
          { id: 'a', title: 'A', points: 1 },
          { id: 'b', title: 'B', points: 2 },
        ],
        { throwOnFail: false },
      );
    expect(results).toEqual([{ success: true }, { code: 500, error: 'Could not write to on-disk storage.', success: false }]);
    emulator.setOptions({ importFailure: null });
    expect((await client.collections('books').retrieve()).num_documents).toBe(1);
  });
});
