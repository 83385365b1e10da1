// `backup-gateway backup download <backup-id> [--out <file>] [--artifact <path>] [--force]`: writes a native
// backup's stored file (a Typesense snapshot archive) from GET /backups/<id>/artifacts/<path>. The file is written
// to a temporary name (0600) and renamed when whole; an existing file is replaced only with --force.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GatewayClient } from '../client.ts';
import type { Command, CommandContext } from '../command.ts';
import { CliError, usage } from '../errors.ts';
import { printJson } from '../output.ts';

export interface DownloadRequest {
  client: GatewayClient;
  apiKey: string | undefined;
  backupId: string;
  /** The artifact path as the backup lists it; the one stored file when absent. */
  artifact?: string | undefined;
  /** Where to write; the artifact's file name in the current directory when absent. */
  out?: string | undefined;
  force?: boolean;
  log(line: string): void;
}

export interface Downloaded {
  file: string;
  bytes: number;
  sha256: string;
  artifact: string;
}

interface BackupArtifacts {
  backup: {
    id: string;
    name: string;
    strategy: string;
    plugin: string;
    encryption: { format: string } | null;
    artifacts: Array<{ path: string; bytes: number; sha256: string }>;
  } | null;
}

export async function downloadBackup(request: DownloadRequest): Promise<Downloaded> {
  const { backup } = await request.client.request<BackupArtifacts>(
    `query($id: ID!) { backup(id: $id) { id name strategy plugin encryption { format } artifacts { path bytes sha256 } } }`,
    { id: request.backupId },
  );
  if (!backup) throw new CliError('backup_not_found', `No backup with id "${request.backupId}"`);
  const stored = backup.artifacts.filter((artifact) => artifact.sha256 !== '' && artifact.path !== 'manifest.json');
  const artifact = request.artifact ? stored.find((a) => a.path === request.artifact) : stored.length === 1 ? stored[0] : undefined;
  if (!artifact) {
    const listed = stored.map((a) => a.path).join(', ') || 'none';
    throw new CliError(
      request.artifact ? 'file_not_found' : 'usage',
      request.artifact
        ? `Backup "${backup.name}" stores no file "${request.artifact}" (stored: ${listed})`
        : `Backup "${backup.name}" stores ${stored.length} files (${listed}); choose one with --artifact`,
    );
  }
  const out = path.resolve(request.out ?? path.basename(artifact.path));
  if (!request.force && (await lstat(out).catch(() => null))) throw new CliError('file_exists', `${out} exists; pass --force to replace it`);

  const url = new URL(`backups/${encodeURIComponent(backup.id)}/artifacts/${artifact.path.split('/').map(encodeURIComponent).join('/')}`, artifactBase(request.client.endpoint));
  const response = await fetch(url, { headers: request.apiKey ? { authorization: `Bearer ${request.apiKey}` } : {} }).catch((error: unknown) => {
    throw new CliError('gateway_unreachable', `Cannot reach the gateway at ${url.origin}: ${(error as Error).message}`, { cause: error });
  });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string; type?: string };
    throw new CliError(body.code ?? 'internal', body.message ?? `download failed: HTTP ${response.status}`, { type: body.type });
  }
  request.log(`downloading ${artifact.path} of backup "${backup.name}" (${artifact.bytes} bytes) to ${out}`);
  const temp = path.join(path.dirname(out), `.${path.basename(out)}.${randomBytes(4).toString('hex')}.part`);
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as never), counter, createWriteStream(temp, { mode: 0o600, flags: 'wx' }));
    const sha256 = hash.digest('hex');
    // Encrypted at rest: the catalog's sha256 is of the stored bytes; the gateway checked them while decrypting.
    if (backup.encryption === null && (sha256 !== artifact.sha256 || bytes !== artifact.bytes)) {
      throw new CliError('checksum_mismatch', `${artifact.path}: expected ${artifact.bytes} bytes with sha256 ${artifact.sha256}, got ${bytes} bytes with sha256 ${sha256}`);
    }
    await rename(temp, out);
    request.log(`wrote ${out} (sha256 ${sha256})`);
    return { file: out, bytes, sha256, artifact: artifact.path };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The gateway root from its GraphQL endpoint (`http://host:4000/graphql` → `http://host:4000/`). */
function artifactBase(endpoint: string): string {
  return endpoint.replace(/graphql\/?$/, '');
}

export const backupDownloadCommand: Command = {
  words: ['backup', 'download'],
  summary: "Write a native backup's stored file (e.g. a Typesense snapshot archive) to disk.",
  args: '<backup-id>',
  options: {
    out: { type: 'string', value: '<file>', description: "Where to write (default: the file's name in the current directory)" },
    artifact: { type: 'string', value: '<path>', description: 'Which stored file, as the backup lists it (default: its only one)' },
    force: { type: 'boolean', description: 'Replace an existing file' },
  },
  async run(ctx) {
    const backupId = ctx.positionals[0];
    if (!backupId) throw usage('backup download needs <backup-id>');
    const done = await downloadBackup({
      client: ctx.client(),
      apiKey: apiKeyOf(ctx),
      backupId,
      artifact: typeof ctx.options.artifact === 'string' ? ctx.options.artifact : undefined,
      out: typeof ctx.options.out === 'string' ? ctx.options.out : undefined,
      force: ctx.options.force === true,
      log: (line) => ctx.io.stderr.write(`${line}\n`),
    });
    if (ctx.json) printJson(ctx.io, done);
    else ctx.io.stdout.write(`${done.file}\n`);
    return 0;
  },
};

export function apiKeyOf(ctx: CommandContext): string | undefined {
  const given = ctx.options['api-key'];
  return (typeof given === 'string' ? given : ctx.io.env.GATEWAY_API_KEY) || undefined;
}
