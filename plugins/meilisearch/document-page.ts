// A page of `GET /indexes/{uid}/documents` turned into JSON lines without parsing a document: the bytes of each
// element of `results` are copied as they came, one per line. Decoding the page to a string, JSON.parse, one
// JSON.stringify per document and encoding the lines back were most of a logical backup's CPU.
//
// The scan knows JSON's structure (strings and their escapes, nesting), not its values: Meilisearch writes its
// answers with serde_json, and a page cut short or mangled on the way breaks the structure and is refused. In
// UTF-8 no byte of a multi-byte character is below 0x80, so the ASCII bytes looked for are never inside one.
import { GatewayError } from '../../src/errors.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const RESULTS = Buffer.from('results');

export interface DocumentLines {
  /** Each document on its own line, every line ending in "\n"; empty when the page is. */
  lines: Buffer;
  count: number;
}

/** `{"results":[{…},{…}],"offset":…,"limit":…,"total":…}` (keys in any order) → the documents as JSON lines. */
export function documentLines(page: Buffer): DocumentLines {
  let at = skipSpace(page, 0);
  expect(page, at, OPEN_OBJECT, 'the page to be a JSON object');
  at = skipSpace(page, at + 1);
  let found: DocumentLines | undefined;
  if (page[at] === CLOSE_OBJECT) return refuse('the page has no "results"');
  for (;;) {
    expect(page, at, QUOTE, 'a key');
    const keyEnd = stringEnd(page, at);
    const isResults = keyEnd - at - 1 === RESULTS.length && page.compare(RESULTS, 0, RESULTS.length, at + 1, keyEnd) === 0;
    at = skipSpace(page, keyEnd + 1);
    expect(page, at, COLON, '":" after a key');
    at = skipSpace(page, at + 1);
    if (isResults) {
      const read = splitArray(page, at);
      found = read.documents;
      at = read.end;
    } else at = valueEnd(page, at);
    at = skipSpace(page, at);
    if (page[at] === COMMA) {
      at = skipSpace(page, at + 1);
      continue;
    }
    expect(page, at, CLOSE_OBJECT, '"," or "}" after a value');
    if (skipSpace(page, at + 1) !== page.length) return refuse('bytes after the end of the page');
    return found ?? refuse('the page has no "results"');
  }
}

/** The array at `start`: every element a document (object), copied into lines. */
function splitArray(page: Buffer, start: number): { documents: DocumentLines; end: number } {
  expect(page, start, OPEN_ARRAY, '"results" to be an array');
  const spans: number[] = [];
  let size = 0;
  let at = skipSpace(page, start + 1);
  if (page[at] === CLOSE_ARRAY) return { documents: { lines: Buffer.alloc(0), count: 0 }, end: at + 1 };
  for (;;) {
    expect(page, at, OPEN_OBJECT, 'each result to be a document (a JSON object)');
    const end = valueEnd(page, at);
    spans.push(at, end);
    size += end - at + 1;
    at = skipSpace(page, end);
    if (page[at] === COMMA) {
      at = skipSpace(page, at + 1);
      continue;
    }
    expect(page, at, CLOSE_ARRAY, '"," or "]" between results');
    break;
  }
  const lines = Buffer.allocUnsafe(size);
  let written = 0;
  for (let index = 0; index < spans.length; index += 2) {
    const from = spans[index]!;
    const to = spans[index + 1]!;
    // Whitespace between tokens may hold a newline (a pretty-printed answer): such a document is re-written.
    if (page.subarray(from, to).includes(NEWLINE)) return { documents: slowLines(page, spans), end: at + 1 };
    written += page.copy(lines, written, from, to);
    lines[written++] = NEWLINE;
  }
  return { documents: { lines, count: spans.length / 2 }, end: at + 1 };
}

/** Every document parsed and serialised again (a page with newlines between tokens). */
function slowLines(page: Buffer, spans: number[]): DocumentLines {
  const lines: string[] = [];
  for (let index = 0; index < spans.length; index += 2) {
    try {
      lines.push(JSON.stringify(JSON.parse(page.toString('utf8', spans[index], spans[index + 1]))));
    } catch (error) {
      refuse(`result ${index / 2} is not JSON (${(error as Error).message})`);
    }
  }
  return { lines: Buffer.from(`${lines.join('\n')}\n`), count: lines.length };
}

/** Where the JSON value starting at `start` ends (exclusive). */
function valueEnd(page: Buffer, start: number): number {
  const first = page[start];
  if (first === QUOTE) return stringEnd(page, start) + 1;
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    // A number, true, false or null: up to the next delimiter.
    let at = start;
    while (at < page.length && !isDelimiter(page[at]!)) at++;
    if (at === start) return refuse(`a value at byte ${start}`);
    return at;
  }
  let depth = 0;
  let at = start;
  while (at < page.length) {
    const byte = page[at]!;
    if (byte === QUOTE) at = stringEnd(page, at);
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
    else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  return refuse('the page ends inside a value (cut short?)');
}

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(page: Buffer, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = page.indexOf(QUOTE, at);
    if (quote < 0) return refuse('the page ends inside a string (cut short?)');
    // Escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    while (page[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

function isDelimiter(byte: number): boolean {
  return byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || byte === 0x20 || byte === NEWLINE || byte === 0x0d || byte === 0x09;
}

function skipSpace(page: Buffer, start: number): number {
  let at = start;
  while (at < page.length) {
    const byte = page[at];
    if (byte !== 0x20 && byte !== NEWLINE && byte !== 0x0d && byte !== 0x09) break;
    at++;
  }
  return at;
}

function expect(page: Buffer, at: number, byte: number, what: string): void {
  if (page[at] !== byte) refuse(`expected ${what} at byte ${at}`);
}

function refuse(reason: string): never {
  throw new GatewayError('engine_error', `Meilisearch answered a documents page that is not the JSON expected: ${reason}`);
}
