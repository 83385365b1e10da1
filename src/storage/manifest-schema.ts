// The zod shape of manifest.json: a manifest is outside input once it has been on disk.
import { z } from 'zod';
import { ARCHIVE_FORMAT_VERSION, type BackupManifest } from './archive-types.ts';

const count = z.number().int().nonnegative();

export const archiveFileSchema = z.object({
  path: z.string().min(1),
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256'),
  name: z.string().optional(),
  encrypted: z.boolean().optional(),
});

export const encryptionInfoSchema = z
  .object({ format: z.literal('age'), recipients: z.array(z.string()) })
  .nullable()
  .optional();

const collectionSchema = z.object({
  name: z.string(),
  schemaFile: z.string().min(1),
  documentCount: count,
  documentBytes: count,
  files: z.array(archiveFileSchema),
});

export const backupManifestSchema = z
  .object({
    formatVersion: z.literal(ARCHIVE_FORMAT_VERSION),
    backupId: z.string().min(1),
    plugin: z.string().min(1),
    engineVersion: z.string().nullable(),
    strategy: z.enum(['LOGICAL', 'NATIVE']),
    type: z.enum(['FULL', 'INCREMENTAL']),
    createdAt: z.string(),
    finishedAt: z.string(),
    collections: z.array(collectionSchema),
    extras: z.array(archiveFileSchema),
    warnings: z.array(z.string()),
    totals: z.object({ documentCount: count, bytes: count, files: count }),
    encryption: encryptionInfoSchema,
  })
  .superRefine((manifest, ctx) => {
    const names = new Set<string>();
    const paths = new Set<string>();
    const addPath = (path: string, where: (string | number)[]): void => {
      if (paths.has(path)) ctx.addIssue({ code: 'custom', message: `file ${path} is listed twice`, path: where });
      paths.add(path);
    };
    manifest.collections.forEach((collection, index) => {
      if (names.has(collection.name)) {
        ctx.addIssue({ code: 'custom', message: `collection ${JSON.stringify(collection.name)} is listed twice`, path: ['collections', index, 'name'] });
      }
      names.add(collection.name);
      if (!collection.files.some((file) => file.path === collection.schemaFile)) {
        ctx.addIssue({ code: 'custom', message: 'schemaFile is not among the files', path: ['collections', index, 'schemaFile'] });
      }
      collection.files.forEach((file, fileIndex) => addPath(file.path, ['collections', index, 'files', fileIndex, 'path']));
    });
    manifest.extras.forEach((file, index) => addPath(file.path, ['extras', index, 'path']));
  }) satisfies z.ZodType<BackupManifest>;
