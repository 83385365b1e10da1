// Native backups in gateway storage: files the engine produced (a .dump, a snapshot tarball) copied under
// native/, references to what stayed on the engine side, and a manifest.json written last.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { ExternalArtifact, NativeArtifactSink, NativeBackupHandle, NativeCollectionInfo } from '../engines/contract.ts';
import { GatewayError } from '../errors.ts';
import { MANIFEST_PATH } from './archive-layout.ts';
import type { ArchiveFile } from './archive-types.ts';
import type { StorageDriver } from './driver.ts';
import { decodeStages } from './decode.ts';
import { archiveFileSchema, encryptionInfoSchema } from './manifest-schema.ts';

export const NATIVE_FORMAT_VERSION = 1 as const;
const SAFE_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

const nativeManifestSchema = z.object({
  formatVersion: z.literal(NATIVE_FORMAT_VERSION),
  backupId: z.string().min(1),
  plugin: z.string().min(1),
  strategy: z.literal('NATIVE'),
  engineVersion: z.string().nullable(),
  /** NativeBackupResult.engineFormat (absent in manifests written before it existed). */
  engineFormat: z.string().nullable().optional(),
  externalId: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string(),
  collections: z.array(z.object({ name: z.string(), documentCount: z.number().nullable(), bytes: z.number().nullable() })),
  files: z.array(archiveFileSchema),
  external: z.array(z.object({ path: z.string(), location: z.string(), bytes: z.number().nullable(), description: z.string() })),
  warnings: z.array(z.string()),
  encryption: encryptionInfoSchema,
});

export type NativeManifest = z.infer<typeof nativeManifestSchema>;

export interface NativeSinkSession extends NativeArtifactSink {
  files(): ArchiveFile[];
  external(): ExternalArtifact[];
  /** Writes manifest.json last; returns it. */
  finalize(meta: {
    plugin: string;
    engineVersion: string | null;
    engineFormat?: string | null | undefined;
    externalId: string | null;
    collections: NativeCollectionInfo[];
    warnings: string[];
    createdAt: string;
    finishedAt: string;
  }): Promise<NativeManifest>;
  /** Removes every file written for this backup. */
  abort(): Promise<void>;
}

export function createNativeSink(options: { storage: StorageDriver; backupId: string }): NativeSinkSession {
  const { storage, backupId } = options;
  const files: ArchiveFile[] = [];
  const external: ExternalArtifact[] = [];
  let state: 'open' | 'finalized' | 'aborted' = 'open';

  const assertOpen = () => {
    if (state !== 'open') throw new GatewayError('storage_error', `native backup ${backupId} is already ${state}`);
  };

  const writeStored = async (path: string, source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream): Promise<ArchiveFile> => {
    const handle = await storage.openWrite(backupId, path);
    try {
      const input = source instanceof Readable ? source : Readable.from(source as AsyncIterable<Uint8Array>);
      await pipeline(input, handle.stream);
      const file = await handle.commit();
      files.push(file);
      return file;
    } catch (error) {
      await handle.abort();
      throw error;
    }
  };

  return {
    async writeFile(path, source) {
      assertOpen();
      if (!SAFE_PATH.test(path) || path.length > 512) {
        throw new GatewayError('storage_error', `native artifact path ${JSON.stringify(path.slice(0, 80))} is not a safe relative path`);
      }
      if (files.some((file) => file.path === `native/${path}`)) throw new GatewayError('storage_error', `native/${path} is already written`);
      return writeStored(`native/${path}`, source);
    },
    addExternal(artifact) {
      assertOpen();
      external.push({ ...artifact });
    },
    files: () => files.map((file) => ({ ...file })),
    external: () => external.map((artifact) => ({ ...artifact })),
    async finalize(meta) {
      assertOpen();
      const manifest: NativeManifest = {
        formatVersion: NATIVE_FORMAT_VERSION,
        backupId,
        strategy: 'NATIVE',
        ...meta,
        files: files.map((file) => ({ ...file })),
        external: external.map((artifact) => ({ ...artifact })),
        ...(storage.encryption ? { encryption: { format: 'age' as const, recipients: [...storage.encryption.recipients] } } : {}),
      };
      await writeStored(MANIFEST_PATH, Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]));
      state = 'finalized';
      return manifest;
    },
    async abort() {
      if (state === 'aborted') return;
      state = 'aborted';
      await storage.deleteBackup(backupId);
    },
  };
}

/** Reads a native backup's manifest and opens its copied files, checking size and sha256 as they stream. */
export async function openNativeBackup(options: { storage: StorageDriver; backupId: string }): Promise<NativeBackupHandle & { manifest: NativeManifest }> {
  const { storage, backupId } = options;
  const manifest = await readNativeManifest(storage, backupId);
  return {
    manifest,
    externalId: manifest.externalId,
    engineVersion: manifest.engineVersion,
    engineFormat: manifest.engineFormat ?? null,
    files: manifest.files,
    external: manifest.external,
    collections: manifest.collections,
    async openFile(path) {
      const file = manifest.files.find((candidate) => candidate.path === path);
      if (!file) throw new GatewayError('archive_invalid', `native backup ${backupId} has no file ${JSON.stringify(path)}`);
      const decode = decodeStages(storage, file);
      const source = await storage.openRead(backupId, file.path);
      const checked = verifyingStream(file);
      if (decode.length > 0) {
        // Stored bytes are checked, then decrypted; a failure anywhere reaches the reader of the last stage.
        const last = decode.at(-1)!;
        pipeline([source, checked, ...decode]).catch(() => undefined);
        return last;
      }
      source.on('error', (error) => checked.destroy(error));
      return source.pipe(checked);
    },
  };
}

export async function readNativeManifest(storage: StorageDriver, backupId: string): Promise<NativeManifest> {
  let text = '';
  try {
    const stream = await storage.openRead(backupId, MANIFEST_PATH);
    for await (const chunk of stream) text += chunk.toString();
  } catch (error) {
    throw new GatewayError('archive_invalid', `backup ${backupId} has no finished manifest; it is not restorable`, { cause: error });
  }
  const parsed = nativeManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new GatewayError('archive_invalid', `backup ${backupId}: native manifest.json is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** Passes bytes through and fails at the end when their size or sha256 differ from the manifest's. */
function verifyingStream(file: ArchiveFile): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      const sha256 = hash.digest('hex');
      if (bytes === file.bytes && sha256 === file.sha256) return callback();
      callback(new GatewayError('checksum_mismatch', `${file.path}: expected ${file.bytes} bytes with sha256 ${file.sha256}, read ${bytes} bytes with sha256 ${sha256}`));
    },
  });
}
