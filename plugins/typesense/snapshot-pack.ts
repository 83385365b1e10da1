// A snapshot directory Typesense wrote (to a path the gateway can see) packed as one gzip'd tar stream.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { throwIfCanceled } from '../../src/plugin.ts';

/**
 * The snapshot directory the engine wrote, as a gzip'd tar stream (entries relative to `dir`, so
 * extracting it into a data dir puts `state/` in place). Files are streamed one at a time.
 */
export function packDirectory(dir: string, signal: AbortSignal): Readable {
  const pack = tar.pack();
  const gzip = createGzip();
  const addTree = async (relative: string): Promise<void> => {
    const entries = (await readdir(path.join(dir, relative), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      throwIfCanceled(signal);
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const full = path.join(dir, name);
      const info = await stat(full);
      if (entry.isDirectory()) {
        pack.entry({ name, type: 'directory', mode: info.mode, mtime: info.mtime });
        await addTree(name);
      } else if (entry.isFile()) {
        await pipeline(createReadStream(full), pack.entry({ name, size: info.size, mode: info.mode, mtime: info.mtime }));
      }
    }
  };
  addTree('').then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  pipeline(pack, gzip).catch((error: unknown) => gzip.destroy(error instanceof Error ? error : new Error(String(error))));
  return gzip;
}
