import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { MIGRATIONS_DIR, migrationChecksum, readMigrations, runMigrations } from '../../src/db/migrate.ts';
import { pgClientExecutor, type SqlExecutor } from '../../src/db/sql-executor.ts';
import { createRawTestDatabase, DB_KINDS } from '../helpers/db.ts';

interface MigrationRow extends Record<string, unknown> {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'gw-migrate-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A migrations folder with these `<name>: sql` entries. */
async function migrationsDir(migrations: Record<string, string>): Promise<string> {
  const dir = path.join(scratch, randomBytes(4).toString('hex'));
  for (const [name, sql] of Object.entries(migrations)) {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  await writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  return dir;
}

function recordingLogger() {
  const lines: { level: 'info' | 'warn'; message: string; fields?: Record<string, unknown> | undefined }[] = [];
  return {
    lines,
    info: (message: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', message, fields }),
    warn: (message: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', message, fields }),
  };
}

async function tableExists(db: SqlExecutor, schema: string, table: string): Promise<boolean> {
  const rows = await db.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [`"${schema}"."${table}"`]);
  return rows[0]?.found != null;
}

for (const kind of DB_KINDS) {
  describe(`migration runner on ${kind}`, () => {
    let raw: Awaited<ReturnType<typeof createRawTestDatabase>>;
    let db: SqlExecutor;
    let schema: string;

    beforeAll(async () => {
      raw = await createRawTestDatabase(kind);
      db = raw.executor;
    });
    afterAll(async () => {
      await raw?.close();
    });
    // Each test works in an empty schema of its own: the runner's SQL is unqualified, like Prisma's.
    afterEach(async () => {
      await db.execScript(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; SET search_path TO public`);
    });
    async function freshSchema(): Promise<void> {
      schema = `mt_${randomBytes(4).toString('hex')}`;
      await db.execScript(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
    }
    const rows = () => db.query<MigrationRow>('SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');

    it('applies the committed migrations once and records them as stock Prisma does', async () => {
      await freshSchema();
      const migrations = await readMigrations();
      expect(migrations.length).toBeGreaterThan(0);

      expect(await runMigrations(db)).toEqual(migrations.map((migration) => migration.name));
      for (const table of ['Engine', 'Job', 'JobEvent', 'Backup', 'BackupCollection', 'Artifact', 'ApiKey', 'AuditEntry']) {
        expect(await tableExists(db, schema, table), table).toBe(true);
      }
      const recorded = await rows();
      expect(recorded).toHaveLength(migrations.length);
      for (const [index, migration] of migrations.entries()) {
        const row = recorded[index]!;
        expect(row.migration_name).toBe(migration.name);
        const file = await readFile(path.join(MIGRATIONS_DIR, migration.name, 'migration.sql'), 'utf8');
        expect(row.checksum).toBe(migrationChecksum(file));
        expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.rolled_back_at).toBeNull();
        expect(row.logs).toBeNull();
        expect(row.applied_steps_count).toBe(1);
      }

      // Idempotent: nothing to do, nothing recorded twice.
      expect(await runMigrations(db)).toEqual([]);
      expect(await rows()).toHaveLength(migrations.length);
    });

    it('applies only the new migrations, runs a $$ body as one script, and warns about an edited one', async () => {
      await freshSchema();
      const first = { '20240101000000_a': 'CREATE TABLE "a" (id int PRIMARY KEY);' };
      const dir = await migrationsDir(first);
      expect(await runMigrations(db, { migrationsDir: dir })).toEqual(['20240101000000_a']);

      const second = {
        ...first,
        '20240102000000_b': `CREATE TABLE "b" (id int PRIMARY KEY, note text);
CREATE FUNCTION "b_note"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.note := 'set by trigger; with a semicolon';
  RETURN NEW;
END;
$$;
CREATE TRIGGER "b_note" BEFORE INSERT ON "b" FOR EACH ROW EXECUTE FUNCTION "b_note"();`,
      };
      const dir2 = await migrationsDir(second);
      expect(await runMigrations(db, { migrationsDir: dir2 })).toEqual(['20240102000000_b']);
      await db.query('INSERT INTO "b" (id) VALUES (1)');
      expect(await db.query('SELECT note FROM "b"')).toEqual([{ note: 'set by trigger; with a semicolon' }]);

      await writeFile(path.join(dir2, '20240101000000_a', 'migration.sql'), 'CREATE TABLE "a" (id bigint PRIMARY KEY);');
      const logger = recordingLogger();
      expect(await runMigrations(db, { migrationsDir: dir2, logger })).toEqual([]);
      expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: { migration: '20240101000000_a' } }));
    });

    it('is atomic when a migration fails, records the failure, and refuses to run until it is resolved', async () => {
      await freshSchema();
      const dir = await migrationsDir({
        '20240101000000_ok': 'CREATE TABLE "ok" (id int);',
        '20240102000000_bad': 'CREATE TABLE "half" (id int);\nINSERT INTO "half" VALUES (1);\nSELECT * FROM "no_such_table";',
        '20240103000000_after': 'CREATE TABLE "after" (id int);',
      });
      const failure = await runMigrations(db, { migrationsDir: dir }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(GatewayError);
      expect((failure as GatewayError).code).toBe('migration_failed');
      expect((failure as GatewayError).message).toContain('20240102000000_bad');
      expect((failure as GatewayError).message).toContain('no_such_table');

      expect(await tableExists(db, schema, 'ok')).toBe(true);
      expect(await tableExists(db, schema, 'half')).toBe(false); // nothing of the failed script remains
      expect(await tableExists(db, schema, 'after')).toBe(false);
      const recorded = await rows();
      expect(recorded.map((row) => [row.migration_name, row.finished_at === null])).toEqual([
        ['20240101000000_ok', false],
        ['20240102000000_bad', true],
      ]);
      expect(recorded[1]!.logs).toContain('no_such_table');

      // A recorded failure blocks every later start, with the way out in the message.
      const refusal = await runMigrations(db, { migrationsDir: dir }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(GatewayError);
      expect((refusal as GatewayError).code).toBe('migration_failed');
      expect((refusal as GatewayError).message).toMatch(/20240102000000_bad failed earlier.*rolled_back_at/);
      expect(await rows()).toHaveLength(2);

      // Resolved as `prisma migrate resolve --rolled-back` does, and fixed: it runs again.
      await db.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '20240102000000_bad'`);
      await writeFile(path.join(dir, '20240102000000_bad', 'migration.sql'), 'CREATE TABLE "half" (id int);');
      expect(await runMigrations(db, { migrationsDir: dir })).toEqual(['20240102000000_bad', '20240103000000_after']);
      expect(await tableExists(db, schema, 'after')).toBe(true);
    });

    it('releases its advisory lock whether it succeeds or fails', async () => {
      await freshSchema();
      await runMigrations(db, { migrationsDir: await migrationsDir({ '20240101000000_bad': 'SELECT 1/0;' }) }).catch(() => undefined);
      const locks = await db.query<{ count: string | number }>(
        `SELECT count(*) AS count FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND pid = pg_backend_pid()`,
      );
      expect(Number(locks[0]?.count)).toBe(0);
    });
  });
}

if (DB_KINDS.includes('postgres')) {
  describe('migration runner on postgres, two replicas at once', () => {
    it('applies each migration once, the second replica waiting on the advisory lock', async () => {
      const database = await createRawTestDatabase('postgres');
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        const dir = await migrationsDir({
          '20240101000000_slow': 'CREATE TABLE "slow" (id int); SELECT pg_sleep(0.3);',
          '20240102000000_next': 'CREATE TABLE "next" (id int);',
        });
        const logger = recordingLogger();
        const applied = await Promise.all([
          runMigrations(database.executor, { migrationsDir: dir }),
          new Promise((resolve) => setTimeout(resolve, 50)).then(() => runMigrations(pgClientExecutor(other), { migrationsDir: dir, logger })),
        ]);
        expect(applied).toEqual([['20240101000000_slow', '20240102000000_next'], []]);
        expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'info', message: expect.stringMatching(/waiting/) }));
        expect(await database.executor.query('SELECT migration_name FROM "_prisma_migrations"')).toHaveLength(2);
      } finally {
        await other.end();
        await database.close();
      }
    });
  });
}
