// Fresh, real, migrated databases for tests: in-memory PGlite loaded from a migrated template, or a new
// PostgreSQL database dropped on close.
//
//   for (const kind of DB_KINDS) describe(kind, () => { ... await createTestDatabase(kind) ... })
//
// TEST_DB_KINDS=pglite (or postgres) limits the kinds; TEST_POSTGRES_URL overrides the PostgreSQL server
// (default postgresql://postgres@127.0.0.1:5432/postgres; the local cluster is started when it is down).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { buildPGliteTemplate } from '../../src/db/pglite-template.ts';
import { embeddedOptions } from '../../src/db/pglite-settings.ts';
import { type Database, type DatabaseKind, openDatabase, openPGliteDatabase } from '../../src/db/open.ts';
import { pgClientExecutor, pgliteExecutor, type SqlExecutor } from '../../src/db/sql-executor.ts';

export type TestDatabase = Database & { dataDir: string };

export const DB_KINDS: readonly DatabaseKind[] = parseKinds(process.env.TEST_DB_KINDS);

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';

const TEST_DB_PREFIX = 'gw_test_';

function parseKinds(value: string | undefined): DatabaseKind[] {
  if (!value) return ['pglite', 'postgres'];
  const kinds = value
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
  for (const kind of kinds) {
    if (kind !== 'pglite' && kind !== 'postgres') throw new Error(`TEST_DB_KINDS: unknown kind "${kind}" (pglite, postgres)`);
  }
  return kinds as DatabaseKind[];
}

/** A migrated database of that kind, empty, plus an empty temporary data directory; close() removes both. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-test-'));
  try {
    const database = kind === 'pglite' ? await createPGliteDatabase() : await createPostgresDatabase(dataDir);
    return {
      ...database,
      dataDir,
      close: async () => {
        await database.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function createPGliteDatabase(): Promise<Database> {
  const db = await PGlite.create({ ...embeddedOptions(), loadDataDir: await pgliteTemplate() });
  try {
    return await openPGliteDatabase(db, {});
  } catch (error) {
    await db.close();
    throw error;
  }
}

export interface RawTestDatabase {
  executor: SqlExecutor;
  /** PostgreSQL only: the database's URL, to open more connections. */
  url?: string;
  close(): Promise<void>;
}

/**
 * Raw SQL access to a fresh database for tests below Prisma (the migration runner): PGlite loaded from the
 * migrated template, or a new empty PostgreSQL database. Work in a schema of your own on either.
 */
export async function createRawTestDatabase(kind: DatabaseKind): Promise<RawTestDatabase> {
  if (kind === 'pglite') {
    const db = await PGlite.create({ ...embeddedOptions(), loadDataDir: await pgliteTemplate() });
    return { executor: pgliteExecutor(db), close: () => db.close() };
  }
  const name = await createEmptyPostgresDatabase();
  const url = postgresUrl(name);
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    await dropPostgresDatabase(name);
    throw error;
  }
  return {
    executor: pgClientExecutor(client),
    url,
    close: async () => {
      await client.end();
      await dropPostgresDatabase(name);
    },
  };
}

/** Puts a migrated PGlite database in `<dataDir>/db`, so `openDatabase({ dataDir })` only reopens it (~0.3 s). */
export async function seedPGliteDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(path.join(dataDir, 'db'), { ...embeddedOptions(), loadDataDir: await pgliteTemplate() });
  await db.close();
}

/** The migrated template as a PGlite data-dir dump, cached across processes (see src/db/pglite-template.ts). */
export function pgliteTemplate(): Promise<Blob> {
  return buildPGliteTemplate();
}

async function createEmptyPostgresDatabase(): Promise<string> {
  const name = `${TEST_DB_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(async (admin) => {
    await admin.query(`CREATE DATABASE "${name}"`);
  });
  return name;
}

function postgresUrl(databaseName: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

async function createPostgresDatabase(dataDir: string): Promise<Database> {
  const name = await createEmptyPostgresDatabase();
  let database: Database;
  try {
    database = await openDatabase({ dataDir, databaseUrl: postgresUrl(name) });
  } catch (error) {
    await dropPostgresDatabase(name);
    throw error;
  }
  return {
    ...database,
    close: async () => {
      await database.close();
      await dropPostgresDatabase(name);
    },
  };
}

function dropPostgresDatabase(name: string): Promise<void> {
  return withAdminClient(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

let serverReady: Promise<void> | undefined;

/** Runs `fn` on a connection to the PostgreSQL server's maintenance database. */
export async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  serverReady ??= ensurePostgresRunning();
  await serverReady;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensurePostgresRunning(): Promise<void> {
  if (!(await canConnect())) {
    const local = ['127.0.0.1', 'localhost'].includes(new URL(TEST_POSTGRES_URL).hostname);
    const versions = local && existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
    if (versions.length === 0) throw new Error(`PostgreSQL is not reachable at ${TEST_POSTGRES_URL} and no local cluster was found; set TEST_DB_KINDS=pglite to skip it`);
    for (const version of versions) {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
    }
    for (let attempt = 0; !(await canConnect()); attempt++) {
      if (attempt === 50) throw new Error(`PostgreSQL did not come up at ${TEST_POSTGRES_URL}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await dropAbandonedTestDatabases();
}

async function canConnect(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Test databases older than an hour were left by a killed test run. */
async function dropAbandonedTestDatabases(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${TEST_DB_PREFIX}%`]);
    const cutoff = Date.now() / 1000 - 3600;
    for (const { datname } of rows) {
      const created = Number(datname.slice(TEST_DB_PREFIX.length).split('_')[0]);
      if (Number.isFinite(created) && created < cutoff) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
