// Hostile dump files for tests, generated on the fly and streamed to disk: the test never holds them whole.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

export const MiB = 1024 * 1024;

export interface HostileEntry {
  name: string;
  size: number;
  /** Streamed in pieces so the test itself never holds the file. */
  pieces: () => Iterable<Buffer>;
}

export function text(name: string, content: string): HostileEntry {
  const buffer = Buffer.from(content);
  return { name, size: buffer.length, pieces: () => [buffer] };
}

/** `size` bytes: `head`, then `fill` repeated, then `tail`. */
export function repeated(name: string, head: string, fill: Buffer, tail: string, size: number): HostileEntry {
  return {
    name,
    size,
    *pieces() {
      yield Buffer.from(head);
      let left = size - head.length - tail.length;
      const block = Buffer.concat(Array.from({ length: Math.ceil(MiB / fill.length) }, () => fill));
      while (left > 0) {
        const piece = block.subarray(0, Math.min(left, block.length));
        left -= piece.length;
        yield piece;
      }
      yield Buffer.from(tail);
    },
  };
}

/** A .tar.gz of `entries`, streamed to `file`. */
export async function writeTarGz(file: string, entries: HostileEntry[]): Promise<void> {
  const tar = pack();
  const writing = pipeline(tar, createGzip({ level: 6 }), createWriteStream(file));
  for (const entry of entries) {
    const sink = tar.entry({ name: entry.name, size: entry.size });
    await pipeline(Readable.from(entry.pieces()), sink);
  }
  tar.finalize();
  await writing;
}
