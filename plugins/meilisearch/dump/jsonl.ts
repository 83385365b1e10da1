// Reading dump entries: small JSON files whole (with a size cap), JSONL files line by line.
import { invalidDump } from './tar.ts';

/** metadata.json, settings.json, meta.json… are tiny; anything bigger is not what the dump format writes. */
export const SMALL_FILE_LIMIT = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

/** Counts non-blank lines without parsing them: one JSON value per line in every dump version. */
export async function countLines(body: AsyncIterable<Buffer>): Promise<number> {
  let count = 0;
  let content = false;
  for await (const chunk of body) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === NEWLINE) {
        if (content) count += 1;
        content = false;
      } else if (!content && !isBlank(byte)) content = true;
    }
  }
  return content ? count + 1 : count;
}

export async function readText(body: AsyncIterable<Buffer>, label: string, limit = SMALL_FILE_LIMIT): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw invalidDump(`${label} is larger than ${limit} bytes; not a Meilisearch dump file`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readSmallJson(body: AsyncIterable<Buffer>, label: string): Promise<unknown> {
  const text = await readText(body, label);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidDump(`${label} is not valid JSON: ${(error as Error).message}`, error);
  }
}

/** Parses every non-blank line of a small JSONL file. */
export async function readSmallJsonl(body: AsyncIterable<Buffer>, label: string): Promise<unknown[]> {
  return parseLines((await readText(body, label)).split('\n'), label);
}

function parseLines(lines: string[], label: string, firstLine = 1): unknown[] {
  const values: unknown[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      throw invalidDump(`${label} line ${firstLine + i}: ${(error as Error).message}`, error);
    }
  });
  return values;
}

/** Streams a JSONL entry as batches of at most `batchSize` parsed objects. */
export async function* jsonlBatches(body: AsyncIterable<Buffer>, batchSize: number, label: string): AsyncGenerator<Record<string, unknown>[]> {
  let rest = '';
  let lineNumber = 1;
  let batch: Record<string, unknown>[] = [];
  const take = function* (lines: string[]): Generator<Record<string, unknown>[]> {
    for (const value of parseLines(lines, label, lineNumber)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidDump(`${label}: a document is not a JSON object`);
      batch.push(value as Record<string, unknown>);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    lineNumber += lines.length;
  };
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = lines.pop()!;
    yield* take(lines);
  }
  yield* take([rest + decoder.decode()]);
  if (batch.length > 0) yield batch;
}
