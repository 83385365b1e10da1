// Meilisearch parses bodies with serde_json and quotes its error text ("expected value at line 1
// column 6"). JSON.parse words errors differently, so when it fails we re-scan the text to find the
// first error the way serde_json reports it (one-based line, column of the offending character, or
// of the last character read for EOF).

export interface SerdeSyntaxError {
  message: string;
  line: number;
  column: number;
  /** serde_json's `Category::Eof` — an empty body is reported as a missing payload, not malformed. */
  eof: boolean;
}

class Fail extends Error {
  constructor(
    readonly what: string,
    readonly at: number,
    readonly eof: boolean,
  ) {
    super(what);
  }
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  private ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] ?? '')) this.pos++;
  }

  private eof(what: string): never {
    throw new Fail(`EOF while parsing ${what}`, this.pos, true);
  }

  private fail(what: string, at = this.pos): never {
    throw new Fail(what, at, false);
  }

  /** Parses one value; returns nothing, it only finds errors. */
  value(): void {
    this.ws();
    const c = this.text[this.pos];
    if (c === undefined) this.eof('a value');
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return;
      }
    }
    if ('tfn'.includes(c)) {
      // serde reads the literal char by char and stops at the first mismatch
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      let i = 0;
      while (this.text[this.pos + i] === word[i]) i++;
      if (this.pos + i >= this.text.length) {
        this.pos += i;
        this.eof('a value');
      }
      this.fail('expected ident', this.pos + i);
    }
    this.fail('expected value');
  }

  private object(): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      const c = this.text[this.pos];
      if (c === undefined) this.eof('an object');
      if (c === '}') this.fail('trailing comma');
      if (c !== '"') this.fail('key must be a string');
      this.string();
      this.ws();
      if (this.text[this.pos] === undefined) this.eof('an object');
      if (this.text[this.pos] !== ':') this.fail('expected `:`');
      this.pos++;
      this.value();
      this.ws();
      const next = this.text[this.pos];
      if (next === undefined) this.eof('an object');
      this.pos++;
      if (next === '}') return;
      if (next !== ',') this.fail('expected `,` or `}`', this.pos - 1);
    }
  }

  private array(): void {
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] === ']') this.fail('trailing comma');
      this.value();
      this.ws();
      const next = this.text[this.pos];
      if (next === undefined) this.eof('a list');
      this.pos++;
      if (next === ']') return;
      if (next !== ',') this.fail('expected `,` or `]`', this.pos - 1);
    }
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.eof('a string');
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        if (e === undefined) {
          this.pos++;
          this.eof('a string');
        }
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) this.fail('invalid escape', this.pos + 2);
          this.pos += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) this.fail('invalid escape', this.pos + 1);
        this.pos += 2;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) this.fail('control character (\\u0000-\\u001F) found while parsing a string');
      this.pos++;
    }
  }

  private number(): void {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos));
    if (!m || m[0] === '-') {
      if (this.pos + 1 >= this.text.length) {
        this.pos++;
        this.eof('a value');
      }
      this.fail('invalid number', this.pos + 1);
    }
    this.pos += m[0].length;
  }

  /** A whole document: one value, then only whitespace. */
  document(): void {
    this.value();
    this.ws();
    if (this.pos < this.text.length) this.fail('trailing characters');
  }
}

function locate(text: string, at: number, eof: boolean): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  const column = at - lineStart + (eof ? 0 : 1);
  return { line, column };
}

/** `line L column C` of the character before `offset`, as serde reports the end of a value. */
export function position(text: string, offset: number): string {
  const { line, column } = locate(text, offset, true);
  return `line ${line} column ${column}`;
}

/** Returns serde_json's first error for `text`, or null when the text is one valid JSON value. */
export function findSerdeError(text: string): SerdeSyntaxError | null {
  const scanner = new Scanner(text);
  try {
    scanner.document();
    return null;
  } catch (error) {
    if (!(error instanceof Fail)) throw error;
    const { line, column } = locate(text, error.at, error.eof);
    return { message: `${error.what} at line ${line} column ${column}`, line, column, eof: error.eof };
  }
}

/** Parses JSON; on failure returns serde_json's description instead of throwing. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: SerdeSyntaxError } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const error = findSerdeError(text) ?? { message: 'expected value at line 1 column 1', line: 1, column: 1, eof: false };
    return { ok: false, error };
  }
}

/** One top-level value of a serde_json value stream, with its offset in the stream. */
export interface StreamPiece {
  text: string;
  start: number;
}

/**
 * Splits a serde_json value stream (NDJSON, or any whitespace between values) into value texts
 * without validating them; callers JSON.parse each piece and call `streamError` on failure.
 */
export function splitJsonStream(text: string): StreamPiece[] {
  const pieces: StreamPiece[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && ' \t\n\r'.includes(text[i] ?? '')) i++;
    if (i >= n) break;
    const start = i;
    const first = text[i];
    if (first === '{' || first === '[') {
      let depth = 0;
      let inString = false;
      for (; i < n; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
      }
    } else if (first === '"') {
      for (i++; i < n; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '"') {
          i++;
          break;
        }
      }
    } else {
      while (i < n && !' \t\n\r{["'.includes(text[i] ?? '')) i++;
    }
    pieces.push({ text: text.slice(start, i), start });
  }
  return pieces;
}

/** serde_json's error for a piece that failed to parse, positioned in the whole stream. */
export function streamError(stream: string, piece: StreamPiece): SerdeSyntaxError {
  const inner = findSerdeError(piece.text) ?? { message: 'expected value at line 1 column 1', line: 1, column: 1, eof: false };
  const offsetInPiece = inner.line === 1 ? inner.column - (inner.eof ? 0 : 1) : piece.text.length;
  const { line, column } = locate(stream, piece.start + offsetInPiece, inner.eof);
  const what = inner.message.replace(/ at line \d+ column \d+$/, '');
  return { message: `${what} at line ${line} column ${column}`, line, column, eof: inner.eof };
}
