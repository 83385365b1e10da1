// Cuts a JSONL byte stream (Typesense's export: one JSON document per line, no trailing newline) into blocks of
// whole lines, counted without parsing them, so a backup passes the engine's bytes through as they are.
// A line that is not a document is an error the engine wrote in its place (`core_api.cpp`
// `get_export_documents`): v30 puts "Error while getting seq_id of `x`: …" there and goes on; before v30 the
// export ends with `{"message": …}`. Such lines are handed to `onEmbeddedError` and left out of the block.

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

export interface LineBlock {
  /** Complete lines, each ending in "\n". */
  data: Buffer;
  lines: number;
}

export class JsonlBlocks {
  readonly #blockBytes: number;
  readonly #onEmbeddedError: (line: string) => void;
  readonly #blockLines: number;
  #rest: Buffer = Buffer.alloc(0);
  #parts: Buffer[] = [];
  #bytes = 0;
  #lines = 0;

  /** `blockBytes`: a block is handed on once it holds at least this many bytes. */
  /** A block is also handed on once it holds `blockLines` documents (small documents: batches stay small). */
  constructor(blockBytes: number, onEmbeddedError: (line: string) => void = () => undefined, blockLines = Number.POSITIVE_INFINITY) {
    this.#blockBytes = blockBytes;
    this.#onEmbeddedError = onEmbeddedError;
    this.#blockLines = blockLines;
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
    return this.#bytes >= this.#blockBytes || this.#lines >= this.#blockLines ? this.#take() : undefined;
  }

  /** The last block: the final line, which the export does not end with a newline, gets one. */
  end(): LineBlock | undefined {
    if (this.#rest.length > 0) {
      this.#add(Buffer.concat([this.#rest, Buffer.from('\n')]));
      this.#rest = Buffer.alloc(0);
    }
    return this.#bytes > 0 ? this.#take() : undefined;
  }

  /** Counts the lines of whole-line bytes; a line that is not a document goes to onEmbeddedError instead. */
  #add(data: Buffer): void {
    let start = 0;
    let kept: Buffer[] | null = null;
    let keptFrom = 0;
    while (start < data.length) {
      const end = data.indexOf(NEWLINE, start);
      if (end > start) {
        if (isDocumentLine(data, start, end)) this.#lines += 1;
        else {
          // Rare: the block is rebuilt without the error line.
          kept ??= [];
          kept.push(data.subarray(keptFrom, start));
          keptFrom = end + 1;
          this.#onEmbeddedError(data.subarray(start, end).toString('utf8'));
        }
      }
      start = end + 1;
    }
    if (kept !== null) {
      kept.push(data.subarray(keptFrom));
      data = Buffer.concat(kept);
    }
    if (data.length === 0) return;
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
}

const MESSAGE_PREFIX = Buffer.from('{"message":');

/**
 * A document opens a JSON object. `{"message": …}` alone is how a ≤ v29 export ends on an error (a document has
 * its string `id`): only a line starting so is parsed to tell them apart.
 */
function isDocumentLine(data: Buffer, start: number, end: number): boolean {
  if (data[start] !== OPEN_BRACE) return false;
  if (end - start < MESSAGE_PREFIX.length || data.compare(MESSAGE_PREFIX, 0, MESSAGE_PREFIX.length, start, start + MESSAGE_PREFIX.length) !== 0) return true;
  try {
    const parsed = JSON.parse(data.subarray(start, end).toString('utf8')) as Record<string, unknown>;
    return typeof parsed === 'object' && parsed !== null && typeof parsed['id'] === 'string';
  } catch {
    return false;
  }
}
