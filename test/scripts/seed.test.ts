// `npm run seed` at a small size (SEED_DOCUMENTS): it fills both emulators through the official clients with the
// generated documents (~1 KB, the same ones on every run), shows its progress, and a second run changes nothing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Meilisearch } from 'meilisearch';
import { Client as Typesense } from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movie, product } from '../../scripts/lib/seed-data.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { REPO_ROOT } from '../helpers/child-gateway.ts';

const run = promisify(execFile);
const COUNT = 1200;

describe('npm run seed', () => {
  let meili: MeilisearchEmulator;
  let typesense: TypesenseEmulator;

  beforeAll(async () => {
    meili = await startMeilisearchEmulator();
    typesense = await startTypesenseEmulator({ apiKey: 'seed-key' });
  });
  afterAll(async () => {
    await meili?.close();
    await typesense?.close();
  });

  const seed = () =>
    run('npm', ['run', '--silent', 'seed'], {
      cwd: REPO_ROOT,
      env: { ...process.env, SEED_DOCUMENTS: String(COUNT), MEILISEARCH_URL: meili.url, TYPESENSE_URL: typesense.url, TYPESENSE_API_KEY: 'seed-key' },
    });

  it('fills Meilisearch and Typesense with ~1 KB generated documents, showing progress', async () => {
    const { stdout } = await seed();
    expect(stdout).toContain(`meilisearch ${meili.url} movies: 1,200/1,200 documents (100 %`);
    expect(stdout).toContain(`typesense ${typesense.url} products: 1,200/1,200 documents (100 %`);

    const meiliClient = new Meilisearch({ host: meili.url });
    expect((await meiliClient.index('movies').getStats()).numberOfDocuments).toBe(COUNT);
    expect(await meiliClient.index('movies').getDocument(42)).toEqual(movie(42));
    const typesenseClient = new Typesense({ nodes: [{ url: typesense.url }], apiKey: 'seed-key', logLevel: 'silent' });
    expect((await typesenseClient.collections('products').retrieve()).num_documents).toBe(COUNT);
    expect(await typesenseClient.collections('products').documents('p0000042').retrieve()).toEqual(product(42));

    // Realistic size: about a kilobyte of JSON each, and not all alike.
    const sizes = Array.from({ length: 200 }, (_, n) => JSON.stringify(movie(n)).length + JSON.stringify(product(n)).length);
    const average = sizes.reduce((a, b) => a + b, 0) / sizes.length / 2;
    expect(average).toBeGreaterThan(800);
    expect(average).toBeLessThan(1300);
    expect(new Set(Array.from({ length: 100 }, (_, n) => movie(n).title)).size).toBeGreaterThan(90);
  });

  it('is deterministic: a second run upserts the same documents', async () => {
    await seed();
    const meiliClient = new Meilisearch({ host: meili.url });
    expect((await meiliClient.index('movies').getStats()).numberOfDocuments).toBe(COUNT);
    expect(await meiliClient.index('movies').getDocument(1199)).toEqual(movie(1199));
    expect(movie(7)).toEqual(movie(7));
  });
});
