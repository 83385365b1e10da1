// Acceptance: a dump of an embedded-database (PGlite) gateway, imported by `backup-gateway serve
// --import-dump` into a PostgreSQL-backed one, gives equal catalog, engines, schedules — every table, row
// by row, secrets re-encrypted for the target key; each import flag behaves as described; one dump at a time.
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync, gzipSync, createGunzip } from 'node:zlib';
import { Meilisearch } from 'meilisearch';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.ts';
import { createGatewayDump, DUMP_LOCK_KEY } from '../../src/gateway-dump/create.ts';
import { importGatewayDump } from '../../src/gateway-dump/import.ts';
import { gatewaySecretBox, looksSealed } from '../../src/gateway-dump/secrets.ts';
import { gatewayDumps } from '../../src/gateway-dump/service.ts';
import { SecretBox } from '../../src/secret-box.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { spawnGateway } from '../helpers/child-gateway.ts';
import { createRawTestDatabase, createTestDatabase, type RawTestDatabase } from '../helpers/db.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { meilisearchVersionFromEnv } from '../emulators/meilisearch/versions.ts';
import { runBin, snapshotDatabase, type TableSnapshot } from './helpers.ts';

const MASTER_KEY = 'dump-master-key-0123456789';
const MEILI_KEY = 'dump-meili-key-0123456789';
const TARGET_KEY = 'target-secret-key-0123456789';
const WEBHOOK_SECRET = 'webhook-signing-secret-0123456789';

const DUMP_FIELDS = 'fileName path bytes sha256 secrets secretValues tables { name rows }';
/** Catalog, engines, jobs, keys — and schedules, once the API has them (the table is compared either way). */
const catalogQueries = (withSchedules: boolean) => [
  '{ engines { id name plugin config createdAt health { ok version } } }',
  `{ backups(first: 20) { totalCount nodes { id name status strategy type origin sizeBytes documentCount labels createdAt completedAt
      engine { id } collections { name documentCount bytes } artifacts { path bytes sha256 } } } }`,
  '{ jobs(first: 20) { totalCount nodes { id kind status createdAt finishedAt error { code } progress { phase completed total } } } }',
  '{ apiKeys { id name scope prefix revokedAt } }',
  ...(withSchedules ? ['{ schedules { id name cron timezone paused collections strategy engine { id } } }'] : []),
];

async function readCatalog(gql: (query: string) => Promise<Record<string, any>>, withSchedules: boolean): Promise<Record<string, any>> {
  const data: Record<string, any> = {};
  for (const query of catalogQueries(withSchedules)) {
    const res = await gql(query);
    expect(res.errors, query).toBeUndefined();
    Object.assign(data, res.data);
  }
  return data;
}

describe('gateway dumps', () => {
  let emulator: MeilisearchEmulator;
  let source: TestGateway;
  let sourceBox: SecretBox;
  let dumpsDir: string;
  let encryptedDump: string;
  let target: RawTestDatabase;
  let targetDataDir: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    const meili = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    await meili
      .index('movies')
      .addDocuments(
        Array.from({ length: 500 }, (_, i) => ({ id: i, title: `m${i}` })),
        { primaryKey: 'id' },
      )
      .waitTask();
    dumpsDir = await mkdtemp(path.join(os.tmpdir(), 'gw-dumps-'));
    targetDataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-dump-target-'));
    source = await startTestGateway({ masterKey: MASTER_KEY, env: { GATEWAY_DUMPS_DIR: dumpsDir } });
    sourceBox = await gatewaySecretBox(source.gateway.config);

    // State worth moving: an engine with a secret, a backup, a failed job, a paused schedule, keys, a webhook.
    const engine = await source.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY } },
    });
    const engineId = engine.data!.registerEngine.id as string;
    for (const input of [
      { engineId, name: 'nightly', labels: { env: 'test' } },
      { engineId, collections: ['nope'] },
    ]) {
      const started = await source.gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }`, { i: input });
      await waitForJob(source, started.data!.startBackup.id);
    }
    await source.gateway.prisma.schedule.create({
      data: { engineId, cron: '0 3 * * *', name: 'daily', paused: true, collections: ['movies'], createdBy: 'master' },
    });
    const key = await source.gql(`mutation { createApiKey(input: {name: "ci", scope: VIEWER}) { key } }`);
    expect(key.errors).toBeUndefined();
    await source.gateway.webhooks.create({ url: 'http://127.0.0.1:9/hook', events: ['JOB_FAILED'], secret: WEBHOOK_SECRET }, 'test');
  });

  afterAll(async () => {
    await source?.close();
    await target?.close();
    await emulator?.close();
    for (const dir of [dumpsDir, targetDataDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('createGatewayDump is for ADMIN keys only, and ENCRYPT needs the target key', async () => {
    for (const scope of ['VIEWER', 'OPERATOR']) {
      const created = await source.gql(`mutation($s: ApiKeyScope!) { createApiKey(input: {name: "k", scope: $s}) { key } }`, { s: scope });
      const denied = await source.gql(`mutation { createGatewayDump { fileName } }`, {}, created.data!.createApiKey.key);
      expect(denied.errors?.[0]?.extensions?.code).toBe('insufficient_scope');
    }
    const noKey = await source.gql(`mutation { createGatewayDump(input: {secrets: ENCRYPT}) { fileName } }`);
    expect(noKey.errors?.[0]?.extensions?.code).toBe('invalid_input');
  });

  it('writes one dump at a time: a second one meanwhile is refused with dump_already_in_progress', async () => {
    const service = gatewayDumps(source.gateway);
    const first = service.create({ secrets: 'omit' }, 'test');
    await expect(service.create({ secrets: 'omit' }, 'test')).rejects.toMatchObject({ code: 'dump_already_in_progress' });
    const written = await first;
    expect(written.path.startsWith(dumpsDir)).toBe(true);
    await rm(written.path);
  });

  it('OMIT: no secret leaves the gateway', async () => {
    const res = await source.gql(`mutation { createGatewayDump(input: {secrets: OMIT}) { ${DUMP_FIELDS} } }`);
    expect(res.errors).toBeUndefined();
    const dump = res.data!.createGatewayDump;
    expect(dump).toMatchObject({ secrets: 'OMIT', secretValues: 2 });
    const text = gunzipSync(await readFile(dump.path)).toString('utf8');
    expect(text).not.toContain(MEILI_KEY);
    expect(text).not.toContain(WEBHOOK_SECRET);
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { table?: string; row?: Record<string, unknown>; omitted?: string[] });
    expect(lines.some((l) => l.row && Object.values(l.row).some(looksSealed))).toBe(false);
    expect(lines.find((l) => l.table === 'Engine')).toMatchObject({ row: { name: 'meili', secrets: null }, omitted: ['secrets'] });
    expect(lines.find((l) => l.table === 'Webhook')).toMatchObject({ row: { secret: null }, omitted: ['secret'] });

    // Imported: the engine has no secret; the webhook's required one is replaced by a new value to rotate.
    const db = await createTestDatabase('pglite');
    try {
      const box = SecretBox.fromPassphrase(TARGET_KEY);
      const result = await importGatewayDump({ prisma: db.prisma, secretBox: box }, { file: dump.path });
      expect(result.omittedSecrets).toEqual(
        expect.arrayContaining([
          { column: 'Engine.secrets', rows: 1, replaced: false },
          { column: 'Webhook.secret', rows: 1, replaced: true },
        ]),
      );
      expect((await db.prisma.engine.findFirstOrThrow()).secrets).toBeNull();
      const webhook = await db.prisma.webhook.findFirstOrThrow();
      expect(box.open(webhook.secret)).not.toBe(WEBHOOK_SECRET);
    } finally {
      await db.close();
      await rm(dump.path);
    }
  });

  it('imported into a PostgreSQL-backed gateway (serve --import-dump): catalog, engines and schedules are equal', async () => {
    const res = await source.gql(`mutation($k: String!) { createGatewayDump(input: {secrets: ENCRYPT, targetSecretKey: $k}) { ${DUMP_FIELDS} } }`, { k: TARGET_KEY });
    expect(res.errors).toBeUndefined();
    encryptedDump = res.data!.createGatewayDump.path;
    expect(res.data!.createGatewayDump.secretValues).toBe(2);
    const introspection = await source.gql(`{ __type(name: "Query") { fields { name } } }`);
    const withSchedules = introspection.data!.__type.fields.some((f: { name: string }) => f.name === 'schedules');
    const before = await readCatalog((q) => source.gql(q), withSchedules);
    expect(before.backups.totalCount).toBe(2);

    target = await createRawTestDatabase('postgres');
    const child = await spawnGateway({ DATABASE_URL: target.url!, GATEWAY_SECRET_KEY: TARGET_KEY, GATEWAY_MASTER_KEY: MASTER_KEY, GATEWAY_DATA_DIR: targetDataDir }, [
      process.execPath,
      'bin/backup-gateway.js',
      'serve',
      '--import-dump',
      encryptedDump,
    ]);
    let after: Record<string, any>;
    try {
      expect(child.output()).toContain('"msg":"gateway dump imported"');
      after = await readCatalog((q) => child.gql(q), withSchedules);
    } finally {
      await child.kill('SIGTERM');
    }
    // Through the API: the engine's secret works on the new side (the emulator needs its key to answer).
    expect(after).toEqual(before);
    expect(after.engines[0].health).toEqual({ ok: true, version: meilisearchVersionFromEnv() });

    // Row by row, every table, sealed values compared opened (each side with its own key).
    const db = await openDatabase({ dataDir: targetDataDir, databaseUrl: target.url! });
    let copied: TableSnapshot;
    try {
      copied = await snapshotDatabase(db.prisma, SecretBox.fromPassphrase(TARGET_KEY));
    } finally {
      await db.close();
    }
    const original = await snapshotDatabase(source.gateway.prisma, sourceBox);
    expect(Object.keys(copied).sort()).toEqual(Object.keys(original).sort());
    for (const table of Object.keys(original)) {
      if (table === 'AuditEntry') continue;
      expect(copied[table], table).toEqual(original[table]);
    }
    expect(copied.Schedule).toHaveLength(1);
    expect(copied.Webhook).toHaveLength(1);
    // The audit log: the source's entries up to the dump, then the import itself.
    const audit = copied.AuditEntry!;
    expect(original.AuditEntry!.at(-1)).toMatchObject({ action: 'gatewayDump.create', targetId: path.basename(encryptedDump) });
    expect(audit.slice(0, -1)).toEqual(original.AuditEntry!.slice(0, -1));
    expect(audit.at(-1)).toMatchObject({ actor: 'import', action: 'gatewayDump.import' });
    expect(JSON.stringify(copied)).not.toContain('sealedUnreadable');
  });

  it('import flags: a non-empty database or a missing file stops the start unless told to ignore it', async () => {
    const env = { DATABASE_URL: target.url!, GATEWAY_SECRET_KEY: TARGET_KEY, GATEWAY_MASTER_KEY: MASTER_KEY, GATEWAY_DATA_DIR: targetDataDir };
    const missingFile = path.join(dumpsDir, 'no-such-dump.jsonl.gz');
    const empty = await createRawTestDatabase('postgres');
    try {
      const fresh = { ...env, DATABASE_URL: empty.url! };
      // Two by two: the refusals, then the starts the flags allow.
      const [notEmpty, missing] = await Promise.all([runBin(['serve', '--import-dump', encryptedDump], env), runBin(['serve', '--import-dump', missingFile], fresh)]);
      expect(notEmpty.code).toBe(1);
      expect(notEmpty.output).toMatch(/Error \[database_not_empty\]: The database already holds data \(.*Engine.*\)/);
      expect(notEmpty.output).not.toContain('gateway listening');
      expect(missing.code).toBe(1);
      expect(missing.output).toContain('Error [file_not_found]');
      expect(missing.output).not.toContain('gateway listening');

      const [ignored, tolerated] = await Promise.all([
        runBin(['serve', '--import-dump', encryptedDump, '--ignore-dump-if-db-exists'], env, /gateway listening/),
        runBin(['serve', '--import-dump', missingFile, '--ignore-missing-dump'], fresh, /gateway listening/),
      ]);
      expect(ignored.matched, ignored.output).toBe(true);
      expect(ignored.output).toContain('the gateway dump is ignored (--ignore-dump-if-db-exists)');
      expect(tolerated.matched, tolerated.output).toBe(true);
      expect(tolerated.output).toContain('gateway dump not found: starting without it (--ignore-missing-dump)');
    } finally {
      await empty.close();
    }
  });

  it("dump create --offline reads a stopped gateway's database directly", async () => {
    const env = { DATABASE_URL: target.url!, GATEWAY_SECRET_KEY: TARGET_KEY, GATEWAY_DATA_DIR: targetDataDir, GATEWAY_DUMPS_DIR: dumpsDir };
    const run = await runBin(['dump', 'create', '--offline', '--secrets', 'encrypt', '--target-secret-key', 'yet-another-key-0123456789', '--json'], env);
    expect(run.code, run.output).toBe(0);
    const dump = JSON.parse(run.output.slice(run.output.indexOf('{'))) as { path: string; secrets: string; secretValues: number; tables: Array<{ name: string; rows: number }> };
    expect(dump).toMatchObject({ secrets: 'ENCRYPT', secretValues: 2 });
    expect(path.dirname(dump.path)).toBe(dumpsDir);
    expect(dump.tables.find((t) => t.name === 'Schedule')?.rows).toBe(1);
  });

  it('a dump made on PostgreSQL refuses a second writer holding the cross-replica lock', async () => {
    const db = await openDatabase({ dataDir: targetDataDir, databaseUrl: target.url! });
    const holder = new pg.Client({ connectionString: target.url! });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [DUMP_LOCK_KEY]);
      await expect(
        createGatewayDump({ prisma: db.prisma, secretBox: SecretBox.fromPassphrase(TARGET_KEY), databaseKind: 'postgres' }, { dumpsDir, secrets: 'omit' }),
      ).rejects.toMatchObject({
        code: 'dump_already_in_progress',
      });
      await holder.query('ROLLBACK');
      const dump = await createGatewayDump({ prisma: db.prisma, secretBox: SecretBox.fromPassphrase(TARGET_KEY), databaseKind: 'postgres' }, { dumpsDir, secrets: 'omit' });
      expect(dump.tables.find((t) => t.name === 'Schedule')?.rows).toBe(1);
    } finally {
      await holder.end();
      await db.close();
    }
  });

  it('refuses truncated, foreign and newer dumps, leaving the database empty', async () => {
    const lines = await readLines(encryptedDump);
    const variants: Array<[string, string, RegExp]> = [
      ['truncated', lines.slice(0, -1).join('\n'), /truncated/],
      ['not a dump', '{"hello":"world"}\n', /not a backup-gateway-dump v1 header/],
      [
        'newer',
        [JSON.stringify({ ...JSON.parse(lines[0]!), migrations: [...JSON.parse(lines[0]!).migrations, '29990101000000_future'] }), ...lines.slice(1)].join('\n'),
        /newer gateway/,
      ],
    ];
    const db = await createTestDatabase('pglite');
    try {
      for (const [name, text, message] of variants) {
        const file = path.join(dumpsDir, `${name.replaceAll(' ', '-')}.jsonl.gz`);
        await writeFile(file, gzipSync(text));
        await expect(importGatewayDump({ prisma: db.prisma, secretBox: SecretBox.fromPassphrase(TARGET_KEY) }, { file }), name).rejects.toMatchObject({
          code: 'invalid_gateway_dump',
          message: expect.stringMatching(message),
        });
        expect(await db.prisma.engine.count()).toBe(0);
      }
      const plain = path.join(dumpsDir, 'plain.txt');
      await writeFile(plain, 'not gzip');
      await expect(importGatewayDump({ prisma: db.prisma, secretBox: SecretBox.fromPassphrase(TARGET_KEY) }, { file: plain })).rejects.toMatchObject({
        code: 'invalid_gateway_dump',
      });
      // The wrong key for the dump's secrets: coded, and nothing is imported.
      await expect(
        importGatewayDump({ prisma: db.prisma, secretBox: SecretBox.fromPassphrase(TARGET_KEY) }, { file: encryptedDump, dumpSecretKey: 'another-key-0123456789' }),
      ).rejects.toMatchObject({
        code: 'invalid_configuration',
      });
      expect(await db.prisma.engine.count()).toBe(0);
    } finally {
      await db.close();
    }
  });
});

async function readLines(file: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file).pipe(createGunzip()) })) lines.push(line);
  return lines;
}
