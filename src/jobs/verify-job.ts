// A VERIFY job: re-reads every stored file (size and sha256 of the stored bytes), then decrypts and decompresses
// them, parses the manifest and counts documents per collection. A file missing, changed or unreadable marks the
// backup DAMAGED, naming it. With restoreTest, the backup is also restored into scratch collections on the engine,
// their document counts compared, and the scratch collections dropped.
import { z } from 'zod';
import type { Artifact, Backup, BackupCollection, Job, PrismaClient } from '../db/client.ts';
import { Prisma } from '../db/client.ts';
import type { EngineService } from '../catalog/engines.ts';
import type { StorageService } from '../catalog/storages.ts';
import type { JobContext } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';
import { describeDamage, markDamaged, type DamagedFile, type DamageListener } from '../catalog/damage.ts';
import { MANIFEST_PATH } from '../storage/archive-layout.ts';
import { openArchiveReader, readManifest } from '../storage/archive-reader.ts';
import { openChainReader } from '../storage/chain-reader.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { openNativeBackup } from '../storage/native-sink.ts';
import { sha256Stream } from '../storage/sha256.ts';
import { checkCollectionName, checkCollectionNames } from '../catalog/names.ts';
import { scratchName } from './job-input.ts';
import { callPlugin } from '../engines/plugin-call.ts';
import { backupChain } from './restore-job.ts';

export const VerifyJobInput = z.object({
  restoreTest: z.boolean(),
  engineId: z.string().nullable(),
  storageCredentials: z.string().optional(),
});

export interface VerifyJobDeps {
  prisma: PrismaClient;
  storages: StorageService;
  engines: EngineService;
  onDamaged?: DamageListener | undefined;
}

type VerifiedBackup = Backup & { artifacts: Artifact[]; collections: BackupCollection[] };

const READ_BATCH = 1000;
const DROP_TIMEOUT_MS = 60_000;

export async function runVerifyJob(deps: VerifyJobDeps, job: Job, ctx: JobContext): Promise<string[]> {
  const input = VerifyJobInput.parse(job.input);
  if (!job.backupId) throw new GatewayError('backup_not_found', `verify job ${job.id} names no backup`);
  const backup: VerifiedBackup = await deps.prisma.backup.findUniqueOrThrow({ where: { id: job.backupId }, include: { artifacts: true, collections: true } });
  const storage = await deps.storages.forJob(job);

  const { problems, bytes, files } = await checkStoredBytes(storage, backup, ctx);
  if (problems.length > 0) await damaged(deps, backup, problems);

  let documents: number | null;
  try {
    documents = backup.strategy === 'LOGICAL' ? await readLogical(storage, backup, ctx) : await readNative(storage, backup, ctx);
  } catch (error) {
    const problem = damageOf(error);
    if (problem) await damaged(deps, backup, [problem]);
    throw error;
  }

  const notes = [
    `verified ${files} file(s), ${bytes} bytes${documents === null ? '' : `, ${documents} document(s)`}${backup.encryption ? ', decrypted with the gateway identity' : ''}`,
  ];
  if (input.restoreTest) notes.push(await restoreTest(deps, job, backup, storage, input.engineId, ctx));

  await deps.prisma.backup.updateMany({
    where: { id: backup.id, status: { in: ['COMPLETE', 'DAMAGED'] } },
    data: { verifiedAt: new Date(), status: 'COMPLETE', damage: Prisma.DbNull },
  });
  return notes;
}

/** Size and sha256 of every stored file the catalog lists, as the bytes lie in storage (no identity needed). */
async function checkStoredBytes(storage: StorageDriver, backup: VerifiedBackup, ctx: JobContext): Promise<{ problems: DamagedFile[]; bytes: number; files: number }> {
  const stored = backup.artifacts.filter((artifact) => !artifact.external).sort((a, b) => a.path.localeCompare(b.path));
  if (!stored.some((artifact) => artifact.path === MANIFEST_PATH)) {
    throw new GatewayError('archive_invalid', `backup ${backup.id} has no manifest.json in its catalog entry; nothing to verify against`);
  }
  const problems: DamagedFile[] = [];
  let bytes = 0;
  for (const [index, artifact] of stored.entries()) {
    ctx.signal.throwIfAborted();
    ctx.progress({ phase: 'checking files', completed: index, total: stored.length, unit: 'files', bytes, message: artifact.path });
    const expected = Number(artifact.bytes);
    const info = await storage.stat(backup.id, artifact.path);
    if (info === null) {
      problems.push({ path: artifact.path, problem: 'missing', message: 'not found in storage' });
      continue;
    }
    if (info.bytes !== expected) {
      problems.push({ path: artifact.path, problem: 'size_mismatch', message: `expected ${expected} bytes, found ${info.bytes}` });
      continue;
    }
    const actual = await sha256Stream(await storage.openRead(backup.id, artifact.path));
    bytes += actual.bytes;
    if (actual.bytes !== expected || actual.sha256 !== artifact.sha256) {
      problems.push({ path: artifact.path, problem: 'sha256_mismatch', message: `expected sha256 ${artifact.sha256}, found ${actual.sha256}` });
    }
  }
  ctx.progress({ phase: 'checking files', completed: stored.length, total: stored.length, unit: 'files', bytes });
  return { problems, bytes, files: stored.length };
}

/** Decrypts, decompresses and parses every file of a portable archive; returns the documents counted. */
async function readLogical(storage: StorageDriver, backup: VerifiedBackup, ctx: JobContext): Promise<number> {
  const manifest = await readManifest(storage, backup.id);
  const listed = [...manifest.collections.flatMap((collection) => collection.files), ...manifest.extras];
  const cataloged = new Map(backup.artifacts.map((artifact) => [artifact.path, artifact]));
  for (const file of listed) {
    const row = cataloged.get(file.path);
    if (!row || row.sha256 !== file.sha256 || Number(row.bytes) !== file.bytes) {
      throw new GatewayError('archive_invalid', `${file.path} is listed in manifest.json but the catalog ${row ? 'records other bytes for it' : 'does not know it'}`, {
        details: { path: file.path },
      });
    }
  }
  const reader = await openArchiveReader({ storage, backupId: backup.id });
  let documents = 0;
  const total = manifest.totals.documentCount;
  for (const collection of manifest.collections) {
    await reader.readCollectionSchema(collection.name);
    let counted = 0;
    for await (const batch of reader.readDocuments(collection.name, READ_BATCH)) {
      ctx.signal.throwIfAborted();
      counted += batch.length;
      documents += batch.length;
      ctx.progress({ phase: 'reading documents', completed: documents, total, unit: 'documents', message: collection.name });
    }
    const expected = backup.collections.find((c) => c.name === collection.name)?.documentCount;
    if (expected !== undefined && expected !== null && Number(expected) !== counted) {
      throw new GatewayError('archive_invalid', `collection ${JSON.stringify(collection.name)} holds ${counted} documents; the catalog says ${expected}`, {
        details: { path: collection.files[1]?.path ?? collection.schemaFile },
      });
    }
  }
  for (const extra of manifest.extras) if (extra.name !== undefined) await reader.readExtra(extra.name);
  return documents;
}

/** Streams every copied file of a native backup through its checks (and decryption); counts are the engine's. */
async function readNative(storage: StorageDriver, backup: VerifiedBackup, ctx: JobContext): Promise<null> {
  const handle = await openNativeBackup({ storage, backupId: backup.id });
  for (const [index, file] of handle.files.entries()) {
    ctx.signal.throwIfAborted();
    ctx.progress({ phase: 'reading files', completed: index, total: handle.files.length, unit: 'files', message: file.path });
    const stream = await handle.openFile(file.path);
    for await (const chunk of stream as AsyncIterable<Buffer>) void chunk;
  }
  return null;
}

/** Restores into `<name>_verify_<job>` collections, compares their counts with the catalog, drops them. */
async function restoreTest(deps: VerifyJobDeps, job: Job, backup: VerifiedBackup, storage: StorageDriver, engineId: string | null, ctx: JobContext): Promise<string> {
  if (!engineId) throw new GatewayError('engine_not_found', 'the restore test has no engine');
  const engine = await deps.engines.get(engineId);
  const instance = deps.engines.instance(engine);
  if (!instance.dropCollection)
    throw new GatewayError('capability_not_supported', `The ${engine.plugin} plugin cannot drop collections, so a restore test would leave them behind`);
  const dropCollection = instance.dropCollection.bind(instance);
  const collections = backup.collections.map((c) => c.name);
  if (collections.length === 0) return 'restore test: the backup holds no collections';
  const plugin = deps.engines.plugin(engine.plugin);
  // Checked again here: the names are sent to the engine, then dropped — by exactly these names.
  checkCollectionNames(plugin, collections, `backup "${backup.name}"`);
  const rename = Object.fromEntries(collections.map((name) => [name, checkCollectionName(plugin, scratchName(name, job.id.slice(0, 8)), 'restore test')]));
  const request = { collections, rename, atomic: false, dropExisting: false, jobId: job.id };
  ctx.progress({ phase: 'restore test', completed: 0, total: null, unit: 'documents', message: `restoring into ${Object.values(rename).join(', ')}` });
  try {
    if (backup.strategy === 'NATIVE') {
      if (!instance.nativeRestore) throw new GatewayError('capability_not_supported', `The ${engine.plugin} plugin cannot restore native backups`);
      const nativeRestore = instance.nativeRestore.bind(instance);
      const handle = await openNativeBackup({ storage, backupId: backup.id });
      await callPlugin(engine.plugin, 'nativeRestore', ctx.signal, () => nativeRestore(request, handle, ctx));
    } else {
      if (!instance.logicalRestore) throw new GatewayError('capability_not_supported', `The ${engine.plugin} plugin has no logical restore`);
      const logicalRestore = instance.logicalRestore.bind(instance);
      const chain = await backupChain(deps.prisma, backup.id, true);
      const archive = chain.length > 1 ? await openChainReader(storage, chain) : await openArchiveReader({ storage, backupId: backup.id });
      await callPlugin(engine.plugin, 'logicalRestore', ctx.signal, () => logicalRestore(request, archive, ctx));
    }
    const onEngine = new Map((await instance.listCollections(ctx.signal)).map((c) => [c.name, c.documentCount]));
    const compared: string[] = [];
    for (const collection of backup.collections) {
      const scratch = rename[collection.name]!;
      if (!onEngine.has(scratch)) throw new GatewayError('restore_failed', `restore test: ${scratch} does not exist on engine "${engine.name}" after the restore`);
      // An increment holds only changed items, so its own count says nothing about the restored chain.
      if (backup.type === 'INCREMENTAL' || collection.documentCount === null) continue;
      const found = onEngine.get(scratch);
      if (found !== Number(collection.documentCount)) {
        throw new GatewayError('restore_failed', `restore test: ${scratch} holds ${found ?? 'an unknown number of'} documents; the backup has ${collection.documentCount}`);
      }
      compared.push(`${collection.name}: ${found}`);
    }
    return `restore test on engine "${engine.name}" passed${compared.length > 0 ? ` (${compared.join(', ')})` : ''}; scratch collections dropped`;
  } finally {
    for (const scratch of Object.values(rename)) {
      try {
        await dropCollection(scratch, AbortSignal.timeout(DROP_TIMEOUT_MS));
      } catch (error) {
        ctx.logger.error('restore test: could not drop a scratch collection', { collection: scratch, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

/** What makes a backup DAMAGED (its files), as opposed to a failure of the check itself (storage down, no identity). */
function damageOf(error: unknown): DamagedFile | null {
  if (!(error instanceof GatewayError)) return null;
  const path = typeof error.details?.path === 'string' ? error.details.path : MANIFEST_PATH;
  if (error.code === 'checksum_mismatch') return { path, problem: 'sha256_mismatch', message: error.message };
  if (error.code === 'archive_invalid') return { path, problem: 'invalid', message: error.message };
  if (error.code === 'storage_error' && error.details?.reason === 'not_found') return { path, problem: 'missing', message: error.message };
  return null;
}

async function damaged(deps: VerifyJobDeps, backup: Backup, files: DamagedFile[]): Promise<never> {
  const marked = await markDamaged(deps.prisma, backup.id, 'verify', files);
  if (marked) await deps.onDamaged?.(marked.backup, marked.damage);
  throw new GatewayError('checksum_mismatch', `Backup "${backup.name}" is DAMAGED: ${describeDamage(files)}`, { details: { backupId: backup.id, files } });
}
