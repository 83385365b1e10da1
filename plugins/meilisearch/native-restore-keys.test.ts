// Native restore of real dump files with API keys into a fresh emulator that runs with the same master key:
// the keys come back with their uid, so they answer with their old values (HMAC-SHA256(master key, uid));
// keys without a uid (dump v4) and instance-level settings (network, webhooks, experimental features) are
// named with the reason they are not applied.
import { createHmac, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeWithShared, sharedPath } from '../../test/helpers/requirements.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../../test/emulators/meilisearch/server.ts';
import { createTempStorage, createTestJob, runNativeRestore, type TempStorage } from '../../test/contract/harness.ts';
import { createNativeSink } from '../../src/storage/native-sink.ts';
import { meilisearchPlugin } from './index.ts';
import { readDumpSummary } from './dump/reader.ts';

const FIXTURES = sharedPath('fixtures', 'meilisearch-dumps');
const MASTER_KEY = 'same-master-key-as-the-source-0123';
const keyValue = (uid: string) => createHmac('sha256', MASTER_KEY).update(uid).digest('hex');

let emulator: MeilisearchEmulator | undefined;
let temp: TempStorage | undefined;
afterEach(async () => {
  await emulator?.close();
  await temp?.cleanup();
});

/** A fresh emulator, the dump stored as a native backup, and the restore of its first index (if any) with the given options. */
async function restoreDump(file: string, options: Record<string, unknown> | undefined) {
  temp = await createTempStorage();
  emulator = await startMeilisearchEmulator({ masterKey: MASTER_KEY });
  const config = meilisearchPlugin.config.parse({ url: emulator.url, apiKey: MASTER_KEY });
  const instance = meilisearchPlugin.create(config, { logger: createTestJob().ctx.logger });
  const path = join(FIXTURES, file);
  const backupId = randomUUID();
  const sink = createNativeSink({ storage: temp.storage, backupId });
  await sink.writeFile('imported.dump', createReadStream(path));
  const now = new Date().toISOString();
  await sink.finalize({ plugin: 'meilisearch', engineVersion: null, externalId: null, collections: [], warnings: [], createdAt: now, finishedAt: now });
  const summary = await readDumpSummary(path, AbortSignal.timeout(30_000));
  const uid = summary.indexes[0]?.uid;
  const request = { collections: uid === undefined ? [] : [uid], rename: {}, atomic: uid !== undefined, ...(options ? { options } : {}) };
  const result = await runNativeRestore(instance, temp.storage, backupId, request);
  return { result, summary, uid };
}

async function getKey(uid: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${emulator!.url}/keys/${uid}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describeWithShared('meilisearch native restore: the dump’s keys and instance settings', () => {
  it('recreates every key of a v6 dump with its uid: same master key → the old values, usable at once', async () => {
    const { result, summary, uid } = await restoreDump('v6-with-network.dump', { keys: true });
    expect(summary.keys.length).toBe(2);
    for (const key of summary.keys) {
      const live = await getKey(key.uid);
      expect(live.status, key.uid).toBe(200);
      expect(live.body).toMatchObject({ uid: key.uid, key: keyValue(key.uid), name: key.name, actions: key.actions, indexes: key.indexes });
    }
    expect(result.warnings).toContain('2 of 2 API key(s) recreated with their uid: their values are the old ones only if the target runs with the same master key');
    // The old admin key reads the restored index (the emulator has no search route).
    const admin = summary.keys.find((key) => key.name === 'Default Admin API Key')!;
    const answer = await fetch(`${emulator!.url}/indexes/${uid}/documents?limit=1`, { headers: { authorization: `Bearer ${keyValue(admin.uid)}` } });
    expect(answer.status).toBe(200);
    const wrong = await fetch(`${emulator!.url}/indexes/${uid}/documents?limit=1`, { headers: { authorization: `Bearer ${keyValue(randomUUID())}` } });
    expect(wrong.status).toBe(403);
    // Network settings and enabled experimental features are named as skipped, with the reason.
    const text = result.warnings.join('\n');
    expect(text).toContain('network settings of the dump (self "ms-0", 3 remote(s)) not applied');
    expect(text).toContain('experimental features enabled in the dump (proxySearch) not applied');
  });

  it('recreates the keys of a dump of current Meilisearch (1.16) and names its webhooks as skipped, with the reason', async () => {
    const { result, summary } = await restoreDump('v6-with-webhooks.dump', { keys: true });
    expect(summary.keys.map((key) => key.name)).toContain('Default Chat API Key');
    for (const key of summary.keys) expect((await getKey(key.uid)).body).toMatchObject({ uid: key.uid, key: keyValue(key.uid), actions: key.actions });
    expect(result.warnings).toContain('4 of 4 API key(s) recreated with their uid: their values are the old ones only if the target runs with the same master key');
    expect(result.warnings.filter((warning) => warning.includes('webhook'))).toEqual([
      "3 webhook(s) of the dump not applied: they would send the target's task notifications to the source's receivers, with their authorization headers (POST /webhooks registers them)",
    ]);
  });

  it('says why the keys of a v4 dump (no uid, random values) are not recreated', async () => {
    const { result, summary } = await restoreDump('v4.dump', { keys: true });
    expect(summary).toMatchObject({ keysCount: 2, keys: [], keysWithoutUid: 2 });
    expect(result.warnings.join('\n')).toContain('2 API key(s) of this dump (format V4) not recreated: they have no uid');
  });

  it('leaves keys alone when the restore does not ask for them (a restore test), still naming the skipped settings', async () => {
    const { result, summary } = await restoreDump('v6-with-network.dump', undefined);
    for (const key of summary.keys) expect((await getKey(key.uid)).status).toBe(404);
    expect(result.warnings.join('\n')).toContain('network settings of the dump');
  });
});
