// Writes a dump file: a gzip'd ustar archive, built synchronously (the scheduler processes a task in one
// synchronous step) and moved into the dumps folder under its final name only when whole, as the
// engine persists its temp file.

import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A directory (`content` undefined, path without trailing slash) or a file. */
export interface DumpEntry {
  path: string;
  content?: string;
}

const BLOCK = 512;

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar header field too long: ${value}`);
  bytes.copy(block, offset);
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** ustar splits a long path into prefix (≤155 bytes) + name (≤100 bytes) at a slash. */
function splitPath(path: string): [prefix: string, name: string] {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const [prefix, name] = [path.slice(0, i), path.slice(i + 1)];
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return [prefix, name];
  }
  throw new Error(`path too long for a ustar header: ${path}`);
}

function header(path: string, size: number, directory: boolean, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const [prefix, name] = splitPath(directory ? `${path}/` : path);
  writeString(block, 0, 100, name);
  octal(block, 100, 8, directory ? 0o755 : 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  block[156] = (directory ? '5' : '0').charCodeAt(0);
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  writeString(block, 265, 32, 'meilisearch');
  writeString(block, 297, 32, 'meilisearch');
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

export function tarBytes(entries: readonly DumpEntry[], at = new Date()): Buffer {
  const mtime = Math.floor(at.getTime() / 1000);
  const parts: Buffer[] = [header('.', 0, true, mtime)];
  for (const entry of entries) {
    if (entry.content === undefined) {
      parts.push(header(entry.path, 0, true, mtime));
      continue;
    }
    const data = Buffer.from(entry.content, 'utf8');
    parts.push(header(entry.path, data.length, false, mtime), data);
    const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** `<dir>/<dumpUid>.dump`, written to a temp name first; returns the final path. */
export function writeDumpFile(dir: string, dumpUid: string, entries: readonly DumpEntry[], at: Date): string {
  return writeTarGz(dir, `${dumpUid}.dump`, entries, at);
}

/** Writes a gzipped tarball atomically (temp file + rename), replacing an older file of that name. */
export function writeTarGz(dir: string, fileName: string, entries: readonly DumpEntry[], at: Date): string {
  const path = join(dir, fileName);
  const temp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(temp, gzipSync(tarBytes(entries, at)));
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return path;
}

/** One JSON value per line, with the trailing newline the engine writes. */
export function jsonl(values: readonly unknown[]): string {
  return values.map((value) => `${JSON.stringify(value)}\n`).join('');
}
