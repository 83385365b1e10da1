// A migrated PGlite data-dir dump, cached on disk, so a new embedded database starts in ~0.5 s instead of
// running initdb (~3 s). Keyed by PGlite's version and the migrations' checksums; built on first use (the first
// start on a new data directory, the tests) and kept under the package's node_modules/.cache when writable.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { packagePath } from '../package-files.ts';
import { readMigrations, runMigrations } from './migrate.ts';
import { embeddedOptions } from './pglite-settings.ts';
import { pgliteExecutor } from './sql-executor.ts';

const CACHE_DIR = packagePath('node_modules', '.cache', 'backup-gateway');

async function templateFile(): Promise<{ file: string; key: string }> {
  const migrations = await readMigrations();
  const pgliteVersion = JSON.parse(await readFile(new URL('../package.json', import.meta.resolve('@electric-sql/pglite')), 'utf8')).version as string;
  const key = createHash('sha256')
    .update(JSON.stringify([pgliteVersion, migrations.map((migration) => [migration.name, migration.checksum])]))
    .digest('hex')
    .slice(0, 16);
  return { file: path.join(CACHE_DIR, `pglite-template-${key}.tar`), key };
}

let building: Promise<Blob> | undefined;

/** The template, built and cached when missing. */
export function buildPGliteTemplate(): Promise<Blob> {
  building ??= (async () => {
    const { file, key } = await templateFile();
    if (existsSync(file)) return new Blob([await readFile(file)]);
    const db = await PGlite.create(embeddedOptions());
    try {
      await runMigrations(pgliteExecutor(db));
      const dump = await db.dumpDataDir('none');
      await keep(dump, file, key).catch(() => undefined); // best effort: a read-only install still starts
      return dump;
    } finally {
      await db.close();
    }
  })();
  return building;
}

/** Caches the template on disk for the next new data directory. */
async function keep(dump: Blob, file: string, key: string): Promise<void> {
  await mkdir(CACHE_DIR, { recursive: true });
  // Templates of older migration histories; not this key's files, which another process may be writing.
  for (const old of readdirSync(CACHE_DIR).filter((name) => name.startsWith('pglite-template-') && !name.startsWith(`pglite-template-${key}`))) {
    await rm(path.join(CACHE_DIR, old), { force: true });
  }
  // Written aside then renamed: another process may be reading or writing the same key.
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, new Uint8Array(await dump.arrayBuffer()));
  await rename(partial, file);
}
