// Turning stored bytes back into written bytes: the decryption stage a reader puts after its checksum stage.
import { Readable, type Duplex } from 'node:stream';
import { GatewayError } from '../errors.ts';
import type { StorageDriver } from './driver.ts';

/** The stages between the stored bytes (hashed first) and the file's content: age decryption when encrypted. */
export function decodeStages(storage: StorageDriver, file: { path: string; encrypted?: boolean | undefined }): Duplex[] {
  if (!file.encrypted) return [];
  if (!storage.decryptStream) {
    throw new GatewayError('decryption_failed', `${file.path} is encrypted and this storage has no age identity configured (GATEWAY_AGE_IDENTITY_FILE)`);
  }
  return [storage.decryptStream(file.path)];
}

/** The content of a small file already read whole (JSON: schemas, extras). */
export async function decodeBuffer(storage: StorageDriver, file: { path: string; encrypted?: boolean | undefined }, stored: Buffer): Promise<Buffer> {
  const stages = decodeStages(storage, file);
  if (stages.length === 0) return stored;
  const chunks: Buffer[] = [];
  let source: NodeJS.ReadableStream = Readable.from([stored]);
  for (const stage of stages) source = source.pipe(stage);
  // Errors of the source never happen (a buffer); the stage's own error ends the loop below.
  for await (const chunk of stages.at(-1)! as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
