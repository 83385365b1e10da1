// POST /dumps writes a real v6 dump: driven with the official client, then read back by `tar` (layout)
// and by the plugin's dump reader (content).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readDumpIndex, readDumpSummary } from '../../../plugins/meilisearch/dump/reader.ts';
import { startTestEmulator } from './test-helpers.ts';

const until = async (check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> => {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-dumps-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('meilisearch emulator: dumps', () => {
  it('writes a v6 dump with the layout, documents, settings and keys of the instance', async () => {
    const dumpsDir = tempDir();
    const { client } = await startTestEmulator({ masterKey: 'dump-master-key-0123456789', dumpsDir, version: '1.16.0' });
    await client.createIndex('movies', { primaryKey: 'id' }).waitTask();
    await client
      .index('movies')
      .updateSettings({ stopWords: ['the'], rankingRules: ['words', 'typo', 'release:desc'], embedders: { manual: { source: 'userProvided', dimensions: 2 } } })
      .waitTask();
    await client
      .index('movies')
      .addDocuments([
        { id: 1, title: 'one', _vectors: { manual: [0.5, 0.5] } },
        { id: 2, title: 'two', _vectors: { manual: [1, 0] } },
      ])
      .waitTask();
    await client
      .index('books')
      .addDocuments([{ isbn: 'a1' }], { primaryKey: 'isbn' })
      .waitTask();

    const task = await client.createDump().waitTask();
    expect(task).toMatchObject({ type: 'dumpCreation', status: 'succeeded' });
    const dumpUid = task.details?.dumpUid as string;
    expect(dumpUid).toMatch(/^\d{8}-\d{9}$/);
    const file = join(dumpsDir, `${dumpUid}.dump`);
    expect(readdirSync(dumpsDir)).toEqual([`${dumpUid}.dump`]);

    const listing = execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing).toEqual(
      expect.arrayContaining([
        './',
        'metadata.json',
        'instance_uid.uuid',
        'keys.jsonl',
        'tasks/',
        'tasks/queue.jsonl',
        'tasks/update_files/',
        'batches/',
        'batches/queue.jsonl',
        'indexes/',
        'indexes/movies/',
        'indexes/movies/metadata.json',
        'indexes/movies/settings.json',
        'indexes/movies/documents.jsonl',
        'indexes/books/metadata.json',
        'indexes/books/settings.json',
        'indexes/books/documents.jsonl',
        'experimental-features.json',
        'network.json',
        'webhooks.json',
        'chat-completions-settings/',
      ]),
    );
    const metadata = JSON.parse(execFileSync('tar', ['xzOf', file, 'metadata.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(metadata).toEqual({ dumpVersion: 'V6', dbVersion: '1.16.0', dumpDate: expect.any(String) });

    const summary = await readDumpSummary(file, AbortSignal.timeout(10_000));
    expect(summary).toMatchObject({ dumpVersion: 'V6', dbVersion: '1.16.0', keysCount: 4, tasksCount: 5, batchesCount: 4 });
    expect(summary.indexes.map((index) => [index.uid, index.primaryKey, index.documentCount])).toEqual([
      ['books', 'isbn', 1],
      ['movies', 'id', 2],
    ]);
    const movies = summary.indexes.find((index) => index.uid === 'movies')!;
    // The dump keeps every setting as stored, not the masked GET view.
    expect(movies.settings).toMatchObject({
      stopWords: ['the'],
      rankingRules: ['words', 'typo', 'release:desc'],
      embedders: { manual: { source: 'userProvided', dimensions: 2 } },
    });
    expect(movies.settings).toEqual(expect.objectContaining(await client.index('movies').getSettings()));

    const documents: Record<string, unknown>[] = [];
    for await (const item of readDumpIndex(file, 'movies', { signal: AbortSignal.timeout(10_000) })) if (item.kind === 'documents') documents.push(...item.documents);
    expect(documents).toEqual([
      { id: 1, title: 'one', _vectors: { manual: { embeddings: [[0.5, 0.5]], regenerate: false } } },
      { id: 2, title: 'two', _vectors: { manual: { embeddings: [[1, 0]], regenerate: false } } },
    ]);
    const keys = execFileSync('tar', ['xzOf', file, 'keys.jsonl'], { encoding: 'utf8' });
    expect(keys).not.toContain('"key"');
  });

  it('shows the dump steps in the batch progress while it runs, then the file appears', async () => {
    const { client, emulator } = await startTestEmulator({ taskDelayMs: 600 });
    await client
      .index('a')
      .addDocuments([{ id: 1 }])
      .waitTask();
    const enqueued = await client.createDump();
    await until(async () => (await client.tasks.getTask(enqueued.taskUid)).status === 'processing');
    const steps = new Set<string>();
    const dumpFiles = () => readdirSync(emulator.dumpsDir).filter((name) => name.endsWith('.dump'));
    let task = await client.tasks.getTask(enqueued.taskUid);
    while (task.status === 'processing') {
      const batch = await client.batches.getBatch(task.batchUid!);
      if (batch.progress) {
        expect(batch.progress.percentage).toBeGreaterThanOrEqual(0);
        expect(batch.progress.percentage).toBeLessThan(100);
        steps.add(batch.progress.steps.at(-1)!.currentStep);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
      // listed before the task is read: a file may only exist once the task has succeeded
      const files = dumpFiles();
      task = await client.tasks.getTask(enqueued.taskUid);
      if (task.status === 'processing') expect(files).toEqual([]);
    }
    expect(task.status).toBe('succeeded');
    // the engine's DumpCreationProgress steps, in order (sampled, so not every one is seen)
    const DUMP_STEPS = [
      'start the dump creation',
      'dump the api keys',
      'dump the chat completion settings',
      'dump the tasks',
      'dump the batches',
      'dump the indexes',
      'dump the experimental features',
      'compress the dump',
    ];
    expect(steps.size).toBeGreaterThanOrEqual(3);
    expect([...steps]).toEqual(DUMP_STEPS.filter((step) => steps.has(step)));
    expect(existsSync(join(emulator.dumpsDir, `${task.details?.dumpUid}.dump`))).toBe(true);
  });

  it('writes nothing when the dump task is canceled while it runs', async () => {
    const dumpsDir = tempDir();
    const { client } = await startTestEmulator({ taskDelayMs: 5_000, dumpsDir });
    const enqueued = await client.createDump();
    await until(async () => (await client.tasks.getTask(enqueued.taskUid)).status === 'processing');
    await client.tasks.cancelTasks({ uids: [enqueued.taskUid] }).waitTask();
    expect(await client.tasks.getTask(enqueued.taskUid)).toMatchObject({ status: 'canceled', details: { dumpUid: null } });
    expect(readdirSync(dumpsDir)).toEqual([]);
  });

  it('uses a temp dumps folder by default and removes it on close', async () => {
    const { client, emulator } = await startTestEmulator();
    await client.createDump().waitTask();
    const dir = emulator.dumpsDir;
    expect(readdirSync(dir)).toHaveLength(1);
    await emulator.close();
    expect(existsSync(dir)).toBe(false);
  });
});
