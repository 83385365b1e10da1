// Snapshot files (`POST /snapshots`, v1.5+; index-scheduler process_snapshot_creation.rs): the engine tars its
// database folder into `<snapshot-dir>/<db name>.snapshot` — `data.ms.snapshot` by default — replacing the
// previous one. The emulator has no LMDB files to tar: its snapshot holds the `VERSION` file the engine's data
// folder carries and, per index, its metadata and settings as JSON — enough for a tool to find, copy and name it.

import type { Engine } from './engine.ts';
import { writeTarGz } from './dumps-tar.ts';
import { rfc3339 } from './rfc3339.ts';

export const SNAPSHOT_FILE = 'data.ms.snapshot';

export function writeSnapshot(engine: Engine, dir: string, at: Date): string {
  const entries = [{ path: 'VERSION', content: engine.options.version }];
  for (const uid of engine.indexes.names()) {
    const index = engine.indexes.get(uid)!;
    entries.push({
      path: `indexes/${uid}.json`,
      content: JSON.stringify({ uid, primaryKey: index.primaryKey, createdAt: rfc3339(index.createdAt), documents: index.documents.count, settings: index.settings }),
    });
  }
  return writeTarGz(dir, SNAPSHOT_FILE, entries, at);
}
