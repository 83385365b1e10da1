// The filter-parser grammar (crates/filter-parser): OR/AND/NOT, parentheses, = != > >= < <=,
// IN/NOT IN, `a x TO y`, EXISTS, IS [NOT] NULL/EMPTY, [NOT] STARTS WITH. Keywords are upper-case
// only, values are words of letters, digits, `_-.` or quoted strings. Error texts are the parser's.

export type Cond =
  | { kind: 'or' | 'and'; items: Cond[] }
  | { kind: 'not'; inner: Cond }
  | { kind: 'cmp'; attr: string; op: '=' | '!=' | '>' | '>=' | '<' | '<='; value: string }
  | { kind: 'in'; attr: string; values: string[] }
  | { kind: 'range'; attr: string; from: string; to: string }
  | { kind: 'exists' | 'null' | 'empty'; attr: string }
  | { kind: 'startsWith'; attr: string; value: string };

interface Token {
  text: string;
  start: number;
  quoted: boolean;
}

const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'TO',
  'EXISTS',
  'IS',
  'NULL',
  'EMPTY',
  'CONTAINS',
  'STARTS',
  'WITH',
  '_geo',
  '_geoDistance',
  '_geoPoint',
  '_geoRadius',
  '_geoBoundingBox',
]);
const isValueChar = (c: string): boolean => /[\p{L}\p{N}_.-]/u.test(c);

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly fragment: string,
  ) {
    super(message);
  }
}

const INVALID_PRIMARY =
  'Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, `NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `CONTAINS`, `NOT CONTAINS`, `STARTS WITH`, `NOT STARTS WITH`, `_geoRadius`, or `_geoBoundingBox`';

export class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  private word(w: string): boolean {
    this.ws();
    if (!this.src.startsWith(w, this.pos)) return false;
    const after = this.src[this.pos + w.length];
    if (after !== undefined && isValueChar(after)) return false;
    this.pos += w.length;
    return true;
  }

  private rest(from = this.pos): string {
    return this.src.slice(from);
  }

  value(): Token {
    this.ws();
    const start = this.pos;
    const q = this.src[start];
    if (q === '"' || q === "'") {
      let text = '';
      for (let i = start + 1; i < this.src.length; i++) {
        const c = this.src[i]!;
        if (c === '\\' && i + 1 < this.src.length) text += this.src[++i];
        else if (c === q) {
          this.pos = i + 1;
          return { text, start, quoted: true };
        } else text += c;
      }
      throw new FilterSyntaxError(`Expression \`${this.rest(start)}\` is missing the following closing delimiter: \`${q}\`.`, start, this.rest(start));
    }
    let end = start;
    while (end < this.src.length && isValueChar(this.src[end]!)) end++;
    const text = this.src.slice(start, end);
    if (text === '' || KEYWORDS.has(text)) {
      const m = /^[^\s()=<>!]*/.exec(this.rest(start))![0];
      const message =
        m.trim() === ''
          ? 'Was expecting a value but instead got nothing.'
          : KEYWORDS.has(text)
            ? `Was expecting a value but instead got \`${m}\`, which is a reserved keyword. To use \`${m}\` as a field name or a value, surround it by quotes.`
            : `Was expecting a value but instead got \`${m}\`.`;
      throw new FilterSyntaxError(message, start, m);
    }
    this.pos = end;
    return { text, start, quoted: false };
  }

  expression(): Cond {
    const items = [this.and()];
    while (this.word('OR')) items.push(this.and());
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private and(): Cond {
    const items = [this.not()];
    while (this.word('AND')) items.push(this.not());
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private not(): Cond {
    const save = this.pos;
    if (this.word('NOT')) {
      this.ws();
      // `NOT` here negates a whole expression; `a NOT IN [..]` is handled by the condition parser
      return { kind: 'not', inner: this.not() };
    }
    this.pos = save;
    return this.primary();
  }

  private primary(): Cond {
    this.ws();
    if (this.src[this.pos] === '(') {
      const open = this.pos;
      this.pos++;
      const inner = this.expression();
      this.ws();
      if (this.src[this.pos] !== ')') throw new FilterSyntaxError(`Expression \`${this.rest(open)}\` is missing the following closing delimiter: \`)\`.`, open, this.rest(open));
      this.pos++;
      return inner;
    }
    const start = this.pos;
    try {
      return this.condition();
    } catch (error) {
      if (error instanceof FilterSyntaxError && error.message.startsWith('Was expecting a value') && error.start === start) {
        const fragment = /^[^\s()=<>!]*/.exec(this.rest(start))![0];
        throw new FilterSyntaxError(
          `${INVALID_PRIMARY} ${fragment.trim() === '' ? 'but instead got nothing.' : `at \`${this.rest(start).trimEnd()}\`.`}`,
          start,
          this.rest(start).trimEnd(),
        );
      }
      throw error;
    }
  }

  private condition(): Cond {
    const attrToken = this.value();
    const attr = attrToken.text;
    this.ws();
    const op = /^(<=|>=|!=|<|>|=)/.exec(this.rest())?.[1] as '=' | '!=' | '>' | '>=' | '<' | '<=' | undefined;
    if (op) {
      this.pos += op.length;
      return { kind: 'cmp', attr, op, value: this.value().text };
    }
    if (this.word('IN')) return { kind: 'in', attr, values: this.list() };
    if (this.word('EXISTS')) return { kind: 'exists', attr };
    if (this.word('IS')) {
      const negate = this.word('NOT');
      const kind = this.word('NULL') ? 'null' : this.word('EMPTY') ? 'empty' : undefined;
      if (!kind) throw this.invalidPrimary(attrToken.start);
      const cond: Cond = { kind, attr };
      return negate ? { kind: 'not', inner: cond } : cond;
    }
    if (this.word('STARTS') && this.word('WITH')) return { kind: 'startsWith', attr, value: this.value().text };
    const save = this.pos;
    if (this.word('NOT')) {
      if (this.word('IN')) return { kind: 'not', inner: { kind: 'in', attr, values: this.list() } };
      if (this.word('EXISTS')) return { kind: 'not', inner: { kind: 'exists', attr } };
      if (this.word('STARTS') && this.word('WITH')) return { kind: 'not', inner: { kind: 'startsWith', attr, value: this.value().text } };
      this.pos = save;
    }
    // `attr from TO to`
    const rangeStart = this.pos;
    this.ws();
    if (this.pos < this.src.length && this.src[this.pos] !== ')') {
      try {
        const from = this.value();
        if (this.word('TO')) return { kind: 'range', attr, from: from.text, to: this.value().text };
      } catch {
        // fall through to the generic error
      }
      this.pos = rangeStart;
    }
    throw this.invalidPrimary(attrToken.start);
  }

  private invalidPrimary(start: number): FilterSyntaxError {
    const rest = this.rest(start).trimEnd();
    return new FilterSyntaxError(`${INVALID_PRIMARY} at \`${rest}\`.`, start, rest);
  }

  private list(): string[] {
    this.ws();
    if (this.src[this.pos] !== '[') throw new FilterSyntaxError('Expected `[` after `IN` keyword.', this.pos, this.rest());
    this.pos++;
    const values: string[] = [];
    this.ws();
    while (this.src[this.pos] !== ']') {
      values.push(this.value().text);
      this.ws();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== ']') throw new FilterSyntaxError('Expected matching `]` after the list of field names given to `IN[`', this.pos, this.rest());
      this.ws();
    }
    this.pos++;
    return values;
  }

  parse(): Cond {
    const cond = this.expression();
    this.ws();
    if (this.pos < this.src.length) {
      throw new FilterSyntaxError(
        `Found unexpected characters at the end of the filter: \`${this.rest()}\`. You probably forgot an \`OR\` or an \`AND\` rule.`,
        this.pos,
        this.rest(),
      );
    }
    return cond;
  }
}
