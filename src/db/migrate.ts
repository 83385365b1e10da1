// Applies prisma/migrations at startup. Our own runner (the Prisma CLI needs a native engine that cannot be
// downloaded here), keeping the `_prisma_migrations` table so stock `prisma migrate status/deploy` agree.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../errors.ts';
import { packagePath } from '../package-files.ts';
import type { SqlExecutor } from './sql-executor.ts';

export const MIGRATIONS_DIR = packagePath('prisma', 'migrations');

/** The advisory lock key Prisma's engine takes, so this runner and `prisma migrate deploy` exclude each other. */
export const MIGRATION_LOCK_KEY = 72707369;

export interface MigrationLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface Migration {
  /** The folder name, `<timestamp>_<name>`. */
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, as Prisma computes it. */
  checksum: string;
}

export interface RunMigrationsOptions {
  migrationsDir?: string | undefined;
  logger?: MigrationLogger | undefined;
}

interface MigrationRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/** The migrations in `dir`, in name (= timestamp) order; every sub-folder must hold a migration.sql. */
export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new GatewayError('migration_failed', `Cannot read the migrations directory ${dir}`, { cause: error });
  }
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, 'migration.sql');
      let sql: string;
      try {
        sql = await readFile(file, 'utf8');
      } catch (error) {
        throw new GatewayError('migration_failed', `Migration ${name} has no readable ${file}`, { cause: error });
      }
      return { name, sql, checksum: migrationChecksum(sql) };
    }),
  );
}

/**
 * Applies the migrations not yet recorded, each as one atomic script, under Prisma's advisory lock.
 * Refuses to run while a failed migration is recorded. Returns the names it applied.
 */
export async function runMigrations(db: SqlExecutor, options: RunMigrationsOptions = {}): Promise<string[]> {
  const migrations = await readMigrations(options.migrationsDir);
  const logger = options.logger;
  const [attempt] = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
  if (!attempt?.locked) {
    logger?.info('Another process is applying database migrations; waiting for it to finish');
    await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  }
  try {
    return await applyPending(db, migrations, logger);
  } finally {
    try {
      await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    } catch (error) {
      logger?.warn('Could not release the migration advisory lock', { error: String(error) });
    }
  }
}

async function applyPending(db: SqlExecutor, migrations: Migration[], logger: MigrationLogger | undefined): Promise<string[]> {
  await db.execScript(CREATE_MIGRATIONS_TABLE);
  const rows = await db.query<MigrationRow>('SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at');

  const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    throw new GatewayError(
      'migration_failed',
      `Database migration ${failed.migration_name} failed earlier (${failed.logs ?? 'no log'}). ` +
        `Fix the cause, then mark it rolled back with \`UPDATE "_prisma_migrations" SET rolled_back_at = now() ` +
        `WHERE migration_name = '${failed.migration_name}' AND finished_at IS NULL\` ` +
        `(or \`prisma migrate resolve --rolled-back ${failed.migration_name}\`) and start again`,
      { details: { migration: failed.migration_name } },
    );
  }

  const applied = new Map(rows.filter((row) => row.finished_at !== null && row.rolled_back_at === null).map((row) => [row.migration_name, row]));
  const known = new Set(migrations.map((migration) => migration.name));
  for (const row of applied.values()) {
    if (!known.has(row.migration_name)) {
      logger?.warn('The database has a migration this gateway does not know (was it downgraded?)', { migration: row.migration_name });
    }
  }

  const done: string[] = [];
  for (const migration of migrations) {
    const row = applied.get(migration.name);
    if (row) {
      if (row.checksum !== migration.checksum) {
        logger?.warn('An applied migration was edited after it ran; the edit is not applied', { migration: migration.name });
      }
      continue;
    }
    await applyOne(db, migration);
    logger?.info('Applied database migration', { migration: migration.name });
    done.push(migration.name);
  }
  return done;
}

async function applyOne(db: SqlExecutor, migration: Migration): Promise<void> {
  const id = randomUUID();
  // Recorded before it runs (like Prisma): if the process dies mid-way, the row shows the failure.
  await db.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)', [id, migration.checksum, migration.name]);
  try {
    await db.execScript(migration.sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A script with its own BEGIN leaves the session in an aborted transaction; outside one this is a no-op.
    await db.execScript('ROLLBACK').catch(() => undefined);
    await db.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]);
    throw new GatewayError('migration_failed', `Database migration ${migration.name} failed: ${message}`, {
      cause: error,
      details: { migration: migration.name },
    });
  }
  await db.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
}
