// Collections as Typesense v29 creates, lists, alters and drops them, driven with the official client and
// checked against the published OpenAPI spec.
import { describe, expect, it } from 'vitest';
import { booksSchema, clientError, startTestEmulator } from './test-helpers.ts';

describe('typesense emulator: collections', () => {
  it('creates a collection (201) and reports the v29 summary with field defaults', async () => {
    const { client, raw } = await startTestEmulator();
    const created = await raw('POST', '/collections', { body: JSON.stringify(booksSchema), spec: '/collections' });
    expect(created.status).toBe(201);
    const summary = await client.collections('books').retrieve();
    expect(summary).toMatchObject({ name: 'books', num_documents: 0, default_sorting_field: 'points', enable_nested_fields: false, token_separators: [], symbols_to_index: [] });
    expect(typeof summary.created_at).toBe('number');
    expect(summary.fields[0]).toEqual({
      name: 'title',
      type: 'string',
      facet: false,
      optional: false,
      index: true,
      sort: false,
      infix: false,
      locale: '',
      stem: false,
      store: true,
      stem_dictionary: '',
    });
    expect(summary.fields[1]).toMatchObject({ name: 'points', type: 'int32', sort: true });
    expect(summary).not.toHaveProperty('metadata');
    expect(summary).not.toHaveProperty('synonym_sets');
    await raw('GET', '/collections/books', { spec: '/collections/{collectionName}' });
  });

  it('lists collections newest first as a bare array, with exclude_fields', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create({ ...booksSchema, name: 'first' } as never);
    await client.collections().create({ ...booksSchema, name: 'second' } as never);
    const listed = await raw('GET', '/collections', { spec: '/collections' });
    expect((listed.json as { name: string }[]).map((c) => c.name)).toEqual(['second', 'first']);
    const slim = (await raw('GET', '/collections?exclude_fields=fields')).json as Record<string, unknown>[];
    expect(slim[0]).not.toHaveProperty('fields');
    expect(((await raw('GET', '/collections?offset=1&limit=1')).json as { name: string }[]).map((c) => c.name)).toEqual(['second']);
    expect((await raw('GET', '/collections?offset=2')).json).toEqual({ message: 'Invalid offset param.' });
    expect((await raw('GET', '/collections?limit=x')).json).toEqual({ message: 'Limit param should be unsigned integer.' });
  });

  it('refuses bad schemas with the engine messages', async () => {
    const { client } = await startTestEmulator();
    expect(await clientError(client.collections().create({ fields: [] } as never))).toEqual({ status: 400, name: 'RequestMalformed', message: 'Parameter `name` is required.' });
    expect((await clientError(client.collections().create({ name: 'x' } as never))).message).toBe('Parameter `fields` is required.');
    expect((await clientError(client.collections().create({ name: 'x', fields: [{ name: 'a', type: 'text' }] } as never))).message).toBe(
      'Field `a` has an invalid data type `text`, see docs for supported data types.',
    );
    expect((await clientError(client.collections().create({ name: 'x', fields: [{ name: 'a', type: 'string' }], default_sorting_field: 'b' } as never))).message).toBe(
      'Default sorting field is defined as `b` but is not found in the schema.',
    );
    await client.collections().create(booksSchema as never);
    expect(await clientError(client.collections().create(booksSchema as never))).toEqual({
      status: 409,
      name: 'ObjectAlreadyExists',
      message: 'A collection with name `books` already exists.',
    });
  });

  it('answers 404 "Collection not found" and drops through an alias, leaving the alias dangling', async () => {
    const { client, raw } = await startTestEmulator();
    const missing = await raw('GET', '/collections/nope', { spec: '/collections/{collectionName}' });
    expect(missing).toMatchObject({ status: 404, json: { message: 'Collection not found' } });
    expect((await raw('DELETE', '/collections/nope')).json).toEqual({ message: 'No collection with name `nope` found.' });

    await client.collections().create(booksSchema as never);
    await client.aliases().upsert('library', { collection_name: 'books' });
    expect((await client.collections('library').retrieve()).name).toBe('books');
    const dropped = await raw('DELETE', '/collections/library', { spec: '/collections/{collectionName}' });
    expect((dropped.json as { name: string }).name).toBe('books');
    expect(await client.collections().retrieve()).toEqual([]);
    expect((await client.aliases().retrieve()).aliases).toEqual([{ name: 'library', collection_name: 'books' }]);
  });

  it('gives a real collection precedence over an alias of the same name, and refuses such an alias', async () => {
    const { client } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    await client.collections().create({ ...booksSchema, name: 'other' } as never);
    expect(await clientError(client.aliases().upsert('books', { collection_name: 'other' }))).toEqual({
      status: 500,
      name: 'ServerError',
      message: 'Name `books` conflicts with an existing collection name.',
    });
    await client.aliases().upsert('shadow', { collection_name: 'other' });
    await client.collections().create({ ...booksSchema, name: 'shadow' } as never);
    expect((await client.collections('shadow').retrieve()).name).toBe('shadow');
  });

  it('masks embedding credentials but the first five characters', async () => {
    const { client } = await startTestEmulator();
    await client.collections().create({
      name: 'semantic',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'vec', type: 'float[]', embed: { from: ['title'], model_config: { model_name: 'openai/text-embedding-3-small', api_key: 'sk-abcdefghij' } } },
      ],
    } as never);
    const field = (await client.collections('semantic').retrieve()).fields[1] as unknown as Record<string, any>;
    expect(field['embed'].model_config.api_key).toBe('sk-ab********');
    expect(field).toMatchObject({ num_dim: 8, vec_dist: 'cosine', hnsw_params: { M: 16, ef_construction: 200 } });
    expect(
      (
        await clientError(
          client.collections().create({ name: 'x', fields: [{ name: 'v', type: 'float[]', embed: { from: ['t'], model_config: { model_name: 'openai/x' } } }] } as never),
        )
      ).message,
    ).toBe('Property `embed.model_config.api_key is missing or is not a string.');
  });

  it('alters fields and metadata with PATCH', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    await client.collections('books').update({
      fields: [
        { name: 'tags', drop: true },
        { name: 'year', type: 'int32', optional: true },
      ],
      metadata: { v: 2 },
    } as never);
    const summary = await client.collections('books').retrieve();
    expect(summary.fields.map((f) => f.name)).toEqual(['title', 'points', 'year']);
    expect(summary).toMatchObject({ metadata: { v: 2 } });
    expect((await raw('PATCH', '/collections/books', { body: '{"name":"x"}' })).json).toEqual({ message: 'Only `fields` and `metadata` can be updated at the moment.' });
    await client
      .collections('books')
      .documents()
      .import([{ title: 'A', points: 1 }]);
    expect((await raw('PATCH', '/collections/books', { body: '{"fields":[{"name":"isbn","type":"string"}]}' })).json).toEqual({
      message: 'Field `isbn` has been declared in the schema, but is not found in the document.',
    });
  });

  it('v30 summaries carry synonym_sets and curation_sets', async () => {
    const { client, raw } = await startTestEmulator({ version: '30.0' });
    await client.collections().create({ ...booksSchema, synonym_sets: ['s1'] } as never);
    const summary = await raw('GET', '/collections/books', { spec: '/collections/{collectionName}' });
    expect(summary.json).toMatchObject({ synonym_sets: ['s1'], curation_sets: [] });
  });
});
