// Auth on every route but /health, error bodies, /health and /debug, and the on-demand snapshot
// (state/ tree under snapshot_path, 409 while one runs, snapshot_path required before v28).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'typesense';
import { afterEach, describe, expect, it } from 'vitest';
import { itWithShared } from '../../helpers/requirements.ts';
import { openApiErrors } from './openapi.ts';
import { booksSchema, clientError, startTestEmulator } from './test-helpers.ts';

const FORBIDDEN = { message: 'Forbidden - a valid `x-typesense-api-key` header must be sent.' };
const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'typesense-emulator-snap-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('typesense emulator: auth, health, snapshot', () => {
  itWithShared('checks the spec for real (a wrong shape fails it)', () => {
    expect(openApiErrors('v28', 'GET', '/collections/{collectionName}', 200, { name: 'x' }).length).toBeGreaterThan(0);
    expect(() => openApiErrors('v28', 'GET', '/no/such/route', 200, {})).toThrow();
  });

  it('needs the admin key on every route but /health, from the header or the query parameter', async () => {
    const { emulator, raw } = await startTestEmulator({ apiKey: 'sekret' });
    expect((await raw('GET', '/health', { key: null, spec: '/health' })).json).toEqual({ ok: true });
    for (const [method, route] of [
      ['GET', '/collections'],
      ['GET', '/debug'],
      ['POST', '/operations/snapshot'],
      ['GET', '/keys'],
      ['GET', '/aliases'],
    ] as const) {
      const refused = await raw(method, route, { key: null });
      expect(refused, `${method} ${route}`).toMatchObject({ status: 401, json: FORBIDDEN });
      expect((await raw(method, route, { key: 'wrong' })).status).toBe(401);
    }
    expect((await fetch(`${emulator.url}/collections?x-typesense-api-key=sekret`)).status).toBe(200);
    const wrongClient = new Client({ nodes: [{ url: emulator.url }], apiKey: 'wrong', numRetries: 0, logLevel: 'silent' });
    expect(await clientError(wrongClient.collections().retrieve())).toEqual({ status: 401, name: 'RequestUnauthorized', message: FORBIDDEN.message });
    // Unknown routes answer 404 before any auth.
    expect(await raw('GET', '/nothing/here', { key: null })).toMatchObject({ status: 404, json: { message: 'Not Found' } });
  });

  it('honours scoped keys: actions and collections', async () => {
    const { client, emulator } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    await client.collections().create({ ...booksSchema, name: 'films' } as never);
    const { value } = await client.keys().create({ description: 'export books', actions: ['documents:export', 'collections:get'], collections: ['books'] });
    const scoped = new Client({ nodes: [{ url: emulator.url }], apiKey: value!, numRetries: 0, logLevel: 'silent' });
    expect(await scoped.collections('books').documents().export()).toBe('');
    expect((await clientError(scoped.collections('films').documents().export())).status).toBe(401);
    expect(
      (
        await clientError(
          scoped
            .collections('books')
            .documents()
            .import([{ title: 'x', points: 1 }]),
        )
      ).status,
    ).toBe(401);
  });

  it('reports its version on /debug', async () => {
    const { client, raw } = await startTestEmulator({ version: '28.0' });
    expect(await client.debug.retrieve()).toEqual({ state: 1, version: '28.0' });
    await raw('GET', '/debug', { spec: '/debug' });
  });

  it('writes the raft snapshot under <snapshot_path>/state and answers 201 {"success": true}', async () => {
    const { client, raw } = await startTestEmulator();
    await client.collections().create(booksSchema as never);
    await client
      .collections('books')
      .documents()
      .import([{ id: 'one', title: 'One', points: 1 }]);
    const dir = await tempDir();
    const taken = await raw('POST', `/operations/snapshot?snapshot_path=${encodeURIComponent(dir)}`, { spec: '/operations/snapshot' });
    expect(taken).toMatchObject({ status: 201, json: { success: true } });
    expect(await client.operations.perform('snapshot', { snapshot_path: path.join(dir, 'again') })).toEqual({ success: true });
    expect((await readdir(path.join(dir, 'state'))).sort()).toEqual(['meta', 'snapshot']);
    const [snapshot] = await readdir(path.join(dir, 'state', 'snapshot'));
    expect(snapshot).toMatch(/^snapshot_\d{20}$/);
    const db = path.join(dir, 'state', 'snapshot', snapshot!, 'db_snapshot');
    expect((await readdir(db)).sort()).toEqual(['000009.sst', 'CURRENT', 'MANIFEST-000005', 'OPTIONS-000007']);
    expect(await readFile(path.join(db, '000009.sst'), 'utf8')).toContain('"One"');
  });

  it('answers 409 "Another snapshot is in progress." while one runs', async () => {
    const { raw } = await startTestEmulator({ snapshotDelayMs: 300 });
    const dir = await tempDir();
    const first = raw('POST', `/operations/snapshot?snapshot_path=${encodeURIComponent(dir)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await raw('POST', `/operations/snapshot?snapshot_path=${encodeURIComponent(dir)}/b`);
    expect(second).toMatchObject({ status: 409, json: { message: 'Another snapshot is in progress.' } });
    expect((await first).status).toBe(201);
  });

  it('requires snapshot_path before v28; from v28 an empty one is an internal snapshot', async () => {
    const v27 = await startTestEmulator({ version: '27.1' });
    expect((await v27.raw('POST', '/operations/snapshot')).json).toEqual({ message: 'Parameter `snapshot_path` is required.' });
    const v28 = await startTestEmulator({ version: '28.0' });
    expect(await v28.raw('POST', '/operations/snapshot')).toMatchObject({ status: 201, json: { success: true } });
  });

  it('answers 500 "Copy failed." when it cannot write to the snapshot path', async () => {
    const { raw } = await startTestEmulator();
    const dir = await tempDir();
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    expect(await raw('POST', `/operations/snapshot?snapshot_path=${encodeURIComponent(file)}`)).toMatchObject({ status: 500, json: { success: false, error: 'Copy failed.' } });
  });
});
