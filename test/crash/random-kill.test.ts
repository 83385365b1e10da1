// SIGKILL a gateway child process at random points of backups and restores, restart it, and check what is left:
// no COMPLETE backup with a missing or short file (every file's size and sha256 as cataloged and in the manifest),
// no temp file and no partial backup folder after the restart, and the restore target either untouched or fully
// restored. CRASH_TRIALS=20 runs 20 trials of each (default 3); CRASH_SEED replays a run.
import { createHash } from 'node:crypto';
import { OWNER_MARKER } from '../../src/storage/local-fs.ts';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 3);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const JOB = `id status error { code } backup { id status }`;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with CRASH_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Doc = Record<string, unknown>;

describe(`a gateway SIGKILLed at random points (${TRIALS} trials each, CRASH_SEED=${SEED})`, () => {
  const rand = random(SEED);
  let emulator: MeilisearchEmulator;
  let meili: Meilisearch;
  let dataDir: string;
  let gateway: ChildGateway;
  let engineId: string;
  let restoreEngineId: string;
  let sourceBackupId: string;
  let backupMs = 0;
  let restoreMs = 0;
  const outcomes = { backup: new Map<string, number>(), restore: new Map<string, number>() };
  const env = () => ({ GATEWAY_DATA_DIR: dataDir, GATEWAY_DUMPS_DIR: path.join(dataDir, 'dumps') });

  const allDocuments = async (uid: string): Promise<Doc[]> => {
    const docs: Doc[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await meili.index(uid).getDocuments({ offset, limit: 1000 });
      docs.push(...(page.results as Doc[]));
      if (page.results.length < 1000) break;
    }
    return docs.sort((a, b) => Number(a.id) - Number(b.id));
  };
  const fill = async (uid: string, count: number, tag: string) => {
    await meili.deleteIndex(uid).waitTask();
    await meili.createIndex(uid, { primaryKey: 'id' }).waitTask();
    const docs = Array.from({ length: count }, (_, i) => ({ id: i, title: `${tag} ${i}`, body: `${tag} `.repeat(20) }));
    await meili.index(uid).addDocuments(docs).waitTask({ timeout: 60_000 });
  };
  const waitEnded = async (id: string): Promise<Record<string, any>> => {
    for (let i = 0; i < 1200; i++) {
      const res = await gateway.gql(`query($id: ID!) { job(id: $id) { ${JOB} } }`, { id });
      const job = res.data?.job;
      if (job && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${id} did not end`);
  };

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator();
    meili = new Meilisearch({ host: emulator.url });
    await fill('movies', 2000, 'movie');
    await fill('books', 800, 'book');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-crash-random-'));
    gateway = await spawnGateway(env());
    const res = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, pageSize: 250, batchSize: 250 } },
    });
    engineId = res.data!.registerEngine.id;
    const second = await gateway.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili-restores', plugin: 'meilisearch', config: { url: emulator.url, pageSize: 250, batchSize: 250 } },
    });
    restoreEngineId = second.data!.registerEngine.id;
    // Slow enough that a kill lands anywhere: ~1 s per job.
    emulator.setOptions({ documentsDelayMs: 25, taskDelayMs: 25 });
    // A reference run of each: the durations the random kill points are drawn from, and the backup to restore.
    let started = Date.now();
    const backup = await gateway.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, collections: ["movies", "books"]}) { ${JOB} } }`, { e: engineId });
    expect((await waitEnded(backup.data!.startBackup.id)).status).toBe('SUCCEEDED');
    backupMs = Date.now() - started;
    sourceBackupId = backup.data!.startBackup.backup.id;
    await fill('target', 500, 'old');
    started = Date.now();
    const restore = await startRestore();
    expect((await waitEnded(restore.id)).status).toBe('SUCCEEDED');
    restoreMs = Date.now() - started;
  }, 120_000);

  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await emulator?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    console.info(`crash trials (seed ${SEED}): backup ~${backupMs} ms, restore ~${restoreMs} ms; outcomes`, {
      backup: Object.fromEntries(outcomes.backup),
      restore: Object.fromEntries(outcomes.restore),
    });
  });

  async function startRestore(): Promise<{ id: string }> {
    const res = await gateway.gql(
      `mutation($b: ID!, $e: ID!) { startRestore(input: {backupId: $b, engineId: $e, collections: ["movies"], rename: [{from: "movies", to: "target"}], overwrite: true}) { id } }`,
      {
        b: sourceBackupId,
        e: restoreEngineId,
      },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.startRestore;
  }

  /** SIGKILL after a random share (0–120 %) of a typical run, then start the gateway again on the same data dir. */
  async function killAtRandomAndRestart(typicalMs: number): Promise<number> {
    const delay = Math.floor(rand() * typicalMs * 1.2);
    await new Promise((resolve) => setTimeout(resolve, delay));
    await gateway.kill('SIGKILL');
    gateway = await spawnGateway(env());
    return delay;
  }

  /** Every COMPLETE backup is whole; nothing else is left in storage. */
  async function checkStorage(): Promise<void> {
    const res = await gateway.gql(`{ backups(first: 100) { nodes { id status artifacts { path bytes sha256 external } } } }`);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const backups = res.data!.backups.nodes as Array<{ id: string; status: string; artifacts: Array<{ path: string; bytes: number; sha256: string; external: boolean }> }>;
    const root = path.join(dataDir, 'backups');
    for (const backup of backups.filter((b) => b.status === 'COMPLETE')) {
      const manifest = JSON.parse(await readFile(path.join(root, backup.id, 'manifest.json'), 'utf8')) as {
        collections: Array<{ files: Array<{ path: string; bytes: number; sha256: string }> }>;
      };
      const fromManifest = manifest.collections.flatMap((c) => c.files);
      expect(fromManifest.length).toBeGreaterThan(0);
      for (const file of [...backup.artifacts.filter((a) => !a.external), ...fromManifest]) {
        const full = path.join(root, backup.id, file.path);
        const info = await stat(full).catch(() => null);
        expect(info, `${backup.id}/${file.path} is missing`).not.toBeNull();
        expect(info!.size, `${backup.id}/${file.path} is short`).toBe(file.bytes);
        expect(
          createHash('sha256')
            .update(await readFile(full))
            .digest('hex'),
        ).toBe(file.sha256);
      }
    }
    const entries = (await readdir(root, { recursive: true }).catch(() => [] as string[])).map(String);
    expect(entries.filter((entry) => entry.includes('.tmp-'))).toEqual([]);
    const complete = new Set(backups.filter((b) => b.status === 'COMPLETE').map((b) => b.id));
    // Top-level entries are backup folders, besides the marker that says the folder is the gateway's.
    const folders = entries.filter((entry) => !entry.includes(path.sep) && entry !== OWNER_MARKER);
    expect(
      folders.filter((folder) => !complete.has(folder)),
      'folders of backups that are not COMPLETE',
    ).toEqual([]);
  }

  it(
    'a kill anywhere in a backup and a restore running together: whole COMPLETE backups or interrupted jobs, no temp files, target untouched or restored',
    async () => {
      const restored = await allDocuments('movies');
      for (let trial = 0; trial < TRIALS; trial++) {
        await fill('target', 500, 'old');
        const old = await allDocuments('target');
        // Two engines on one emulator, so the backup and the restore run at the same time and one kill hits both.
        const backupRes = await gateway.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, collections: ["movies", "books"]}) { ${JOB} } }`, { e: engineId });
        expect(backupRes.errors, JSON.stringify(backupRes.errors)).toBeUndefined();
        const restoreJob = await startRestore();
        const delay = await killAtRandomAndRestart(Math.max(backupMs, restoreMs));

        const backupJob = await waitEnded(backupRes.data!.startBackup.id);
        const backupOutcome = backupJob.status === 'SUCCEEDED' ? 'succeeded' : `${backupJob.status} ${backupJob.error?.code}`;
        outcomes.backup.set(backupOutcome, (outcomes.backup.get(backupOutcome) ?? 0) + 1);
        expect(['succeeded', 'FAILED interrupted'], `trial ${trial}: killed after ${delay} ms`).toContain(backupOutcome);
        expect(backupJob.backup.status).toBe(backupJob.status === 'SUCCEEDED' ? 'COMPLETE' : 'FAILED');

        const job = await waitEnded(restoreJob.id);
        const target = await allDocuments('target');
        const state = JSON.stringify(target) === JSON.stringify(old) ? 'untouched' : JSON.stringify(target) === JSON.stringify(restored) ? 'restored' : 'MIXED';
        const outcome = `${job.status === 'SUCCEEDED' ? 'succeeded' : `${job.status} ${job.error?.code}`}, target ${state}`;
        outcomes.restore.set(outcome, (outcomes.restore.get(outcome) ?? 0) + 1);
        expect(state, `trial ${trial}: killed after ${delay} ms (${job.status}, ${target.length} documents)`).not.toBe('MIXED');
        if (job.status === 'SUCCEEDED') expect(state).toBe('restored');
        else expect(job.error?.code).toBe('interrupted');

        await checkStorage();
      }
    },
    60_000 + TRIALS * 25_000,
  );
});
