// `npm run seed`: fills the emulators that `npm run emulators` runs with generated documents (~1 KB each, the same
// on every run), through the engines' official clients, so a backup has something to move and its progress can be
// watched. Meilisearch gets the `movies` index, Typesense the `products` collection. Documents are upserted by id:
// seeding again changes nothing.
//   SEED_DOCUMENTS   documents per engine (default 150000: 300,000 in all)
//   SEED_ENGINES     meilisearch,typesense (default both)
//   MEILISEARCH_URL  default http://127.0.0.1:$MEILISEARCH_PORT (7700); MEILI_MASTER_KEY when the emulator has one
//   TYPESENSE_URL    default http://127.0.0.1:$TYPESENSE_PORT (8108); TYPESENSE_API_KEY (default xyz, as the emulator)
import { Meilisearch } from 'meilisearch';
import { Client as Typesense } from 'typesense';
import { movie, product, PRODUCTS_SCHEMA } from './lib/seed-data.ts';

const env = process.env;
const COUNT = Number(env.SEED_DOCUMENTS ?? 150_000);
const BATCH = 5000;
const ENGINES = (env.SEED_ENGINES ?? 'meilisearch,typesense')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const MEILISEARCH_URL = env.MEILISEARCH_URL ?? `http://127.0.0.1:${env.MEILISEARCH_PORT || 7700}`;
const TYPESENSE_URL = env.TYPESENSE_URL ?? `http://127.0.0.1:${env.TYPESENSE_PORT || 8108}`;

function progress(label: string, done: number, started: number): void {
  const seconds = (performance.now() - started) / 1000;
  const rate = done / Math.max(seconds, 0.001);
  process.stdout.write(
    `${label}: ${done.toLocaleString('en-US')}/${COUNT.toLocaleString('en-US')} documents (${Math.floor((done / COUNT) * 100)} %, ${Math.round(rate).toLocaleString('en-US')}/s)\n`,
  );
}

async function seedMeilisearch(): Promise<void> {
  const client = new Meilisearch({ host: MEILISEARCH_URL, apiKey: env.MEILI_MASTER_KEY || undefined });
  await client.health();
  await client.createIndex('movies', { primaryKey: 'id' }).waitTask(); // a no-op failure when it exists
  await client
    .index('movies')
    .updateSettings({ filterableAttributes: ['genres', 'year'], sortableAttributes: ['year', 'rating'] })
    .waitTask();
  const started = performance.now();
  for (let from = 0; from < COUNT; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, COUNT - from) }, (_, i) => movie(from + i));
    await client.index('movies').addDocuments(batch).waitTask({ timeout: 300_000 });
    progress(`meilisearch ${MEILISEARCH_URL} movies`, from + batch.length, started);
  }
}

async function seedTypesense(): Promise<void> {
  const url = new URL(TYPESENSE_URL);
  const client = new Typesense({
    nodes: [{ host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), protocol: url.protocol.slice(0, -1) }],
    apiKey: env.TYPESENSE_API_KEY || 'xyz',
    connectionTimeoutSeconds: 300,
    logLevel: 'warn',
  });
  if (!(await client.collections('products').exists())) await client.collections().create(PRODUCTS_SCHEMA as never);
  const started = performance.now();
  for (let from = 0; from < COUNT; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, COUNT - from) }, (_, i) => product(from + i));
    const results = await client.collections('products').documents().import(batch, { action: 'upsert' });
    const failed = results.filter((result) => !result.success);
    if (failed.length > 0) throw new Error(`Typesense refused ${failed.length} documents: ${JSON.stringify(failed[0])}`);
    progress(`typesense ${TYPESENSE_URL} products`, from + batch.length, started);
  }
}

const SEEDERS: Record<string, () => Promise<void>> = { meilisearch: seedMeilisearch, typesense: seedTypesense };

if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error(`SEED_DOCUMENTS must be a positive integer, got "${env.SEED_DOCUMENTS}"`);
const unknown = ENGINES.filter((name) => !(name in SEEDERS));
if (unknown.length > 0) throw new Error(`SEED_ENGINES: unknown engine(s) ${unknown.join(', ')}; known: ${Object.keys(SEEDERS).join(', ')}`);
try {
  for (const name of ENGINES) await SEEDERS[name]!();
  console.log(`seeded ${ENGINES.join(' and ')} with ${COUNT.toLocaleString('en-US')} documents each`);
} catch (error) {
  console.error(`seed failed: ${error instanceof Error ? error.message : String(error)} — is \`npm run emulators\` running?`);
  process.exit(1);
}
