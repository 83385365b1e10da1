// The public API describes itself, carries byte counts exactly, and cannot be made to do unbounded work by a
// VIEWER (issue 13.11): lists inside a backup are paged and priced by their size, and an engine's health is asked
// once per request however many aliases name it.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInputObjectType, isObjectType, isScalarType, isEnumType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationCosts } from '../../src/graphql/cost.ts';
import { REQUEST_LIMITS } from '../../src/graphql/limits.ts';
import { schema } from '../../src/graphql/schema/index.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { parse } from 'graphql';
import { Meilisearch } from 'meilisearch';

const BUILT_IN_SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);
const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);

describe('the schema describes itself', () => {
  it('every type, root field, argument and input field has a description', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || BUILT_IN_SCALARS.has(type.name)) continue;
      if (!type.description && !ROOTS.has(type.name)) missing.push(type.name);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (ROOTS.has(type.name) && !field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isInputObjectType(type)) for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
      if (isEnumType(type) || isScalarType(type)) continue;
    }
    expect(missing).toEqual([]);
  });

  it('byte counts are BigInt, not Float', () => {
    // Every field named like a byte count, found by name so a type added later is held to it too.
    const byteFields: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !(isObjectType(type) || isInputObjectType(type))) continue;
      for (const field of Object.values(type.getFields())) if (/(^b|B)ytes$/.test(field.name)) byteFields.push(`${type.name}.${field.name}`);
    }
    expect(byteFields).toEqual(
      expect.arrayContaining([
        'Backup.sizeBytes',
        'BackupCollection.bytes',
        'Artifact.bytes',
        'GatewayDump.bytes',
        'JobProgress.bytes',
        'ReconcileOrphan.bytes',
        'ReconcileMissing.expectedBytes',
        'ReconcileMissing.foundBytes',
        'BackupSet.sizeBytes',
        'RestorePlanCollection.bytes',
        'EngineProtection.storageBytes',
      ]),
    );
    const notBigInt = byteFields.filter((path) => {
      const [typeName, fieldName] = path.split('.') as [string, string];
      const type = schema.getType(typeName);
      if (!isObjectType(type) && !isInputObjectType(type)) throw new Error(`${typeName} is not an object type`);
      return String(type.getFields()[fieldName]!.type).replace('!', '') !== 'BigInt';
    });
    expect(notBigInt).toEqual([]);
  });

  it('prices a page size given as a variable at its field maximum, unlike a page of one', () => {
    const literal = operationCosts(parse('query { backup(id: "x") { collections(first: 10) { name } } }'))[0]!;
    const variable = operationCosts(parse('query($n: Int) { backup(id: "x") { collections(first: $n) { name } } }'))[0]!;
    const omitted = operationCosts(parse('query { backup(id: "x") { collections { name } } }'))[0]!;
    expect(variable).toBeGreaterThan(literal * 50);
    expect(omitted).toBeLessThan(literal);
  });
});

/** A loopback proxy in front of the emulator that counts each path it forwards. */
async function countingProxy(target: string): Promise<{ url: string; counts: Map<string, number>; close(): Promise<void> }> {
  const counts = new Map<string, number>();
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const db of DB_KINDS) {
  describe(`bounded work per request (${db})`, () => {
    const MASTER = 'contract-master-key-0123456789';
    let t: TestGateway;
    let viewer: string;
    let emulator: MeilisearchEmulator;
    let proxy: Awaited<ReturnType<typeof countingProxy>>;
    let engineId: string;
    let bigBackupId: string;
    const COLLECTIONS = 5_000; // enough to need paging; the cost refusal does not depend on the count

    beforeAll(async () => {
      emulator = await startMeilisearchEmulator({});
      proxy = await countingProxy(emulator.url);
      t = await startTestGateway({ db, masterKey: MASTER });
      const key = await t.gql(`mutation { createApiKey(input: {name: "viewer", scope: VIEWER}) { key } }`);
      viewer = key.data!.createApiKey.key;
      const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'meili', plugin: 'meilisearch', config: { url: proxy.url } },
      });
      engineId = engine.data!.registerEngine.id;
      // The catalog as a huge import would leave it: one backup of 20k collections, one of a byte count past 2^53.
      const prisma = t.gateway.prisma;
      const big = await prisma.backup.create({
        data: { name: 'huge', plugin: 'meilisearch', strategy: 'LOGICAL', type: 'FULL', status: 'COMPLETE', location: 'file:///nowhere', sizeBytes: 2n ** 60n + 1n },
      });
      bigBackupId = big.id;
      for (let start = 0; start < COLLECTIONS; start += 1000) {
        await prisma.backupCollection.createMany({
          data: Array.from({ length: 1000 }, (_, i) => ({ backupId: big.id, name: `c${String(start + i).padStart(5, '0')}`, documentCount: 1n, bytes: 1234n })),
        });
      }
    });
    afterAll(async () => {
      await t?.close();
      await proxy?.close();
      await emulator?.close();
    });

    it('sends byte counts as numbers while exact, as strings of digits beyond 2^53', async () => {
      const res = await t.gql(`query($id: ID!) { backup(id: $id) { sizeBytes collections(first: 1) { bytes } } }`, { id: bigBackupId }, viewer);
      expect(res.errors).toBeUndefined();
      expect(res.data!.backup.sizeBytes).toBe((2n ** 60n + 1n).toString());
      expect(res.data!.backup.collections[0].bytes).toBe(1234);
    });

    it('100 aliases over a 5k-collection backup get one page each, and the whole list is refused', async () => {
      const aliases = (selection: string) => Array.from({ length: 100 }, (_, i) => `b${i}: backup(id: $id) { ${selection} }`).join('\n');
      const paged = await t.gql(`query($id: ID!) { ${aliases('collectionCount collections { name }')} }`, { id: bigBackupId }, viewer);
      expect(paged.errors).toBeUndefined();
      expect(paged.data!.b0.collectionCount).toBe(COLLECTIONS);
      expect(paged.data!.b99.collections).toHaveLength(100);

      // The next page starts after the last name seen.
      const next = await t.gql(`query($id: ID!) { backup(id: $id) { collections(first: 3, after: "c00099") { name } } }`, { id: bigBackupId }, viewer);
      expect(next.data!.backup.collections.map((c: { name: string }) => c.name)).toEqual(['c00100', 'c00101', 'c00102']);

      for (const [query, variables] of [
        [`query($id: ID!) { ${aliases('collections(first: 1000) { name documentCount bytes }')} }`, { id: bigBackupId }],
        [`query($id: ID!, $n: Int) { ${aliases('collections(first: $n) { name documentCount bytes }')} }`, { id: bigBackupId, n: 1000 }],
      ] as const) {
        const refused = await t.gql(query, variables, viewer);
        expect(refused.errors?.[0]?.extensions?.code, JSON.stringify(refused.errors)).toBe('query_too_complex');
        expect(refused.data ?? null).toBeNull();
      }
      const tooLarge = await t.gql(`query($id: ID!) { backup(id: $id) { collections(first: ${COLLECTIONS}) { name } } }`, { id: bigBackupId }, viewer);
      expect(tooLarge.errors?.[0]?.extensions?.code).toBe('invalid_input');
      expect(REQUEST_LIMITS.maxAliases).toBe(100);
    });

    it('asks each engine for its health once per request, however many aliases name it', async () => {
      proxy.counts.clear();
      const aliases = Array.from({ length: 50 }, (_, i) => `e${i}: engines { health { ok } } x${i}: engine(id: $id) { health { ok version } }`).join('\n');
      const res = await t.gql(`query($id: ID!) { ${aliases} }`, { id: engineId }, viewer);
      expect(res.errors).toBeUndefined();
      expect(res.data!.e49[0].health.ok).toBe(true);
      expect(res.data!.x0.health.ok).toBe(true);
      expect(proxy.counts.get('/health')).toBe(1);
      // A new request asks again.
      await t.gql(`query { engines { health { ok } } }`, {}, viewer);
      expect(proxy.counts.get('/health')).toBe(2);
    });

    it("pages an engine's collections and lists the engine once per request, staging copies included", async () => {
      const uids = Array.from({ length: 120 }, (_, i) => `idx${String(i).padStart(3, '0')}`);
      const meili = new Meilisearch({ host: emulator.url });
      for (const uid of uids) await meili.createIndex(uid, { primaryKey: 'id' }).waitTask();
      try {
        // What one engine field of each kind costs the engine: the listing's pages, once for each.
        proxy.counts.clear();
        const once = await t.gql(`query($id: ID!) { engine(id: $id) { collectionCount stagingLeftovers { name } } }`, { id: engineId }, viewer);
        expect(once.errors).toBeUndefined();
        const listings = proxy.counts.get('/indexes')!;
        expect(listings).toBeGreaterThanOrEqual(2);
        proxy.counts.clear();
        const aliases = Array.from(
          { length: 40 },
          (_, i) => `c${i}: engine(id: $id) { collectionCount collections { name } } s${i}: engine(id: $id) { stagingLeftovers { name } }`,
        );
        const res = await t.gql(`query($id: ID!) { ${aliases.join('\n')} }`, { id: engineId }, viewer);
        expect(res.errors).toBeUndefined();
        expect(res.data!.c0.collectionCount).toBe(uids.length);
        expect(res.data!.c39.collections.map((c: { name: string }) => c.name)).toEqual(uids.slice(0, 100));
        expect(res.data!.s39.stagingLeftovers).toEqual([]);
        // The same however many aliases name the engine.
        expect(proxy.counts.get('/indexes')).toBe(listings);
        const next = await t.gql(`query($id: ID!) { engine(id: $id) { collections(first: 50, after: "idx099") { name } } }`, { id: engineId }, viewer);
        expect(next.data!.engine.collections.map((c: { name: string }) => c.name)).toEqual(uids.slice(100));
        const refused = await t.gql(
          `query($id: ID!) { ${Array.from({ length: 100 }, (_, i) => `e${i}: engine(id: $id) { collections(first: 1000) { name documentCount locked } }`).join('\n')} }`,
          { id: engineId },
          viewer,
        );
        expect(refused.errors?.[0]?.extensions?.code).toBe('query_too_complex');
        const tooLarge = await t.gql(`query($id: ID!) { engine(id: $id) { collections(first: 1001) { name } } }`, { id: engineId }, viewer);
        expect(tooLarge.errors?.[0]?.extensions?.code).toBe('invalid_input');
      } finally {
        for (const uid of uids) await meili.deleteIndex(uid).waitTask();
      }
    });

    it('a subscription asks again for each event (its context lives as long as it does)', async () => {
      proxy.counts.clear();
      const before = t.gateway.bus.subscriberCount;
      const events = t.subscribe(`subscription($e: ID) { jobEvents(engineId: $e) { status engine { health { ok } } } }`, { e: engineId });
      const firstTwo = (async () => {
        const seen: unknown[] = [];
        for await (const event of events) {
          seen.push(event);
          if (seen.length === 2) break;
        }
        return seen;
      })();
      await expect.poll(() => t.gateway.bus.subscriberCount).toBeGreaterThan(before);
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
      expect(started.errors).toBeUndefined();
      expect(await firstTwo).toHaveLength(2);
      expect(proxy.counts.get('/health')).toBeGreaterThanOrEqual(2);
    });
  });
}
