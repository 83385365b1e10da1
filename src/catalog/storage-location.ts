// Where a backup can live, as the user writes it: location URLs (s3://bucket/prefix, file:///folder), S3
// credentials, and the gateway's age identities — validated into what the storage drivers need.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import type { Redactor } from '../log.ts';
import { parseIdentities } from '../storage/age.ts';
import type { S3Credentials, S3Location } from '../storage/s3.ts';

/** The age identities of GATEWAY_AGE_IDENTITY_FILE (none without it), registered with the log redactor. */
export async function loadAgeIdentities(file: string | undefined, redactor: Redactor): Promise<string[]> {
  if (!file) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new GatewayError('invalid_configuration', `GATEWAY_AGE_IDENTITY_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  const identities = await parseIdentities(text, 'GATEWAY_AGE_IDENTITY_FILE');
  for (const identity of identities) redactor.add(identity);
  return identities;
}

export interface StorageCredentialsInput {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | null;
}

export interface StorageLocationInput {
  url: string;
  endpoint?: string | null;
  region?: string | null;
  forcePathStyle?: boolean | null;
  credentials?: StorageCredentialsInput | null;
  recipients?: string[] | null;
}

/** A location without its credentials: what a Storage row's config and Backup.externalLocation hold. */
export const publicLocationSchema = z.object({
  url: z.string(),
  endpoint: z.string().nullable().optional(),
  region: z.string().nullable().optional(),
  forcePathStyle: z.boolean().nullable().optional(),
});
export type PublicLocation = z.infer<typeof publicLocationSchema>;

/** What a job's input carries for a per-job external location: the public part, recipients and sealed credentials. */
export const externalLocationSchema = publicLocationSchema.extend({
  recipients: z.array(z.string()).default([]),
  sealedCredentials: z.string().nullable(),
});
export type ExternalLocation = z.infer<typeof externalLocationSchema>;

export const credentialsSchema = z
  .object({ accessKeyId: z.string().min(1).max(256), secretAccessKey: z.string().min(1).max(1024), sessionToken: z.string().max(4096).nullable().optional() })
  .transform((c): S3Credentials => ({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken ?? undefined }));
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export type ParsedLocation =
  | { kind: 'LOCAL'; url: string; path: string; endpoint: null; region: null; forcePathStyle: null }
  | { kind: 'S3'; url: string; s3: Omit<S3Location, 'credentials'>; endpoint: string | null; region: string; forcePathStyle: boolean };

/** `s3://bucket/prefix` (with endpoint, region, forcePathStyle) or, where allowed, `file:///absolute/folder`. */
export function parseLocation(input: PublicLocation, options: { allowLocal: boolean }): ParsedLocation {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new GatewayError(
      'invalid_storage_config',
      `url "${String(input.url).slice(0, 80)}" is not a URL; use s3://bucket/prefix${options.allowLocal ? ' or file:///absolute/folder' : ''}`,
    );
  }
  if (url.protocol === 'file:') {
    if (!options.allowLocal) throw new GatewayError('invalid_storage_config', 'an external location must be an s3:// URL');
    if (input.endpoint || input.region) throw new GatewayError('invalid_storage_config', 'endpoint and region apply to s3:// locations only');
    const folder = fileURLToPath(url);
    if (!path.isAbsolute(folder) || folder.split(/[\\/]/).includes('..')) throw new GatewayError('invalid_storage_config', 'a file:// location must be an absolute folder path');
    return { kind: 'LOCAL', url: url.href, path: path.resolve(folder), endpoint: null, region: null, forcePathStyle: null };
  }
  if (url.protocol !== 's3:')
    throw new GatewayError(
      'invalid_storage_config',
      `unsupported storage URL scheme ${url.protocol}; use s3://bucket/prefix${options.allowLocal ? ' or file:///absolute/folder' : ''}`,
    );
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) throw new GatewayError('invalid_storage_config', `"${bucket}" is not a valid bucket name`);
  if (url.username || url.password || url.search || url.hash || url.port) {
    throw new GatewayError('invalid_storage_config', 'put credentials in credentials { }, not in the URL; s3://bucket/prefix takes no port, query or fragment');
  }
  const segments = decodeURIComponent(url.pathname)
    .split('/')
    .filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..' || /[\u0000-\u001f\\]/.test(segment))) {
    throw new GatewayError('invalid_storage_config', 'the prefix must not contain ".", ".." or control characters');
  }
  const prefix = segments.length > 0 ? `${segments.join('/')}/` : '';
  let endpoint: string | null = null;
  if (input.endpoint) {
    let parsed: URL;
    try {
      parsed = new URL(input.endpoint);
    } catch {
      throw new GatewayError('invalid_storage_config', `endpoint "${input.endpoint.slice(0, 80)}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new GatewayError('invalid_storage_config', 'endpoint must be an http:// or https:// URL');
    endpoint = parsed.origin;
  }
  const region = input.region?.trim() || 'us-east-1';
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new GatewayError('invalid_storage_config', `"${region}" is not a region name`);
  const forcePathStyle = input.forcePathStyle ?? endpoint !== null;
  return {
    kind: 'S3',
    url: `s3://${bucket}/${prefix}`,
    s3: { bucket, prefix, endpoint: endpoint ?? undefined, region, forcePathStyle },
    endpoint,
    region,
    forcePathStyle,
  };
}

export function parseCredentials(input: StorageCredentialsInput): S3Credentials {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) throw new GatewayError('invalid_storage_config', 'credentials need accessKeyId (≤ 256 chars) and secretAccessKey (≤ 1024 chars)');
  return parsed.data;
}
