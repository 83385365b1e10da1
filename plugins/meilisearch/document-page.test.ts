// Documents pages split into JSON lines without parsing a document (issue 17): every line is the document the
// engine sent, whatever it holds; anything but the documents page's structure is refused, never half-read.
import { describe, expect, it } from 'vitest';
import { documentLines } from './document-page.ts';

const page = (results: unknown[], extra = ',"offset":0,"limit":20,"total":2') => Buffer.from(`{"results":${JSON.stringify(results)}${extra}}`);
const linesOf = (buffer: Buffer) => buffer.toString('utf8').split('\n').slice(0, -1);

describe('documentLines', () => {
  it('gives each result as its own line, byte for byte, whatever the documents hold', () => {
    const documents = [
      { id: 1, title: 'a "quoted" } ] , title', path: 'C:\\dir\\', nested: { list: [1, [2, { x: '}' }]], empty: {} }, n: -1.5e3, ok: true, none: null },
      { id: 'é-ü', text: 'line\nbreak and \\" and \u2028', _vectors: { default: { embeddings: [[0.1, 0.2]], regenerate: false } } },
      { id: 3, emoji: '😀 x', backslashes: '\\\\', quote: '\\"' },
    ];
    const { lines, count } = documentLines(page(documents));
    expect(count).toBe(3);
    expect(linesOf(lines)).toEqual(documents.map((document) => JSON.stringify(document)));
    expect(lines.at(-1)).toBe(0x0a);
  });

  it('reads the results wherever they are among the keys, and an empty page', () => {
    expect(linesOf(documentLines(Buffer.from('{"offset":0,"limit":2,"results":[{"id":1},{"id":2}],"total":2}')).lines)).toEqual(['{"id":1}', '{"id":2}']);
    expect(documentLines(Buffer.from('{"results":[],"offset":0,"limit":20,"total":0}'))).toEqual({ lines: Buffer.alloc(0), count: 0 });
  });

  it('re-writes documents of a pretty-printed answer onto one line each', () => {
    const pretty = Buffer.from(JSON.stringify({ results: [{ id: 1, tags: ['a', 'b'] }, { id: 2 }], offset: 0, limit: 20, total: 2 }, null, 2));
    expect(linesOf(documentLines(pretty).lines)).toEqual(['{"id":1,"tags":["a","b"]}', '{"id":2}']);
  });

  it('refuses what is not a documents page: cut short, no results, not documents, trailing bytes', () => {
    const whole = page([{ id: 1, text: 'abc' }]);
    for (const cut of [whole.length - 1, whole.length - 20, 30, 12, 1]) {
      expect(() => documentLines(whole.subarray(0, cut)), `cut at ${cut}`).toThrow(expect.objectContaining({ code: 'engine_error' }));
    }
    for (const body of ['{"offset":0}', '[{"id":1}]', '{"results":[1,2]}', '{"results":{"id":1}}', '{"results":[{"id":1}]} x', '{}', '']) {
      expect(() => documentLines(Buffer.from(body)), body).toThrow(/documents page that is not the JSON expected/);
    }
  });
});
