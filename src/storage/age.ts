// Encryption at rest in the age format (age-encryption.org/v1), so a user can open any file with the `age` tool.
// Streams, never whole files: age's STREAM construction encrypts 64 KiB chunks as they pass.
import { Duplex, PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Decrypter, Encrypter, identityToRecipient } from 'age-encryption';
import { GatewayError } from '../errors.ts';

/** What the manifest and the catalog record about an encrypted backup. */
export interface EncryptionInfo {
  format: 'age';
  /** The recipients the files were encrypted to (public keys; never the identity). */
  recipients: string[];
}

const RECIPIENT = /^age1[0-9a-z]+$/;
const IDENTITY = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

/** Refuses anything age would not accept as a recipient, with the library's own reason. */
export function validateRecipients(recipients: readonly string[]): string[] {
  if (recipients.length > 64) throw new GatewayError('invalid_storage_config', 'at most 64 recipients');
  const unique = [...new Set(recipients.map((recipient) => recipient.trim()))];
  for (const recipient of unique) {
    if (!RECIPIENT.test(recipient)) {
      throw new GatewayError('invalid_storage_config', `"${recipient.slice(0, 24)}…" is not an age recipient (age1…); pass public keys, never identities`);
    }
    try {
      new Encrypter().addRecipient(recipient);
    } catch (error) {
      throw new GatewayError('invalid_storage_config', `age recipient ${recipient.slice(0, 24)}… is invalid: ${(error as Error).message}`);
    }
  }
  return unique;
}

/** Reads identities as `age -i` does: one `AGE-SECRET-KEY-1…` per line, `#` comments and blank lines ignored. */
export async function parseIdentities(text: string, source: string): Promise<string[]> {
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const identity of identities) {
    const valid =
      IDENTITY.test(identity) &&
      (await identityToRecipient(identity).then(
        () => true,
        () => false,
      ));
    if (!valid) throw new GatewayError('invalid_configuration', `${source}: a line is not an age identity (AGE-SECRET-KEY-1…)`);
  }
  if (identities.length === 0) throw new GatewayError('invalid_configuration', `${source} holds no age identity`);
  return identities;
}

/** A Duplex: plaintext in, an age file out. */
export function createAgeEncryptStream(recipients: readonly string[]): Duplex {
  if (recipients.length === 0) throw new GatewayError('internal', 'encryption needs at least one recipient');
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return webTransform(async (plaintext) => (await encrypter.encrypt(plaintext as never)) as unknown as WebReadableStream<Uint8Array>, 'encrypt');
}

/** A Duplex: an age file in, plaintext out. A wrong identity or a changed byte fails as `decryption_failed`. */
export function createAgeDecryptStream(identities: readonly string[], what: string): Duplex {
  if (identities.length === 0) {
    throw new GatewayError('decryption_failed', `${what} is encrypted and no age identity is configured (set GATEWAY_AGE_IDENTITY_FILE)`);
  }
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  return webTransform(async (ciphertext) => (await decrypter.decrypt(ciphertext as never)) as unknown as WebReadableStream<Uint8Array>, `decrypt ${what}`);
}

/**
 * Adapts a web-stream transformation to a Node Duplex: bytes written go into a web ReadableStream handed to
 * `start`, whose output is read back out. Backpressure holds both ways (the web side pulls).
 */
function webTransform(start: (input: WebReadableStream<Uint8Array>) => Promise<WebReadableStream<Uint8Array>>, what: string): Duplex {
  const input = new PassThrough();
  const output = Readable.from(
    (async function* () {
      try {
        const transformed = await start(Readable.toWeb(input) as WebReadableStream<Uint8Array>);
        for await (const chunk of transformed) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      } catch (error) {
        throw coded(error, what);
      }
    })(),
    { objectMode: false },
  );
  return Duplex.from({ writable: input, readable: output });
}

function coded(error: unknown, what: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(what.startsWith('decrypt') ? 'decryption_failed' : 'storage_error', `age could not ${what}: ${message}`, { cause: error });
}
