// gzip on every core: the input is cut into members of ~1 MiB, each compressed on its own on the libuv thread
// pool (several at once) and written in order. A file of concatenated members is one gzip file (RFC 1952 §2.2):
// gunzip, zcat and Node's createGunzip read it whole. One gzip stream compressed on one thread at a time, and a
// backup went as fast as that thread. Each member starts without the previous one's window: ~0.1 % larger files.
import { once } from 'node:events';
import { finished, type Writable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Uncompressed bytes per member. */
export const MEMBER_BYTES = 1024 * 1024;
/** Members compressed at once: the thread pool has 4 threads; more would only hold more memory. */
export const MEMBERS_IN_FLIGHT = 3;

interface Member {
  compressed: Promise<Buffer>;
  /** Set once `compressed` resolved, so finished members are written without waiting for the next one. */
  result: Buffer | undefined;
}

export interface GzipMembersOptions {
  level: number;
  /** Called with the size of each compressed member as it is handed to `out`. */
  onCompressed(bytes: number): void;
  memberBytes?: number;
  inFlight?: number;
}

export class GzipMembers {
  readonly #out: Writable;
  readonly #level: number;
  readonly #onCompressed: (bytes: number) => void;
  readonly #memberBytes: number;
  readonly #inFlight: number;
  readonly #members: Member[] = [];
  #parts: Buffer[] = [];
  #bytes = 0;
  /** Rejects once `out` fails: a write waiting for 'drain' stops waiting. */
  readonly #broken: Promise<never>;

  constructor(out: Writable, options: GzipMembersOptions) {
    this.#out = out;
    this.#level = options.level;
    this.#onCompressed = options.onCompressed;
    this.#memberBytes = options.memberBytes ?? MEMBER_BYTES;
    this.#inFlight = options.inFlight ?? MEMBERS_IN_FLIGHT;
    this.#broken = new Promise<never>((_resolve, reject) => {
      finished(out, { readable: false }, (error) => {
        if (error) reject(error);
      });
    });
    this.#broken.catch(() => undefined);
  }

  /** Takes the next bytes; resolves once they are queued, waiting while enough members are in flight. */
  async write(data: Buffer): Promise<void> {
    if (this.#out.destroyed) throw this.#out.errored ?? new Error('the file stream was closed');
    // A big write is cut into several members (views, not copies), so they too are compressed side by side.
    for (let offset = 0; offset < data.length;) {
      const take = Math.min(data.length - offset, this.#memberBytes - this.#bytes);
      this.#parts.push(offset === 0 && take === data.length ? data : data.subarray(offset, offset + take));
      this.#bytes += take;
      offset += take;
      if (this.#bytes >= this.#memberBytes) {
        this.#cut();
        await this.#writeFinished(this.#inFlight);
      }
    }
  }

  /** Compresses what is left, writes every member, ends `out` and waits until it has taken everything. */
  async end(): Promise<void> {
    this.#cut();
    await this.#writeFinished(1);
    this.#out.end();
    await this.#until('finish');
  }

  #cut(): void {
    if (this.#bytes === 0) return;
    const input = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bytes);
    this.#parts = [];
    this.#bytes = 0;
    const member: Member = { compressed: gzipAsync(input, { level: this.#level }), result: undefined };
    member.compressed.then(
      (result) => (member.result = result),
      () => undefined, // awaited in #writeFinished
    );
    this.#members.push(member);
  }

  /** Writes members in order: every one already compressed, and waits for the oldest while `limit` or more are pending. */
  async #writeFinished(limit: number): Promise<void> {
    for (;;) {
      const head = this.#members[0];
      if (head === undefined) return;
      if (head.result === undefined && this.#members.length < limit) return;
      const compressed = head.result ?? (await Promise.race([head.compressed, this.#broken]));
      this.#members.shift();
      this.#onCompressed(compressed.length);
      if (!this.#out.write(compressed)) await this.#until('drain');
    }
  }

  /** Waits for an event of `out`, or for its failure (then the event never comes). */
  async #until(event: 'drain' | 'finish'): Promise<void> {
    if (event === 'finish' && this.#out.writableFinished) return;
    const stop = new AbortController();
    try {
      await Promise.race([once(this.#out, event, { signal: stop.signal }), this.#broken]);
    } finally {
      stop.abort();
    }
  }
}
