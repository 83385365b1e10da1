// Native backup: `POST /operations/snapshot?snapshot_path=<dir>` makes the server copy its raft snapshot
// (RocksDB checkpoint + raft meta) to `<dir>/state/`. When `snapshotDir` is the gateway's view of the server's
// `snapshotPath`, that directory is streamed into gateway storage as a tar.gz; otherwise it is cataloged
// as an artifact that stays on the Typesense server.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { JobContext, NativeArtifactSink, NativeBackupRequest, NativeBackupResult } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import type { TypesenseClient } from './client.ts';
import { packDirectory } from './snapshot-pack.ts';
import { listSummaries, readEngineVersion } from './backup.ts';

export interface SnapshotOptions {
  snapshotPath: string | undefined;
  snapshotDir: string | undefined;
  snapshotTimeoutMs: number;
  /** The nodes to snapshot, each in turn (base URLs); one artifact per node. */
  nodes: string[];
}

export const SNAPSHOT_ARCHIVE = 'snapshot.tar.gz';

export async function nativeBackup(
  client: TypesenseClient,
  options: SnapshotOptions,
  request: NativeBackupRequest,
  sink: NativeArtifactSink,
  ctx: JobContext,
): Promise<NativeBackupResult> {
  const { signal } = ctx;
  if (options.snapshotPath === undefined) {
    throw new GatewayError('invalid_engine_config', 'Typesense native snapshots need `snapshotPath`: a directory on the Typesense server where it may write snapshots');
  }
  const warnings: string[] = [];
  if (request.collections !== null) warnings.push('a Typesense snapshot always holds every collection, keys, aliases and settings; the collection selection was ignored');
  const engineVersion = await readEngineVersion(client, signal);
  const collections = (await listSummaries(client, signal)).map((c) => ({ name: c.name, documentCount: c.num_documents ?? null, bytes: null }));
  const base = `${timestamp()}-${request.requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`;
  const several = options.nodes.length > 1;
  const serverPaths: string[] = [];
  // One node after the other: each copies its own raft snapshot; a cluster never snapshots all nodes at once.
  for (const node of options.nodes) {
    const folder = several ? `${base}-${nodeLabel(node)}` : base;
    serverPaths.push(await snapshotNode(client.forNode(node), { ...options, snapshotPath: options.snapshotPath }, { node: several ? node : null, folder }, sink, ctx, warnings));
  }
  const externalId = serverPaths.length === 1 ? serverPaths[0]! : serverPaths.join(' ');
  return { engineVersion, collections, warnings, externalId };
}

/**
 * Snapshots one node into `<snapshotPath>/<folder>` and archives it (or catalogs it as external). `201
 * {"success": true}` is the only success (raft_server.cpp `OnDemandSnapshotClosure::Run`); anything else fails.
 */
async function snapshotNode(
  client: TypesenseClient,
  options: SnapshotOptions & { snapshotPath: string },
  target: { node: string | null; folder: string },
  sink: NativeArtifactSink,
  ctx: JobContext,
  warnings: string[],
): Promise<string> {
  const { signal } = ctx;
  const { folder, node } = target;
  const serverPath = joinServerPath(options.snapshotPath, folder);
  const on = node === null ? '' : ` (node ${node})`;
  ctx.progress({ phase: 'snapshot', completed: 0, total: null, unit: 'bytes', bytes: 0, message: `Typesense writes its snapshot to ${serverPath}${on}` });
  const answer = await client.snapshot(serverPath, options.snapshotTimeoutMs, signal);
  if (answer?.['success'] !== true) {
    throw new GatewayError('engine_error', `Typesense snapshot${on} answered without success: ${JSON.stringify(answer).slice(0, 300)}`, { details: { node, answer } });
  }
  const archiveName = node === null ? SNAPSHOT_ARCHIVE : `snapshot-${nodeLabel(node)}.tar.gz`;
  if (options.snapshotDir === undefined) {
    sink.addExternal({
      path: folder,
      location: `typesense-server:${serverPath}`,
      bytes: null,
      description: `Typesense snapshot directory (state/) on the Typesense server${on}; to restore: stop Typesense, replace its data dir with it, start`,
    });
    warnings.push(`the snapshot stays on the Typesense server${on} at ${serverPath} (no snapshotDir configured to copy it into gateway storage)`);
    return serverPath;
  }
  const localDir = path.join(options.snapshotDir, folder);
  const found = await stat(path.join(localDir, 'state')).catch(() => null);
  if (found === null || !found.isDirectory()) {
    throw new GatewayError(
      'file_not_found',
      `Typesense reported the snapshot${on} written to ${serverPath}, but ${localDir}/state is not there: snapshotDir must be the gateway's mount of snapshotPath`,
    );
  }
  ctx.progress({ phase: 'archive', completed: 0, total: null, unit: 'bytes', bytes: 0, message: `archiving ${localDir}` });
  const file = await sink.writeFile(archiveName, packDirectory(localDir, signal));
  ctx.progress({ phase: 'archive', completed: file.bytes, total: file.bytes, unit: 'bytes', bytes: file.bytes, message: `${file.path} sha256 ${file.sha256}` });
  return serverPath;
}

/** `host_port` of a node URL, safe in a file name. */
function nodeLabel(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  return `${hostname.replace(/[^A-Za-z0-9.-]/g, '')}_${port || (protocol === 'https:' ? '443' : '80')}`;
}

/** The server's path syntax is POSIX (Typesense runs on Linux); the gateway's may differ. */
function joinServerPath(base: string, folder: string): string {
  return `${base.replace(/\/+$/, '')}/${folder}`;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
}
