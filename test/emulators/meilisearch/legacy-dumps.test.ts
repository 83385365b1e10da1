// The pre-v0.28 dumps API behind `version`: no task, a status route, one dump at a time, and a v4 file.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDumpSummary } from '../../../plugins/meilisearch/dump/reader.ts';
import { errorBody, startTestEmulator } from './test-helpers.ts';

const MASTER_KEY = 'legacy-master-key-0123456789';

describe('meilisearch emulator: dumps before v0.28', () => {
  it('creates a dump without a task, tracks its status and writes a v4 dump', async () => {
    const { client, raw, emulator } = await startTestEmulator({ version: '0.27.2', masterKey: MASTER_KEY, taskDelayMs: 0 });
    await client
      .index('movies')
      .addDocuments([
        { id: 1, title: 'one' },
        { id: 2, title: 'two' },
      ])
      .waitTask();
    await client
      .index('movies')
      .updateSettings({ stopWords: ['the'], rankingRules: ['words', 'typo', 'year:desc'] })
      .waitTask();
    emulator.setOptions({ taskDelayMs: 300 });

    const created = await raw('POST', '/dumps');
    expect(created.status).toBe(202);
    expect(created.body).toEqual({ uid: expect.stringMatching(/^\d{8}-\d{9}$/), status: 'in_progress', startedAt: expect.any(String) });
    const uid = (created.body as { uid: string }).uid;

    expect(await raw('POST', '/dumps')).toEqual({
      status: 409,
      body: errorBody('dump_already_processing', 'A dump is already processing. You must wait until the current process is finished before requesting another dump.'),
    });
    expect((await raw('GET', `/dumps/${uid}/status`)).body).toMatchObject({ uid, status: 'in_progress' });
    expect((await client.tasks.getTasks({ types: ['dumpCreation'] })).total).toBe(0);

    let status = (await raw('GET', `/dumps/${uid}/status`)).body as { status: string };
    while (status.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await raw('GET', `/dumps/${uid}/status`)).body as { status: string };
    }
    expect(status).toEqual({ uid, status: 'done', startedAt: expect.any(String), finishedAt: expect.any(String) });

    const file = join(emulator.dumpsDir, `${uid}.dump`);
    const listing = execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing).toEqual(expect.arrayContaining(['./', 'metadata.json', 'instance-uid', 'keys', 'index_uuids/data.jsonl', 'updates/data.jsonl']));
    expect(listing.filter((path) => path.endsWith('/meta.json'))).toHaveLength(1);

    const summary = await readDumpSummary(file, AbortSignal.timeout(10_000));
    expect(summary).toMatchObject({ dumpVersion: 'V4', dbVersion: '0.27.2', keysCount: 4, tasksCount: 2 });
    expect(summary.indexes).toHaveLength(1);
    expect(summary.indexes[0]).toMatchObject({ uid: 'movies', primaryKey: 'id', documentCount: 2, settings: { stopWords: ['the'], rankingRules: ['words', 'typo', 'year:desc'] } });
    expect(Object.keys(summary.indexes[0]!.settings)).not.toContain('faceting');
  });

  it('answers dump_not_found for an unknown uid', async () => {
    const { raw } = await startTestEmulator({ version: '0.27.2' });
    expect(await raw('GET', '/dumps/20220101-000000000/status')).toEqual({ status: 404, body: errorBody('dump_not_found', 'Dump `20220101-000000000` not found.') });
  });

  it('has no status route from v0.28 on: dumps are tasks', async () => {
    const { raw, client } = await startTestEmulator({ version: '0.28.0' });
    expect(await raw('GET', '/dumps/20220101-000000000/status')).toEqual({ status: 404, body: undefined });
    expect(await client.createDump()).toMatchObject({ type: 'dumpCreation', status: 'enqueued' });
  });
});
