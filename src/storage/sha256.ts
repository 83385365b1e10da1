// Size and sha256 of bytes as they stream past, so no file is ever read twice just to check it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ByteDigest {
  bytes: number;
  sha256: string;
}

export interface DigestPassThrough {
  readonly stream: Transform;
  /** Size and hex sha256 of every byte that went through; call once the stream has ended. */
  result(): ByteDigest;
}

export function createDigestPassThrough(): DigestPassThrough {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return {
    stream,
    result() {
      digest ??= hash.digest('hex');
      return { bytes, sha256: digest };
    },
  };
}

/** Consumes a readable to its end. */
export async function sha256Stream(source: Readable): Promise<ByteDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(source, async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  });
  return { bytes, sha256: hash.digest('hex') };
}

export function sha256File(path: string): Promise<ByteDigest> {
  return sha256Stream(createReadStream(path));
}
