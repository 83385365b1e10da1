// GzipMembers: members compressed side by side are written in order, and the file is one gzip file for every
// reader (Node's gunzip, the system's gzip); a broken file stream stops a waiting write.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GzipMembers } from '../../src/storage/gzip-members.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gw-members-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** JSON lines, some of them long random (incompressible) ones so that members take unequal times. */
function lines(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(`${JSON.stringify({ id: String(i), title: `document ${i}`, blob: i % 7 === 0 ? randomBytes(20_000).toString('base64') : '' })}\n`),
  );
}

/** Members counted by their header bytes (1f 8b 08); compressed data may hold the same bytes, so it can only overcount. */
function memberCount(file: Buffer): number {
  let count = 0;
  for (let at = 0; at < file.length; count++) {
    const next = file.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), at + 1);
    at = next === -1 ? file.length : next;
  }
  return count;
}

describe('GzipMembers', () => {
  it('writes members in order; Node and the system gzip read the file whole', async () => {
    const input = lines(2_000);
    const file = path.join(dir, 'docs.jsonl.gz');
    let reported = 0;
    const members = new GzipMembers(createWriteStream(file), { level: 1, memberBytes: 64 * 1024, onCompressed: (bytes) => (reported += bytes) });
    for (const line of input) await members.write(line);
    await members.end();

    const stored = await readFile(file);
    expect(reported).toBe(stored.length);
    expect(memberCount(stored)).toBeGreaterThan(10);
    expect(gunzipSync(stored).equals(Buffer.concat(input))).toBe(true);
    // The system's gzip reads concatenated members as one file, as any other reader of the archive would.
    expect(execFileSync('gzip', ['-dc', file], { maxBuffer: 1 << 30 }).equals(Buffer.concat(input))).toBe(true);
  });

  it('cuts one big write into several members', async () => {
    const input = Buffer.concat(lines(500));
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (chunk: Buffer) => parts.push(chunk));
    const members = new GzipMembers(out, { level: 6, memberBytes: 32 * 1024, onCompressed: () => undefined });
    await members.write(input);
    await members.end();
    const stored = Buffer.concat(parts);
    expect(memberCount(stored)).toBeGreaterThanOrEqual(Math.floor(input.length / (32 * 1024)));
    expect(gunzipSync(stored).equals(input)).toBe(true);
  });

  it('an empty input writes nothing (the sink opens a chunk only for bytes)', async () => {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (chunk: Buffer) => parts.push(chunk));
    const members = new GzipMembers(out, { level: 1, onCompressed: () => undefined });
    await members.end();
    expect(Buffer.concat(parts).length).toBe(0);
  });

  it('a write waiting on a file stream that breaks fails instead of hanging', async () => {
    // A sink that never drains, then fails.
    const out = new Writable({ highWaterMark: 1, write: () => undefined });
    const members = new GzipMembers(out, { level: 1, memberBytes: 1024, inFlight: 1, onCompressed: () => undefined });
    const writing = (async () => {
      for (const line of lines(200)) await members.write(line);
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    out.destroy(new Error('disk went away'));
    await expect(writing).rejects.toThrow(/disk went away/);
    await expect(members.write(Buffer.from('{}\n'))).rejects.toThrow(/disk went away/);
  });
});
