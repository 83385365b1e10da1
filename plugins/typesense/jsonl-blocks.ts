// Cuts a JSONL byte stream (Typesense's export: one JSON document per line, no trailing newline) into blocks of
// whole lines, counted without parsing them, so a backup passes the engine's bytes through as they are.
import { GatewayError } from '../../src/errors.ts';

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

export interface LineBlock {
  /** Complete lines, each ending in "\n". */
  data: Buffer;
  lines: number;
}

export class JsonlBlocks {
  readonly #label: string;
  readonly #blockBytes: number;
  #rest: Buffer = Buffer.alloc(0);
  #parts: Buffer[] = [];
  #bytes = 0;
  #lines = 0;

  /** `blockBytes`: a block is handed on once it holds at least this many bytes. */
  constructor(label: string, blockBytes: number) {
    this.#label = label;
    this.#blockBytes = blockBytes;
  }

  /** Takes the next piece of the stream; returns a block once enough whole lines are gathered. */
  push(chunk: Buffer): LineBlock | undefined {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.#rest = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
      return undefined;
    }
    const complete = this.#rest.length === 0 ? chunk.subarray(0, last + 1) : Buffer.concat([this.#rest, chunk.subarray(0, last + 1)]);
    this.#rest = chunk.subarray(last + 1);
    this.#add(complete);
    return this.#bytes >= this.#blockBytes ? this.#take() : undefined;
  }

  /** The last block: the final line, which the export does not end with a newline, gets one. */
  end(): LineBlock | undefined {
    if (this.#rest.length > 0) {
      this.#add(Buffer.concat([this.#rest, Buffer.from('\n')]));
      this.#rest = Buffer.alloc(0);
    }
    return this.#bytes > 0 ? this.#take() : undefined;
  }

  /** Counts the lines of whole-line bytes; each must open a JSON object (an HTML error page does not). */
  #add(data: Buffer): void {
    let start = 0;
    while (start < data.length) {
      const end = data.indexOf(NEWLINE, start);
      if (end > start) {
        if (data[start] !== OPEN_BRACE) throw this.#notJsonl(data.subarray(start, Math.min(end, start + 80)));
        this.#lines += 1;
      }
      start = end + 1;
    }
    this.#parts.push(data);
    this.#bytes += data.length;
  }

  #take(): LineBlock {
    const block = { data: this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bytes), lines: this.#lines };
    this.#parts = [];
    this.#bytes = 0;
    this.#lines = 0;
    return block;
  }

  #notJsonl(start: Buffer): GatewayError {
    return new GatewayError('engine_error', `${this.#label}: a line of the export is not a JSON document: ${JSON.stringify(start.toString('utf8'))}`);
  }
}
