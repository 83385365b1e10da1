// Backups as objects in an S3-compatible bucket under <prefix><backupId>/<path>, through the AWS SDK v3.
// Writes stream through a multipart upload (lib-storage: a few parts in memory, never the whole file); the object
// appears under its key only when CompleteMultipartUpload (or the single PutObject of a small file) succeeds, so an
// upload interrupted halfway leaves nothing visible. That is S3's temp-then-rename.
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GatewayError } from '../errors.ts';
import type { ArchiveFile } from './archive-types.ts';
import type { ArtifactWriteHandle, StorageDriver, StoredObject } from './driver.ts';
import { checkedBackupId, checkedObjectKey, checkedRelativePath } from './object-paths.ts';
import { createDigestPassThrough, type DigestPassThrough } from './sha256.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface S3Location {
  bucket: string;
  /** '' or ending with '/'. */
  prefix: string;
  /** e.g. http://127.0.0.1:9000 for MinIO and other S3-compatible servers; AWS when absent. */
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
  credentials?: S3Credentials | undefined;
}

export interface S3StorageOptions {
  location: S3Location;
  /** A client to use instead of one built from the location (tests observe its requests). */
  client?: S3Client;
  /** Bytes per uploaded part (≥ 5 MiB, S3's minimum); default 8 MiB. */
  partSize?: number;
  /** Parts uploaded at once; memory per open file ≈ partSize × (queueSize + 1). Default 2. */
  queueSize?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** S3's smallest part (all but the last). */
const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Multipart uploads older than this are leftovers of a dead process (jobs time out well before). */
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

export function createS3Client(location: S3Location): S3Client {
  return new S3Client({
    region: location.region,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    forcePathStyle: location.forcePathStyle,
    ...(location.credentials ? { credentials: location.credentials } : {}),
    // Our own sha256 covers integrity; S3-compatible servers often reject the newer checksum trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

export class S3Storage implements StorageDriver {
  readonly kind = 's3';
  readonly client: S3Client;
  readonly location: S3Location;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #ownsClient: boolean;

  constructor(options: S3StorageOptions) {
    this.location = options.location;
    this.client = options.client ?? createS3Client(options.location);
    this.#ownsClient = options.client === undefined;
    this.#partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, MIN_PART_SIZE);
    this.#queueSize = options.queueSize ?? 2;
  }

  locationOf(backupId: string): string {
    return `s3://${this.location.bucket}/${this.location.prefix}${checkedBackupId(backupId)}/`;
  }

  /** Fails with `storage_unreachable` when the bucket cannot be reached with these credentials. */
  async check(signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }), signal ? { abortSignal: signal } : {});
    } catch (error) {
      throw new GatewayError(
        'storage_unreachable',
        `cannot reach bucket ${this.location.bucket}${this.location.endpoint ? ` at ${this.location.endpoint}` : ''}: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async openWrite(backupId: string, path: string): Promise<ArtifactWriteHandle> {
    const key = this.#key(backupId, path);
    const body = createDigestPassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: key, Body: body.stream },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    const done = upload.done();
    // A failed upload stops the writer at once instead of letting it fill the buffer.
    done.catch((error: unknown) => body.stream.destroy(storageError(`cannot upload ${backupId}/${path}`, error, { backupId, path })));
    return new S3WriteHandle(path, body, upload, done);
  }

  async openRead(backupId: string, path: string): Promise<Readable> {
    const key = this.#key(backupId, path);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) {
        throw new GatewayError('storage_error', `backup file not found: ${backupId}/${path}`, { cause: error, details: { backupId, path, reason: 'not_found' } });
      }
      throw storageError(`cannot read ${backupId}/${path}`, error, { backupId, path });
    }
  }

  async stat(backupId: string, path: string): Promise<{ bytes: number } | null> {
    const key = this.#key(backupId, path);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return { bytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw storageError(`cannot stat ${backupId}/${path}`, error, { backupId, path });
    }
  }

  async deleteBackup(backupId: string): Promise<void> {
    const prefix = `${this.location.prefix}${checkedBackupId(backupId)}/`;
    try {
      for (;;) {
        const keys: string[] = [];
        for await (const object of this.#list(prefix)) {
          keys.push(object.Key);
          if (keys.length === 1000) break;
        }
        if (keys.length === 0) return;
        const result = await this.client.send(new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        const failed = result.Errors ?? [];
        if (failed.length > 0) throw new Error(`${failed.length} object(s) not deleted, e.g. ${failed[0]?.Key}: ${failed[0]?.Message}`);
      }
    } catch (error) {
      throw storageError(`cannot delete backup ${backupId}`, error, { backupId });
    }
  }

  /**
   * Aborts multipart uploads under the prefix started more than a day ago (a process died mid-upload). Their parts
   * are invisible but billed; a bucket lifecycle rule (AbortIncompleteMultipartUpload) does the same job. Servers
   * without ListMultipartUploads count as having none.
   */
  async sweepTemp(): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.location.bucket, Prefix: this.location.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || !upload.Initiated || Date.now() - upload.Initiated.getTime() < STALE_UPLOAD_MS) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.location.bucket, Key: upload.Key, UploadId: upload.UploadId }));
          aborted += 1;
        }
        if (!page.IsTruncated) return aborted;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      if (errorName(error) === 'NotImplemented' || errorName(error) === 'MethodNotAllowed') return aborted;
      throw storageError('cannot list unfinished multipart uploads', error, {});
    }
  }

  async *listObjects(): AsyncIterable<StoredObject> {
    try {
      for await (const object of this.#list(this.location.prefix)) {
        yield { key: object.Key.slice(this.location.prefix.length), bytes: object.Size };
      }
    } catch (error) {
      throw storageError(`cannot list s3://${this.location.bucket}/${this.location.prefix}`, error, {});
    }
  }

  async deleteObject(key: string): Promise<void> {
    const objectKey = `${this.location.prefix}${checkedObjectKey(key)}`;
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: objectKey }));
    } catch (error) {
      throw storageError(`cannot delete ${key}`, error, { key });
    }
  }

  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  async *#list(prefix: string): AsyncGenerator<{ Key: string; Size: number }> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield { Key: object.Key, Size: object.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  #key(backupId: string, path: string): string {
    return `${this.location.prefix}${checkedBackupId(backupId)}/${checkedRelativePath(backupId, path)}`;
  }
}

class S3WriteHandle implements ArtifactWriteHandle {
  readonly stream;
  #state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';
  readonly #path: string;
  readonly #body: DigestPassThrough;
  readonly #upload: Upload;
  readonly #done: Promise<unknown>;

  constructor(path: string, body: DigestPassThrough, upload: Upload, done: Promise<unknown>) {
    this.#path = path;
    this.#body = body;
    this.#upload = upload;
    this.#done = done;
    this.stream = body.stream;
    // commit() reports a failed write; nobody may be listening before that.
    this.stream.on('error', () => undefined);
  }

  async commit(): Promise<ArchiveFile> {
    if (this.#state !== 'open') throw new GatewayError('storage_error', `${this.#path} is already ${this.#state}`);
    this.#state = 'committing';
    try {
      if (!this.stream.writableEnded) this.stream.end();
      await this.#done;
    } catch (error) {
      await this.abort();
      throw storageError(`cannot commit ${this.#path}`, error, { path: this.#path });
    }
    this.#state = 'committed';
    return { path: this.#path, ...this.#body.result() };
  }

  /** Stops the upload before it completes: no object appears under the key; started parts are aborted. */
  async abort(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'aborted') return;
    this.#state = 'aborted';
    await this.#upload.abort();
    // An error, never end(): an ended body would let the upload complete with what it has.
    if (!this.stream.destroyed) this.stream.destroy(new Error('upload aborted'));
    await this.#done.catch(() => undefined);
  }
}

function isNotFound(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === 404 || errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound';
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** The S3 error code (NoSuchBucket, AccessDenied, …) or the network error code (ECONNREFUSED, …), when there is one. */
function s3Code(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const network = (error as { code?: unknown }).code;
  if (typeof network === 'string' && network !== '') return network;
  const code = (error as { Code?: unknown }).Code;
  if (typeof code === 'string' && code !== '') return code;
  return error.name && error.name !== 'Error' && error.name !== 'UnknownError' ? error.name : null;
}

/** `NoSuchBucket: The specified bucket does not exist (HTTP 404)`: the code and the message, as S3 gave them. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = s3Code(error);
  const text = error.message && error.message !== 'UnknownError' ? error.message : '';
  const message = code && text && !text.startsWith(code) ? `${code}: ${text}` : text || code || 'unknown error';
  return status ? `${message} (HTTP ${status})` : message;
}

function storageError(message: string, cause: unknown, details: Record<string, unknown>): GatewayError {
  if (cause instanceof GatewayError) return cause;
  const code = s3Code(cause);
  return new GatewayError('storage_error', `${message}: ${describe(cause)}`, { cause, details: { ...details, ...(code ? { s3Code: code } : {}) } });
}
