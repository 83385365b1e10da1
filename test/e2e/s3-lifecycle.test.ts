// Acceptance, end to end through GraphQL against a real S3-protocol server (s3rver on loopback) and the Meilisearch
// emulator: an encrypted S3 storage location, backup → S3 → restore, the `age` CLI opening a stored artifact,
// verification (and a restore test), a flipped byte making the backup DAMAGED and its restore refused, an upload
// interrupted halfway, reconciliation of missing and orphan files, and a per-job external location.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { AGE_CLI, itWith } from '../helpers/requirements.ts';
import { S3_CREDENTIALS, startS3Server, type TestS3Server } from '../helpers/s3.ts';
import { snapshotIndex } from './seed.ts';

const MEILI_KEY = 'emulator-master-key-0123456789';
const INDEXES = [
  { uid: 'movies', count: 400, doc: (i: number) => ({ id: i, title: `Movie ${i}`, year: 1950 + (i % 70) }) },
  { uid: 'books', count: 150, doc: (i: number) => ({ id: i, title: `Book ${i}`, pages: 100 + i }) },
];
const BACKUP_FIELDS = `id name status location verifiedAt encryption { format recipients } storage { id name } damage { source files { path problem } }
  collections { name documentCount } artifacts { path bytes sha256 encrypted }`;

describe('S3 storage, encryption, verification and reconciliation through GraphQL', () => {
  let s3: TestS3Server;
  let emulator: MeilisearchEmulator;
  let client: Meilisearch;
  let t: TestGateway;
  let dir: string;
  let identityFile: string;
  let recipient: string;
  let engineId: string;
  let storageId: string;
  let backupId: string;
  let receiver: Server;
  const damagedEvents: Array<Record<string, any>> = [];

  beforeAll(async () => {
    [s3, emulator] = await Promise.all([startS3Server(), startMeilisearchEmulator({ masterKey: MEILI_KEY })]);
    client = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    for (const index of INDEXES) {
      await client.createIndex(index.uid, { primaryKey: 'id' }).waitTask();
      await client
        .index(index.uid)
        .addDocuments(Array.from({ length: index.count }, (_, i) => index.doc(i)))
        .waitTask();
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'gw-s3-e2e-'));
    const identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
    identityFile = path.join(dir, 'gateway-identity.txt');
    await writeFile(identityFile, `# created for the test\n${identity}\n`, { mode: 0o600 });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        damagedEvents.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t = await startTestGateway({ env: { GATEWAY_AGE_IDENTITY_FILE: identityFile, GATEWAY_WEBHOOK_RETRY_BASE_MS: '50' } });
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY, pageSize: 50, batchSize: 200 } },
    });
    engineId = engine.data!.registerEngine.id;
    const port = (receiver.address() as { port: number }).port;
    const hook = await t.gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }`, {
      i: { url: `http://127.0.0.1:${port}/hook`, events: ['BACKUP_DAMAGED'], secret: 'damage-secret-0123456789' },
    });
    expect(hook.errors).toBeUndefined();
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([s3?.close(), emulator?.close(), new Promise((resolve) => receiver?.close(resolve))]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers an encrypted S3 location as the default; credentials are sealed and never returned', async () => {
    const bad = await t.gql(`mutation($i: RegisterStorageInput!) { registerStorage(input: $i) { id } }`, {
      i: { name: 'nowhere', url: `s3://${s3.bucket}/gw`, endpoint: s3.endpoint, credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' } },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('storage_unreachable');
    const badRecipient = await t.gql(`mutation($i: RegisterStorageInput!) { registerStorage(input: $i) { id } }`, {
      i: { name: 'x', url: `s3://${s3.bucket}/gw`, endpoint: s3.endpoint, credentials: S3_CREDENTIALS, recipients: ['AGE-SECRET-KEY-1NOPE'] },
    });
    expect(badRecipient.errors?.[0]?.extensions?.code).toBe('invalid_storage_config');

    const res = await t.gql(`mutation($i: RegisterStorageInput!) { registerStorage(input: $i) { id name kind url encrypted recipients isDefault hasCredentials } }`, {
      i: {
        name: 's3-main',
        url: `s3://${s3.bucket}/gw`,
        endpoint: s3.endpoint,
        credentials: { ...S3_CREDENTIALS, secretAccessKey: 'S3RVER' },
        recipients: [recipient],
        isDefault: true,
      },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.registerStorage).toMatchObject({
      name: 's3-main',
      kind: 'S3',
      url: `s3://${s3.bucket}/gw/`,
      encrypted: true,
      recipients: [recipient],
      isDefault: true,
      hasCredentials: true,
    });
    storageId = res.data!.registerStorage.id;
    const listed = await t.gql(`{ storages { id name isDefault builtIn } }`);
    expect(listed.data!.storages).toEqual([
      { id: 'local', name: 'local', isDefault: false, builtIn: true },
      { id: storageId, name: 's3-main', isDefault: true, builtIn: false },
    ]);
    const row = await t.gateway.prisma.storage.findUniqueOrThrow({ where: { id: storageId } });
    expect(row.secrets).toMatch(/^v2\./);
    expect(row.secrets).not.toContain('S3RVER');
    expect(JSON.stringify(row.config)).not.toContain('S3RVER');
  });

  it('backs up to S3 (encrypted) and restores from it', async () => {
    const originals = await Promise.all(INDEXES.map((index) => snapshotIndex(client, index.uid)));
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, name: 'to-s3' } });
    expect(started.errors).toBeUndefined();
    const job = await waitForJob(t, started.data!.startBackup.id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    backupId = started.data!.startBackup.backup.id;
    const backup = await getBackup(backupId);
    expect(backup).toMatchObject({
      status: 'COMPLETE',
      location: `s3://${s3.bucket}/gw/${backupId}/`,
      storage: { id: storageId },
      encryption: { format: 'age', recipients: [recipient] },
    });
    const keys = await s3.listKeys(`gw/${backupId}/`);
    expect(keys).toEqual(backup.artifacts.map((a: { path: string }) => `gw/${backupId}/${a.path}`).sort());
    for (const artifact of backup.artifacts) expect(artifact.encrypted).toBe(artifact.path !== 'manifest.json');

    for (const index of INDEXES) await client.deleteIndex(index.uid).waitTask();
    const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId } });
    const restored = await waitForJob(t, restore.data!.startRestore.id);
    expect(restored.status, JSON.stringify(restored.error)).toBe('SUCCEEDED');
    expect(await Promise.all(INDEXES.map((index) => snapshotIndex(client, index.uid)))).toEqual(originals);
  });

  itWith(AGE_CLI)('a stored artifact is an age file the age CLI opens with the configured identity', async () => {
    const backup = await getBackup(backupId);
    const chunk = backup.artifacts.find((a: { path: string }) => a.path.startsWith('collections/movies/documents-'));
    const stored = await s3.getObject(`gw/${backupId}/${chunk.path}`);
    const file = path.join(dir, 'chunk.age');
    await writeFile(file, stored);
    const plain = execFileSync('age', ['-d', '-i', identityFile, file]);
    const lines = gunzipSync(plain).toString('utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(400);
    expect(JSON.parse(lines[0]!)).toMatchObject({ title: expect.stringMatching(/^Movie /) });
    const manifest = JSON.parse((await s3.getObject(`gw/${backupId}/manifest.json`)).toString('utf8'));
    expect(manifest.encryption).toEqual({ format: 'age', recipients: [recipient] });
  });

  it('verifies the backup, with a restore test that leaves no scratch index', async () => {
    const job = await verify({ id: backupId, restoreTest: true });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(job.progress.message).toMatch(/verified \d+ file\(s\).*550 document\(s\).*restore test on engine "meili" passed \(books: 150, movies: 400\)/);
    expect((await getBackup(backupId)).verifiedAt).not.toBeNull();
    const { results } = await client.getIndexes();
    expect(results.map((index) => index.uid).sort()).toEqual(['books', 'movies']);
  });

  it('verifies a native dump stored (encrypted) on S3, with a restore test from the dump', async () => {
    const engine = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili-native', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY, dumpsDir: emulator.dumpsDir } },
    });
    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e, strategy: NATIVE}) { id backup { id } } }`, { e: engine.data!.registerEngine.id });
    expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
    const nativeId = started.data!.startBackup.backup.id;
    const native = await getBackup(nativeId);
    expect(native.artifacts.find((a: { path: string }) => a.path.startsWith('native/'))).toMatchObject({ encrypted: true });
    const job = await verify({ id: nativeId, restoreTest: true });
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    expect(job.progress.message).toMatch(/restore test on engine "meili-native" passed/);
    const { results } = await client.getIndexes();
    expect(results.map((index) => index.uid).sort()).toEqual(['books', 'movies']);
  });

  it('one flipped byte in storage: verify marks the backup DAMAGED naming the file, restore is refused unless forced', async () => {
    const backup = await getBackup(backupId);
    const chunk = backup.artifacts.find((a: { path: string }) => a.path.startsWith('collections/movies/documents-'));
    const key = `gw/${backupId}/${chunk.path}`;
    const stored = await s3.getObject(key);
    stored[stored.length - 10]! ^= 0x01;
    await s3.putObject(key, stored);

    const job = await verify({ id: backupId });
    expect(job.status).toBe('FAILED');
    expect(job.error.code).toBe('checksum_mismatch');
    expect(job.error.message).toContain(chunk.path);
    const damaged = await getBackup(backupId);
    expect(damaged.status).toBe('DAMAGED');
    expect(damaged.damage).toEqual({ source: 'verify', files: [{ path: chunk.path, problem: 'sha256_mismatch' }] });

    const refused = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('checksum_mismatch');
    // Forced, the intact collection restores; the damaged one would still fail its checksum while read.
    const forced = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, {
      i: { backupId, force: true, collections: ['books'], rename: [{ from: 'books', to: 'books_salvaged' }] },
    });
    expect(forced.errors).toBeUndefined();
    expect((await waitForJob(t, forced.data!.startRestore.id)).status).toBe('SUCCEEDED');
    expect((await client.index('books_salvaged').getStats()).numberOfDocuments).toBe(150);
    await waitFor(() => damagedEvents.length > 0);
    expect(damagedEvents[0]).toMatchObject({ event: 'backup.damaged', backup: { id: backupId, status: 'DAMAGED' }, damage: { source: 'verify' } });
  });

  it('an upload interrupted halfway (job canceled) leaves no COMPLETE backup and no object under the backup', async () => {
    emulator.setOptions({ documentsDelayMs: 60 });
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, name: 'interrupted' } });
    const jobId = started.data!.startBackup.id;
    const interruptedId = started.data!.startBackup.backup.id;
    for await (const message of t.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { status progress { completed } } }`, { id: jobId })) {
      const { status, progress } = message.data!.jobUpdated;
      if (status === 'RUNNING' && progress.completed >= 100) {
        await t.gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: jobId });
        break;
      }
    }
    const job = await waitForJob(t, jobId);
    emulator.setOptions({ documentsDelayMs: 0 });
    expect(job.status).toBe('CANCELED');
    expect((await getBackup(interruptedId)).status).toBe('FAILED');
    expect(await s3.listKeys(`gw/${interruptedId}/`)).toEqual([]);
  });

  it('reconciliation reports missing files (→ DAMAGED) and orphans, deleting orphans only when asked', async () => {
    const second = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, { i: { engineId, name: 'second' } });
    expect((await waitForJob(t, second.data!.startBackup.id)).status).toBe('SUCCEEDED');
    const secondId = second.data!.startBackup.backup.id;
    const schemaKey = `gw/${secondId}/collections/books/schema.json`;
    await s3.client.send(new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({ Bucket: s3.bucket, Key: schemaKey }));
    await s3.putObject('gw/stray.txt', 'not ours');
    await s3.putObject(`gw/${secondId}/extra-file.bin`, 'written by someone else');
    await s3.putObject('gw/6f1c2a4e-0000-4000-8000-000000000000/manifest.json', '{}');

    const query = `mutation($id: ID!, $d: Boolean) { reconcileStorage(storageId: $id, deleteOrphans: $d) {
      objects checkedBackups missing { backupId path problem } damagedBackups orphans { key reason } deletedOrphans } }`;
    const report = (await t.gql(query, { id: storageId, d: false })).data!.reconcileStorage;
    expect(report.missing).toEqual([{ backupId: secondId, path: 'collections/books/schema.json', problem: 'missing' }]);
    expect(report.damagedBackups).toEqual([secondId]);
    expect(report.orphans).toEqual(
      expect.arrayContaining([
        { key: 'stray.txt', reason: 'not_a_backup_file' },
        { key: `${secondId}/extra-file.bin`, reason: 'not_a_backup_file' },
        { key: '6f1c2a4e-0000-4000-8000-000000000000/manifest.json', reason: 'no_catalog_entry' },
      ]),
    );
    expect(report.orphans).toHaveLength(3);
    expect(report.deletedOrphans).toBe(0);
    expect(await s3.listKeys('gw/stray.txt')).toEqual(['gw/stray.txt']);
    expect((await getBackup(secondId)).status).toBe('DAMAGED');
    expect((await getBackup(secondId)).damage.source).toBe('reconcile');

    // Only names of the archive layout are ever deleted: files someone else put there stay.
    const cleaned = (await t.gql(query, { id: storageId, d: true })).data!.reconcileStorage;
    expect(cleaned.deletedOrphans).toBe(1);
    expect(await s3.listKeys('gw/6f1c2a4e-0000-4000-8000-000000000000/')).toEqual([]);
    expect(await s3.listKeys('gw/stray.txt')).toEqual(['gw/stray.txt']);
    expect(await s3.listKeys(`gw/${secondId}/extra-file.bin`)).toEqual([`gw/${secondId}/extra-file.bin`]);
    expect((await t.gql(query, { id: storageId, d: false })).data!.reconcileStorage.orphans.map((o: { reason: string }) => o.reason)).toEqual([
      'not_a_backup_file',
      'not_a_backup_file',
    ]);

    const deleted = await t.gql(`mutation($id: ID!) { deleteBackup(id: $id) { status } }`, { id: secondId });
    expect(deleted.data!.deleteBackup.status).toBe('DELETED');
    expect(await s3.listKeys(`gw/${secondId}/`)).toEqual([]);
  });

  it('backs up to a per-job external location; restoring it needs the credentials again', async () => {
    const location = { url: `s3://${s3.bucket}/external/team-a`, endpoint: s3.endpoint, credentials: S3_CREDENTIALS };
    const started = await t.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id input backup { id location } } }`, {
      i: { engineId, name: 'external', collections: ['books'], location },
    });
    expect(started.errors).toBeUndefined();
    expect(JSON.stringify(started.data!.startBackup.input)).not.toMatch(/sealed|S3RVER/);
    const id = started.data!.startBackup.backup.id;
    expect(started.data!.startBackup.backup.location).toBe(`s3://${s3.bucket}/external/team-a/${id}/`);
    expect((await waitForJob(t, started.data!.startBackup.id)).status).toBe('SUCCEEDED');
    expect(await s3.listKeys(`external/team-a/${id}/`)).toContain(`external/team-a/${id}/manifest.json`);
    const backup = await getBackup(id);
    expect(backup.storage).toBeNull();
    expect(backup.encryption).toBeNull();

    const restore = { backupId: id, rename: [{ from: 'books', to: 'books_external' }] };
    const refused = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: restore });
    expect(refused.errors?.[0]?.extensions?.code).toBe('storage_credentials_required');
    const unverified = await t.gql(`mutation($id: ID!) { verifyBackup(id: $id) { id } }`, { id });
    expect(unverified.errors?.[0]?.extensions?.code).toBe('storage_credentials_required');
    const ok = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { ...restore, credentials: S3_CREDENTIALS } });
    expect((await waitForJob(t, ok.data!.startRestore.id)).status).toBe('SUCCEEDED');
    expect((await client.index('books_external').getStats()).numberOfDocuments).toBe(150);
    const verified = await verify({ id, credentials: S3_CREDENTIALS });
    expect(verified.status, JSON.stringify(verified.error)).toBe('SUCCEEDED');

    const deleteQuery = `mutation($id: ID!, $c: StorageCredentialsInput) { deleteBackup(id: $id, credentials: $c) { status } }`;
    expect((await t.gql(deleteQuery, { id })).errors?.[0]?.extensions?.code).toBe('storage_credentials_required');
    expect((await t.gql(deleteQuery, { id, c: S3_CREDENTIALS })).data!.deleteBackup.status).toBe('DELETED');
    expect(await s3.listKeys(`external/team-a/${id}/`)).toEqual([]);
  });

  async function getBackup(id: string): Promise<Record<string, any>> {
    const res = await t.gql(`query($id: ID!) { backup(id: $id) { ${BACKUP_FIELDS} } }`, { id });
    expect(res.errors).toBeUndefined();
    return res.data!.backup;
  }

  async function verify(args: Record<string, unknown>): Promise<Record<string, any>> {
    const res = await t.gql(`mutation($id: ID!, $r: Boolean, $c: StorageCredentialsInput) { verifyBackup(id: $id, restoreTest: $r, credentials: $c) { id kind } }`, {
      id: args.id,
      r: args.restoreTest ?? false,
      c: args.credentials ?? null,
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.verifyBackup.kind).toBe('VERIFY');
    const job = await waitForJob(t, res.data!.verifyBackup.id);
    const full = await t.gql(`query($id: ID!) { job(id: $id) { progress { message } } }`, { id: job.id });
    return { ...job, progress: { ...job.progress, message: full.data!.job.progress.message } };
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
