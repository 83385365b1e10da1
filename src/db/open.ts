// Opens the gateway's database: embedded PGlite in the data directory, or PostgreSQL when DATABASE_URL is
// set. Applies pending migrations before handing out the Prisma client.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { GatewayError } from '../errors.ts';
import { makePrivateDir } from '../private-files.ts';
import { PrismaClient } from './client.ts';
import { lockDataDir } from './lock.ts';
import { buildPGliteTemplate } from './pglite-template.ts';
import { embeddedOptions } from './pglite-settings.ts';
import { type MigrationLogger, runMigrations } from './migrate.ts';
import { PGliteAdapterFactory } from './pglite-adapter.ts';
import { pgClientExecutor, pgliteExecutor } from './sql-executor.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** Disconnects Prisma, closes PGlite and releases the data directory lock. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PGlite keeps its files in `<dataDir>/db` and the process lock in `<dataDir>/gateway.lock`. */
  dataDir: string;
  /** `postgresql://…`, optionally with `?schema=<name>`; unset or empty selects embedded PGlite. */
  databaseUrl?: string | undefined;
  logger?: MigrationLogger | undefined;
  /** Defaults to the repository's prisma/migrations. */
  migrationsDir?: string | undefined;
  /** PGlite's shared_buffers (GATEWAY_EMBEDDED_SHARED_BUFFERS), e.g. `16MB`. */
  sharedBuffers?: string | undefined;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPGliteDataDir(options);
}

async function openPGliteDataDir(options: OpenDatabaseOptions): Promise<Database> {
  const dataDir = path.resolve(options.dataDir);
  await makePrivateDir(dataDir);
  const lock = await lockDataDir(dataDir);
  let db: PGlite | undefined;
  try {
    const dbDir = path.join(dataDir, 'db');
    try {
      // A new data directory starts from the migrated template (built once and cached: initdb takes ~3 s).
      const template = existsSync(dbDir) ? undefined : await buildPGliteTemplate().catch(() => undefined);
      db = await PGlite.create(dbDir, { ...embeddedOptions(options.sharedBuffers), ...(template ? { loadDataDir: template } : {}) });
    } catch (error) {
      throw new GatewayError('internal', `Cannot open the embedded database in ${dbDir}: ${(error as Error).message}`, { cause: error });
    }
    return await openPGliteDatabase(db, { ...options, onClose: () => lock.release() });
  } catch (error) {
    await db?.close();
    await lock.release();
    throw error;
  }
}

/**
 * Migrates an open PGlite instance and wraps it in a Prisma client; closing the Database closes `db`.
 * openDatabase uses it for the data directory; tests use it for cloned in-memory instances.
 */
export async function openPGliteDatabase(db: PGlite, options: Pick<OpenDatabaseOptions, 'logger' | 'migrationsDir'> & { onClose?: () => Promise<void> }): Promise<Database> {
  await runMigrations(pgliteExecutor(db), options);
  const prisma = new PrismaClient({ adapter: new PGliteAdapterFactory(db) });
  return {
    prisma,
    kind: 'pglite',
    close: once(async () => {
      try {
        await prisma.$disconnect();
      } finally {
        try {
          await db.close();
        } finally {
          await options.onClose?.();
        }
      }
    }),
  };
}

async function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): Promise<Database> {
  const { connectionString, schema } = parsePostgresUrl(databaseUrl);
  // Every connection gets the schema as search_path, so raw SQL finds the tables too.
  const config: pg.ClientConfig = schema ? { connectionString, options: `-c search_path=${quoteIdent(schema)}` } : { connectionString };

  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (error) {
    throw new GatewayError('invalid_configuration', `Cannot connect to PostgreSQL (DATABASE_URL ${redact(databaseUrl)}): ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await runMigrations(pgClientExecutor(client), options);
  } finally {
    await client.end();
  }

  const prisma = new PrismaClient({ adapter: new PrismaPg(config, schema ? { schema } : undefined) });
  return { prisma, kind: 'postgres', close: once(() => prisma.$disconnect()) };
}

/** Splits Prisma's `?schema=` parameter off the URL: `pg` does not know it. */
export function parsePostgresUrl(databaseUrl: string): { connectionString: string; schema: string | undefined } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch (error) {
    throw new GatewayError('invalid_configuration', `DATABASE_URL is not a URL: ${redact(databaseUrl)}`, { cause: error });
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new GatewayError('invalid_configuration', `DATABASE_URL must start with postgresql:// (got ${url.protocol}//)`);
  }
  const schema = url.searchParams.get('schema') || undefined;
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function redact(databaseUrl: string): string {
  return databaseUrl.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
