// `backup-gateway restore-snapshot <backup-id> --data-dir <dir> [--archive <file>] [--force]`: lays a Typesense
// snapshot archive (a NATIVE backup: `state/` of `POST /operations/snapshot`) out as a Typesense data directory,
// for Typesense's documented procedure: stop the server → replace its data dir with the snapshot → start it.
// Extracted into a staging directory beside the data dir first and renamed into place only when whole; a data dir
// that is not empty is left alone unless --force, and then moved aside (never deleted). Entries that would land
// outside the data dir (absolute paths, `..`, links, devices) are refused before anything is moved.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import type { Command } from '../command.ts';
import { CliError, usage } from '../errors.ts';
import { printJson } from '../output.ts';
import { apiKeyOf, downloadBackup } from './backup-download.ts';

export interface SnapshotLayoutRequest {
  /** The snapshot archive (.tar.gz), e.g. written by `backup download`. */
  archive: string;
  dataDir: string;
  force?: boolean;
  log(line: string): void;
}

export interface SnapshotLayout {
  dataDir: string;
  files: number;
  bytes: number;
  /** Where the previous contents went (--force on a non-empty data dir). */
  movedAside: string | null;
}

export async function layOutSnapshot(request: SnapshotLayoutRequest): Promise<SnapshotLayout> {
  const dataDir = path.resolve(request.dataDir);
  const step = (n: number, text: string) => request.log(`step ${n}: ${text}`);
  step(1, 'stop Typesense on this node before going on (in a cluster: stop every node; run this command on each node with its own --data-dir)');
  const existing = await readdir(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw new CliError('file_not_found', `cannot read --data-dir ${dataDir}: ${error.message}`);
  });
  if (existing.length > 0 && !request.force) {
    throw new CliError(
      'target_exists',
      `${dataDir} is not empty (${existing.length} entries); stop Typesense and pass --force to move its contents aside, or choose an empty --data-dir`,
    );
  }
  const staging = `${dataDir}.restore-${randomBytes(4).toString('hex')}`;
  step(2, `extracting ${request.archive} into ${staging}`);
  await mkdir(staging, { recursive: false, mode: 0o700 });
  let counts: { files: number; bytes: number };
  try {
    counts = await extract(request.archive, staging);
    const state = await stat(path.join(staging, 'state')).catch(() => null);
    if (!state?.isDirectory()) throw new CliError('archive_invalid', `${request.archive} holds no state/ directory: it is not a Typesense snapshot archive`);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  let movedAside: string | null = null;
  if (existing.length > 0) {
    movedAside = `${dataDir}.before-restore-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
    step(3, `moving the current contents of ${dataDir} aside to ${movedAside} (delete it once the restored node is healthy)`);
    await rename(dataDir, movedAside);
  } else {
    step(3, `${dataDir} is empty: nothing to move aside`);
    await rm(dataDir, { recursive: true, force: true });
  }
  await rename(staging, dataDir);
  step(4, `${dataDir} now holds the snapshot (${counts.files} files, ${counts.bytes} bytes)`);
  step(
    5,
    `start Typesense with --data-dir ${dataDir}; in a cluster, lay the same snapshot out on every follower node too (this command with each node's --data-dir), then start the nodes — a node started on an older data dir would be out of step with the others`,
  );
  return { dataDir, ...counts, movedAside };
}

/** Extracts regular files and directories only, each confined to `into`. */
async function extract(archive: string, into: string): Promise<{ files: number; bytes: number }> {
  const extractor = tar.extract();
  let files = 0;
  let bytes = 0;
  extractor.on('entry', (header, stream, next) => {
    stream.on('error', () => undefined); // the extractor's own error is what the pipeline reports
    const fail = (message: string) => {
      stream.resume();
      next(new CliError('archive_invalid', `${archive}: ${message}`));
    };
    const name = header.name.replace(/\/+$/, '');
    const segments = name.split('/');
    if (name === '' || path.isAbsolute(name) || name.includes('\\') || segments.some((s) => s === '..' || s === '' || s === '.'))
      return fail(`entry ${JSON.stringify(header.name)} would leave the data dir`);
    const target = path.join(into, ...segments);
    if (!target.startsWith(into + path.sep)) return fail(`entry ${JSON.stringify(header.name)} would leave the data dir`);
    if (header.type === 'directory') {
      stream.resume();
      mkdir(target, { recursive: true, mode: 0o700 }).then(
        () => next(),
        (error: Error) => next(error),
      );
      return;
    }
    if (header.type !== 'file') return fail(`entry ${JSON.stringify(header.name)} is a ${header.type}; only files and directories are restored`);
    mkdir(path.dirname(target), { recursive: true, mode: 0o700 })
      .then(() => pipeline(stream, createWriteStream(target, { mode: 0o600, flags: 'wx' })))
      .then(
        () => {
          files++;
          bytes += header.size ?? 0;
          next();
        },
        (error: Error) => next(error),
      );
  });
  await pipeline(createReadStream(archive), createGunzip(), extractor).catch((error: unknown) => {
    if (error instanceof CliError) throw error;
    throw new CliError('archive_invalid', `${archive} is not a readable .tar.gz snapshot archive: ${(error as Error).message}`, { cause: error });
  });
  return { files, bytes };
}

export const restoreSnapshotCommand: Command = {
  words: ['restore-snapshot'],
  summary: 'Lay a Typesense snapshot backup out as a data directory (stop → replace → start), printing each step.',
  args: '<backup-id>',
  options: {
    'data-dir': { type: 'string', value: '<dir>', description: "The Typesense node's --data-dir (required)" },
    archive: { type: 'string', value: '<file>', description: 'A snapshot archive already downloaded (backup download); otherwise it is downloaded now' },
    force: { type: 'boolean', description: 'The data dir is not empty: move its contents aside (never deleted)' },
  },
  details: 'Typesense must be stopped first. In a cluster, stop every node, run this on each node with its own --data-dir, then start them.',
  async run(ctx) {
    const backupId = ctx.positionals[0];
    const dataDir = ctx.options['data-dir'];
    if (!backupId) throw usage('restore-snapshot needs <backup-id>');
    if (typeof dataDir !== 'string' || dataDir === '') throw usage('restore-snapshot needs --data-dir <dir>');
    const log = (line: string) => ctx.io.stderr.write(`${line}\n`);
    let archive = typeof ctx.options.archive === 'string' ? ctx.options.archive : undefined;
    const temp = archive === undefined ? await mkdtemp(path.join(os.tmpdir(), 'backup-gateway-snapshot-')) : null;
    try {
      if (temp !== null) archive = (await downloadBackup({ client: ctx.client(), apiKey: apiKeyOf(ctx), backupId, out: path.join(temp, 'snapshot.tar.gz'), log })).file;
      const layout = await layOutSnapshot({ archive: archive!, dataDir, force: ctx.options.force === true, log });
      if (ctx.json) printJson(ctx.io, layout);
      else ctx.io.stdout.write(`${layout.dataDir}\n`);
      return 0;
    } finally {
      if (temp !== null) await rm(temp, { recursive: true, force: true });
    }
  },
};
