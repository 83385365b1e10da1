// The export's bytes cut into whole-line blocks without a parse: lines split anywhere across chunks (even inside
// a multi-byte character), the last line without its newline, and the error lines an engine writes instead of a document.
import { describe, expect, it } from 'vitest';
import { JsonlBlocks, type LineBlock } from './jsonl-blocks.ts';

function cut(text: string, size: number, blockBytes: number): LineBlock[] {
  const bytes = Buffer.from(text);
  const blocks = new JsonlBlocks(blockBytes);
  const out: LineBlock[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const block = blocks.push(bytes.subarray(i, i + size));
    if (block) out.push(block);
  }
  const last = blocks.end();
  if (last) out.push(last);
  return out;
}

describe('JsonlBlocks', () => {
  const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: String(i), title: `☕ book ${i}` }));
  const exported = lines.join('\n'); // Typesense: no trailing newline

  it.each([1, 3, 7, 64, 10_000])('gives back every line once, whole, from chunks of %i bytes', (size) => {
    const blocks = cut(exported, size, 200);
    expect(blocks.reduce((sum, block) => sum + block.lines, 0)).toBe(50);
    for (const block of blocks) expect(block.data.at(-1)).toBe(0x0a);
    expect(Buffer.concat(blocks.map((block) => block.data)).toString()).toBe(exported + '\n');
  });

  it('counts no line for an empty export', () => {
    expect(cut('', 10, 200)).toEqual([]);
  });

  it.each([1, 5, 64])('hands a line that is not a document to onEmbeddedError and leaves it out (chunks of %i bytes)', (size) => {
    const errors: string[] = [];
    const text = ['{"id":"1"}', 'Error while getting seq_id of `7`: Not found.', '{"id":"2","message":"kept"}', '{"message": "Not found."}'].join('\n');
    const bytes = Buffer.from(text);
    const blocks = new JsonlBlocks(200, (line) => errors.push(line));
    const out: LineBlock[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      const block = blocks.push(bytes.subarray(i, i + size));
      if (block) out.push(block);
    }
    const last = blocks.end();
    if (last) out.push(last);
    expect(errors).toEqual(['Error while getting seq_id of `7`: Not found.', '{"message": "Not found."}']);
    expect(out.reduce((sum, block) => sum + block.lines, 0)).toBe(2);
    expect(Buffer.concat(out.map((block) => block.data)).toString()).toBe('{"id":"1"}\n{"id":"2","message":"kept"}\n');
  });
});
