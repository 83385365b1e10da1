// The task queue: lifecycle, GET /tasks filters and pagination, cancelation of a processing task,
// task deletion, batches with progress, index swaps, dumps and snapshots.
import { describe, expect, it } from 'vitest';
import { apiError, errorBody, startTestEmulator } from './test-helpers.ts';

const until = async (check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> => {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('meilisearch emulator: tasks and batches', () => {
  it('moves tasks from enqueued through processing to succeeded, in uid order', async () => {
    const { client, emulator } = await startTestEmulator({ taskDelayMs: 10_000 });
    const a = await client.createIndex('a');
    const b = await client.index('b').addDocuments([{ id: 1 }]);
    expect((await client.tasks.getTask(b.taskUid)).status).toBe('enqueued');
    await until(async () => (await client.tasks.getTask(a.taskUid)).status === 'processing');
    const processing = await client.tasks.getTask(a.taskUid);
    expect(processing).toMatchObject({ batchUid: 0, finishedAt: null, duration: null });
    expect(processing.startedAt).not.toBeNull();
    // index operations only apply when processed
    expect(await apiError(client.getIndex('a'))).toMatchObject({ code: 'index_not_found' });
    emulator.setOptions({ taskDelayMs: 0 });
    const done = await client.tasks.waitForTasks([a.taskUid, b.taskUid]);
    expect(done.map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
    expect(Date.parse(done[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(done[0]!.finishedAt!));
  });

  it('lists tasks newest first with filters, limit, from and next', async () => {
    const { client, raw } = await startTestEmulator();
    await client.createIndex('movies').waitTask();
    await client
      .index('movies')
      .addDocuments([{ id: 1 }])
      .waitTask();
    await client.createIndex('movies').waitTask(); // fails: already exists
    await client
      .index('books')
      .addDocuments([{ id: 1 }])
      .waitTask();
    await client.createDump().waitTask();

    const all = await client.tasks.getTasks();
    expect(all.results.map((t) => t.uid)).toEqual([4, 3, 2, 1, 0]);
    expect(all).toMatchObject({ total: 5, limit: 20, from: 4, next: null });

    const paged = await client.tasks.getTasks({ limit: 2, from: 3 });
    expect(paged.results.map((t) => t.uid)).toEqual([3, 2]);
    expect(paged).toMatchObject({ total: 5, limit: 2, from: 3, next: 1 });

    expect((await client.tasks.getTasks({ statuses: ['failed'] })).results.map((t) => t.uid)).toEqual([2]);
    expect((await client.tasks.getTasks({ types: ['documentAdditionOrUpdate'], indexUids: ['movies'] })).results.map((t) => t.uid)).toEqual([1]);
    expect((await client.tasks.getTasks({ uids: [0, 4] })).results.map((t) => t.uid)).toEqual([4, 0]);
    // an index filter never matches tasks that are not tied to one index
    expect((await client.tasks.getTasks({ indexUids: ['movies', 'books'] })).total).toBe(4);
    expect((await client.tasks.getTasks({ reverse: true, limit: 1 })).results.map((t) => t.uid)).toEqual([0]);

    expect((await raw('GET', '/tasks?statuses=doggo')).body).toEqual(
      errorBody(
        'invalid_task_statuses',
        'Invalid value in parameter `statuses`: `doggo` is not a valid task status. Available statuses are `enqueued`, `processing`, `succeeded`, `failed`, `canceled`.',
      ),
    );
    expect(await apiError(client.tasks.getTask(99))).toMatchObject({ status: 404, ...errorBody('task_not_found', 'Task `99` not found.') });
  });

  it('cancels a processing task: it ends canceled, its documents are never applied', async () => {
    const { client, emulator } = await startTestEmulator({ taskDelayMs: 10_000 });
    const addition = await client.index('restore').addDocuments([{ id: 1 }, { id: 2 }]);
    const queued = await client.index('restore').addDocuments([{ id: 3 }]);
    await until(async () => (await client.tasks.getTask(addition.taskUid)).status === 'processing');

    const batch = await client.batches.getBatch(0);
    expect(batch.progress).toMatchObject({ steps: [{ currentStep: 'processing tasks', finished: 0, total: 2 }, { total: 3 }] });
    expect(batch.progress?.percentage).toBeGreaterThanOrEqual(0);
    expect(batch.finishedAt).toBeNull();

    const cancel = await client.tasks.cancelTasks({ indexUids: ['restore'] });
    expect(cancel).toMatchObject({ type: 'taskCancelation', status: 'enqueued', indexUid: null });
    const cancelTask = await client.tasks.waitForTask(cancel.taskUid);
    expect(cancelTask).toMatchObject({ status: 'succeeded', details: { matchedTasks: 2, canceledTasks: 2, originalFilter: '?indexUids=restore' } });

    const canceled = await client.tasks.getTask(addition.taskUid);
    expect(canceled).toMatchObject({
      status: 'canceled',
      canceledBy: cancel.taskUid,
      batchUid: cancelTask.batchUid,
      details: { receivedDocuments: 2, indexedDocuments: 0 },
      error: null,
    });
    expect((await client.tasks.getTask(queued.taskUid)).status).toBe('canceled');
    expect(await apiError(client.getIndex('restore'))).toMatchObject({ code: 'index_not_found' });

    const finished = await client.batches.getBatch(cancelTask.batchUid!);
    expect(finished).toMatchObject({ progress: null, stats: { totalNbTasks: 3, status: { succeeded: 1, canceled: 2 } } });
    emulator.setOptions({ taskDelayMs: 0 });
    expect((await client.tasks.getTasks({ canceledBy: [cancel.taskUid] })).total).toBe(2);
    expect(await apiError(client.tasks.cancelTasks({}))).toMatchObject({ status: 400, code: 'missing_task_filters' });
  });

  it('deletes finished tasks and the batches left empty', async () => {
    const { client } = await startTestEmulator();
    await client.createIndex('x').waitTask();
    await client.createIndex('y').waitTask();
    const deletion = await client.tasks.deleteTasks({ uids: [0, 1, 42] }).waitTask();
    expect(deletion).toMatchObject({ type: 'taskDeletion', status: 'succeeded', details: { matchedTasks: 2, deletedTasks: 2, originalFilter: '?uids=0%2C1%2C42' } });
    expect((await client.tasks.getTasks()).results.map((t) => t.uid)).toEqual([2]);
    expect(await apiError(client.batches.getBatch(0))).toMatchObject({ status: 404, code: 'batch_not_found', message: 'Batch `0` not found.' });
    expect((await client.batches.getBatches()).results.map((b) => b.uid)).toEqual([2]);
  });

  it('swaps indexes and renames the index of earlier tasks', async () => {
    const { client, raw } = await startTestEmulator({ version: '1.16.0' });
    await client
      .index('live')
      .addDocuments([{ id: 'old' }])
      .waitTask();
    await client
      .index('staging')
      .addDocuments([{ id: 'new' }])
      .waitTask();
    const swap = await client.swapIndexes([{ indexes: ['live', 'staging'] } as never]).waitTask();
    expect(swap).toMatchObject({ type: 'indexSwap', status: 'succeeded', indexUid: null, details: { swaps: [{ indexes: ['live', 'staging'] }] } });
    expect((await client.index('live').getDocuments()).results).toEqual([{ id: 'new' }]);
    expect((await client.tasks.getTask(0)).indexUid).toBe('staging');

    const missing = await client.swapIndexes([{ indexes: ['live', 'ghost'] } as never]).waitTask();
    expect(missing.error).toEqual(errorBody('index_not_found', 'Index `ghost` not found.'));
    // `rename` arrived in v1.18: v1.16 rejects the field
    const rename = await raw('POST', '/swap-indexes', { body: '[{"indexes":["live","fresh"],"rename":true}]', headers: { 'content-type': 'application/json' } });
    expect(rename.body).toEqual(errorBody('bad_request', 'Unknown field `rename` inside `[0]`: expected one of `indexes`'));
  });

  it('renames an index with swap rename on v1.18+', async () => {
    const { client } = await startTestEmulator({ version: '1.18.0' });
    await client
      .index('staging')
      .addDocuments([{ id: 1 }])
      .waitTask();
    const task = await client.swapIndexes([{ indexes: ['staging', 'live'], rename: true }]).waitTask();
    expect(task).toMatchObject({ status: 'succeeded', details: { swaps: [{ indexes: ['staging', 'live'], rename: true }] } });
    expect((await client.getIndexes()).results.map((i) => i.uid)).toEqual(['live']);
  });

  it('creates dumps and snapshots as global tasks, dumps first-class before index tasks', async () => {
    const { client, emulator } = await startTestEmulator({ taskDelayMs: 10_000 });
    const indexTask = await client.createIndex('a');
    const later = await client.createIndex('b');
    const dump = await client.createDump();
    expect(dump).toMatchObject({ type: 'dumpCreation', status: 'enqueued', indexUid: null });
    const snapshot = await client.createSnapshot();
    emulator.setOptions({ taskDelayMs: 0 });
    const [first, dumpTask, snapshotTask, laterTask] = await client.tasks.waitForTasks([indexTask.taskUid, dump.taskUid, snapshot.taskUid, later.taskUid]);
    expect(dumpTask!.details?.dumpUid).toMatch(/^\d{8}-\d{9}$/);
    expect(snapshotTask).toMatchObject({ status: 'succeeded', type: 'snapshotCreation' });
    expect(snapshotTask).not.toHaveProperty('details');
    // priorities: snapshot, then dump, then the remaining index task
    expect(Date.parse(snapshotTask!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first!.finishedAt!));
    expect(Date.parse(dumpTask!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(snapshotTask!.finishedAt!));
    expect(Date.parse(laterTask!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(dumpTask!.finishedAt!));
  });
});
