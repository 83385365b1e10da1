// Issue 13.1, second wall: the Typesense and MagnetoDB plugin clients put a hostile name into a URL as one
// encoded segment (typesense-js does not encode it on the overrides routes), and refuse the dot segments no
// encoding can carry — checked on the wire with a proxy in front of the emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MagnetoDbClient } from '../../plugins/magnetodb/client.ts';
import { TypesenseClient } from '../../plugins/typesense/client.ts';
import { startMagnetoDbEmulator, type MagnetoDbEmulator } from '../emulators/magnetodb/server.ts';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { startFaultProxy, type FaultProxy } from '../faults/fault-proxy.ts';

describe('plugin clients encode every path segment', () => {
  let typesense: TypesenseEmulator;
  let magnetodb: MagnetoDbEmulator;
  let typesenseProxy: FaultProxy;
  let magnetodbProxy: FaultProxy;

  beforeAll(async () => {
    [typesense, magnetodb] = await Promise.all([startTypesenseEmulator(), startMagnetoDbEmulator()]);
    [typesenseProxy, magnetodbProxy] = await Promise.all([startFaultProxy(typesense.url), startFaultProxy(magnetodb.url)]);
  });

  afterAll(async () => {
    await Promise.all([typesenseProxy?.close(), magnetodbProxy?.close()]);
    await Promise.all([typesense?.close(), magnetodb?.close()]);
  });

  const paths = (proxy: FaultProxy) => proxy.log.map((entry) => `${entry.method} ${entry.path.split('?')[0]}`);

  it('Typesense: collection names in paths, overrides included', async () => {
    const client = new TypesenseClient({ nodes: [typesenseProxy.url], apiKey: typesense.apiKey, timeoutMs: 5_000 });
    const signal = AbortSignal.timeout(10_000);
    typesenseProxy.log.length = 0;
    await client.listOverrides('movies?x=1', signal).catch(() => null);
    await client.upsertOverride('../keys', 'pin#1', { rule: { query: 'a', match: 'exact' } }, signal).catch(() => null);
    await client.getCollection('a/b', signal).catch(() => null);
    await expect(client.dropCollection('..', signal)).rejects.toMatchObject({ code: 'invalid_name' });
    expect(paths(typesenseProxy)).toEqual(['GET /collections/movies%3Fx%3D1/overrides', 'PUT /collections/..%2Fkeys/overrides/pin%231', 'GET /collections/a%2Fb']);
  });

  it('MagnetoDB: table names in paths', async () => {
    const client = new MagnetoDbClient({ url: magnetodbProxy.url, projectId: 'p 1', token: magnetodb.token, timeoutMs: 5_000 });
    const signal = AbortSignal.timeout(10_000);
    magnetodbProxy.log.length = 0;
    await client.describeTable('orders?', signal).catch(() => null);
    await expect(client.deleteTable('..', signal)).rejects.toMatchObject({ code: 'invalid_name' });
    expect(paths(magnetodbProxy)).toEqual(['GET /v1/data/p%201/tables/orders%3F']);
  });
});
