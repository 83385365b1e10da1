// Reading dump entries: small JSON files whole (size, array length and value count capped), JSONL files line by
// line (line length capped), through the gateway's bounded readers so a crafted dump costs little.
import { assertJsonWithinLimits, boundedLines, countBoundedLines, documentLineOptions, inputLimits, readBounded } from '../../../src/plugin.ts';
import { invalidDump } from './tar.ts';

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

function hasContent(line: Buffer): boolean {
  for (const byte of line) if (!isBlank(byte)) return true;
  return false;
}

/** Counts non-blank lines without parsing them: one JSON value per line in every dump version. */
export async function countLines(body: AsyncIterable<Buffer>, label = 'the dump'): Promise<number> {
  return countBoundedLines(body, documentLineOptions(label));
}

export async function readText(body: AsyncIterable<Buffer>, label: string, limit = inputLimits().maxSmallFileBytes): Promise<string> {
  return (await readBounded(body, label, limit)).toString('utf8');
}

function parseJson(text: string, label: string, invalid = ':'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidDump(`${label}${invalid} ${(error as Error).message}`, error);
  }
  assertJsonWithinLimits(value, label);
  return value;
}

export async function readSmallJson(body: AsyncIterable<Buffer>, label: string): Promise<unknown> {
  return parseJson(await readText(body, label), label, ' is not valid JSON:');
}

/** Parses every non-blank line of a small JSONL file. */
export async function readSmallJsonl(body: AsyncIterable<Buffer>, label: string): Promise<unknown[]> {
  const values = parseLines((await readText(body, label)).split('\n'), label);
  assertJsonWithinLimits(values, label);
  return values;
}

function parseLines(lines: string[], label: string, firstLine = 1): unknown[] {
  const values: unknown[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    values.push(parseJson(line, `${label} line ${firstLine + i}`));
  });
  return values;
}

/** Streams a JSONL entry as batches of at most `batchSize` parsed objects. */
export async function* jsonlBatches(body: AsyncIterable<Buffer>, batchSize: number, label: string): AsyncGenerator<Record<string, unknown>[]> {
  let lineNumber = 0;
  let batch: Record<string, unknown>[] = [];
  for await (const lines of boundedLines(body, documentLineOptions(label))) {
    for (const line of lines) {
      lineNumber += 1;
      if (!hasContent(line)) continue;
      let value: unknown;
      try {
        value = JSON.parse(line.toString('utf8')) as unknown;
      } catch (error) {
        throw invalidDump(`${label} line ${lineNumber}: ${(error as Error).message}`, error);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidDump(`${label}: a document is not a JSON object`);
      batch.push(value as Record<string, unknown>);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}
