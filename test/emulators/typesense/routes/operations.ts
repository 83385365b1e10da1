// /health, /debug and the on-demand snapshot (core_api.cpp `post_snapshot`, raft_server.cpp `do_snapshot`,
// `OnDemandSnapshotClosure::Run`): 409 while one runs; with `snapshot_path` the raft `state/snapshot` and
// `state/meta` directories are copied to `<snapshot_path>/state/`.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TypesenseError, dump, json, type EmulatorResponse, type Route } from '../http.ts';
import type { TypesenseState } from '../state.ts';

export function operationRoutes(state: TypesenseState): Route[] {
  return [
    { method: 'GET', pattern: '/health', action: 'health:get', open: true, handler: () => json(200, { ok: true }) },
    { method: 'GET', pattern: '/debug', action: 'debug:list', handler: () => json(200, { state: 1, version: state.settings.version }) },
    {
      method: 'POST',
      pattern: '/operations/snapshot',
      action: 'operations/snapshot:create',
      handler: (req) => snapshot(state, req.query.get('snapshot_path') ?? ''),
    },
  ];
}

async function snapshot(state: TypesenseState, snapshotPath: string): Promise<EmulatorResponse> {
  // Before v28 the path is required; from v28 an empty one means "internal raft snapshot only".
  if (snapshotPath === '' && state.major < 28) throw new TypesenseError(400, 'Parameter `snapshot_path` is required.');
  if (state.snapshotInProgress) throw new TypesenseError(409, 'Another snapshot is in progress.');
  state.snapshotInProgress = true;
  try {
    // The checkpoint is taken first; copying it out is what takes time on a big data set.
    const index = String(state.writes + 1).padStart(20, '0');
    const contents = dump(state.dump());
    if (state.settings.snapshotDelayMs > 0) await sleep(state.settings.snapshotDelayMs);
    if (snapshotPath === '') return json(201, { success: true });
    try {
      await writeStateTree(path.join(snapshotPath, 'state'), index, contents);
    } catch {
      return json(500, { success: false, error: 'Copy failed.' });
    }
    return json(201, { success: true });
  } finally {
    state.snapshotInProgress = false;
  }
}

/** A braft snapshot directory: meta file, the RocksDB checkpoint (`db_snapshot/`), and the raft meta. */
async function writeStateTree(stateDir: string, index: string, contents: string): Promise<void> {
  const snapshotDir = path.join(stateDir, 'snapshot', `snapshot_${index}`);
  const db = path.join(snapshotDir, 'db_snapshot');
  await mkdir(db, { recursive: true });
  await mkdir(path.join(stateDir, 'meta'), { recursive: true });
  await writeFile(path.join(snapshotDir, '__raft_snapshot_meta'), `last_included_index: ${Number(index)}\nlast_included_term: 1\n`);
  await writeFile(path.join(db, 'CURRENT'), 'MANIFEST-000005\n');
  await writeFile(path.join(db, 'MANIFEST-000005'), `emulated rocksdb manifest; sst files: 000009.sst\n`);
  await writeFile(path.join(db, 'OPTIONS-000007'), '[Version]\n  rocksdb_version=8.1.1\n');
  // Stand-in for the SST files: the emulator's whole store as JSON (key values included, as in a real checkpoint).
  await writeFile(path.join(db, '000009.sst'), contents);
  await writeFile(path.join(stateDir, 'meta', 'raft_meta'), `term: 1\nvotedfor: 127.0.0.1:8107:8108\n`);
}
