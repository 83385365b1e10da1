// milvus-backup's own create/restore options a user may need, as the plugin's backupOptions/restoreOptions
// (RestoreBackupRequest / CreateBackupRequest in the published swagger). Strict: an unknown key fails at start.
import { z } from 'zod';

/** S3/MinIO bucket naming rules: 3–63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not an S3 bucket name')
  .refine((name) => !name.includes('..'), 'not an S3 bucket name');
/** A root path inside the bucket: relative segments of safe characters, no `..`. */
const rootPath = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9._\-/]+$/, 'only letters, digits, ".", "_", "-" and "/"')
  .refine((path) => !path.split('/').some((segment) => segment === '..' || segment === '.'), 'no "." or ".." segments')
  .refine((path) => !path.startsWith('/'), 'relative to the bucket (no leading "/")');

export const milvusBackupOptions = z.strictObject({
  /** Back up RBAC (users, roles, grants) too. */
  rbac: z.boolean().default(false),
  /** Only schemas and index definitions, no data (strategy meta_only). */
  metaOnly: z.boolean().default(false),
  /**
   * milvus-backup 0.6's backup format: auto (snapshot on Milvus 3.0+, binlog before), binlog (restorable into
   * Milvus 2.x too) or snapshot (Milvus 3.0+ only). A v0.5 server writes binlogs only (snapshot → refused).
   */
  format: z.enum(['auto', 'binlog', 'snapshot']).default('auto'),
});

export const milvusRestoreOptions = z
  .strictObject({
    /** Rebuild the backed-up index definitions after the import (milvus-backup copies no index files). */
    restoreIndex: z.boolean().default(true),
    /** Rebuild vector indexes as AUTOINDEX instead of the backed-up index type (e.g. a target without that type). */
    useAutoIndex: z.boolean().default(false),
    /** Only create the collections (schemas, partitions, indexes), no data. */
    metaOnly: z.boolean().default(false),
    /** The target collections exist already: restore data (and indexes) into them without creating them. */
    skipCreateCollection: z.boolean().default(false),
    /** Restore RBAC (users, roles, grants) held by the backup. */
    rbac: z.boolean().default(false),
    /** Read the backup from another bucket (with `path`) than milvus-backup's configured one, e.g. another cluster's. */
    bucketName: bucketName.optional(),
    /** The backup root path in that bucket (milvus-backup's `backup.rootPath` there, e.g. "backup"). */
    path: rootPath.optional(),
  })
  .refine(
    (options) => (options.bucketName === undefined) === (options.path === undefined),
    'bucketName and path go together (milvus-backup overrides its storage only when both are set)',
  )
  .refine((options) => !(options.useAutoIndex && !options.restoreIndex), 'useAutoIndex needs restoreIndex');

export type MilvusBackupOptions = z.infer<typeof milvusBackupOptions>;
export type MilvusRestoreOptions = z.infer<typeof milvusRestoreOptions>;
