// Native backup, snapshot kind (backup option `native: "snapshot"`): `POST /snapshots` (Meilisearch 1.5+) is a
// task, followed to its end with its batch's progress and canceled like a dump's. The engine writes
// `<snapshot-dir>/data.ms.snapshot` (a tarball of its database, replaced by each snapshot); it is copied into
// gateway storage when that folder is mounted (`snapshotsDir`), else cataloged as external. A snapshot only
// loads into the same Meilisearch version, at start-up (`--import-snapshot`): it is not restored over the API.
import { join } from 'node:path';
import type { JobContext, NativeArtifactSink, NativeBackupRequest, NativeBackupResult } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { canceledError, type MeilisearchClient } from './client.ts';
import { parseVersion } from './dump/settings.ts';
import { apiCollections, cancelTask, checkSelection, copyDump, type NativeOptions } from './native-backup.ts';
import { followTask } from './follow-task.ts';
import { readVersion } from './versions.ts';

/** `<db name>.snapshot` with the default `--db-path` (data.ms). */
export const SNAPSHOT_FILE = 'data.ms.snapshot';

export async function snapshotBackup(
  client: MeilisearchClient,
  options: NativeOptions,
  request: NativeBackupRequest,
  sink: NativeArtifactSink,
  ctx: JobContext,
): Promise<NativeBackupResult> {
  const { signal } = ctx;
  const warnings: string[] = [];
  const engineVersion = await readVersion(client, signal, warnings);
  const parsed = parseVersion(engineVersion);
  if (parsed !== null && (parsed[0] < 1 || (parsed[0] === 1 && parsed[1] < 5))) {
    throw new GatewayError('capability_not_supported', `Meilisearch ${engineVersion} has no POST /snapshots (Meilisearch 1.5+); use a dump instead`);
  }
  await checkSelection(client, request.collections, signal, []);
  if (request.collections !== null) warnings.push('a Meilisearch snapshot always contains the whole instance: the file holds more than the selected indexes');
  const pending = await client.findTasks({ types: ['snapshotCreation'], statuses: ['enqueued', 'processing'] }, signal);
  if (pending.length > 0) throw new GatewayError('job_already_in_progress', `A Meilisearch snapshot is already in progress: task ${pending.join(', ')}`);

  const taskUid = await client.createSnapshot(signal);
  try {
    await followTask(client, options.taskTimeoutMs, taskUid, { what: 'snapshot', working: 'creating the snapshot', done: 'snapshot created' }, ctx);
  } catch (error) {
    if (signal.aborted) {
      await cancelTask(client, options, taskUid, ctx);
      throw canceledError(signal);
    }
    throw error;
  }

  if (options.snapshotsDir === undefined) {
    sink.addExternal({
      path: SNAPSHOT_FILE,
      location: `meilisearch-server:snapshots/${SNAPSHOT_FILE}`,
      bytes: null,
      description: "Meilisearch snapshot in the server's snapshots folder (--snapshot-dir); the next snapshot replaces it",
    });
    warnings.push(`the snapshot ${SNAPSHOT_FILE} stays on the Meilisearch server (no snapshotsDir configured) and the next snapshot overwrites it`);
  } else await copyDump(join(options.snapshotsDir, SNAPSHOT_FILE), SNAPSHOT_FILE, sink, ctx);
  warnings.push(`a snapshot loads only into Meilisearch ${engineVersion ?? 'of the same version'}, at start-up (--import-snapshot); it is not restored over the API`);
  const collections = await apiCollections(client, signal);
  const selected = request.collections === null ? collections : collections.filter((collection) => request.collections!.includes(collection.name));
  return { engineVersion, collections: selected, warnings, externalId: `snapshot-task-${taskUid}` };
}
