// Writes a gateway dump: every table in one consistent snapshot, streamed through gzip to a temp file that is
// renamed only when whole. One dump at a time across replicas (a transaction-scoped advisory lock).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { PrismaClient } from '../db/client.ts';
import { GatewayError } from '../errors.ts';
import { packageManifest } from '../package-files.ts';
import { SecretBox } from '../secret-box.ts';
import { DUMP_FORMAT, DUMP_FORMAT_VERSION, dumpFileName, type DumpHeader, type DumpSecretsMode } from './format.ts';
import { sealRowForDump } from './secrets.ts';
import { appliedMigrations, describeTables, insertionOrder, quoteIdent, type RawSql, type TableInfo } from './tables.ts';

/** Any constant works; this one spells "bgdump". */
export const DUMP_LOCK_KEY = 0x62_67_64_75_6d_70;
const PAGE_ROWS = 1000;
/** A dump of a large history may take a while; Prisma's interactive transactions default to 5 s. */
const DUMP_TIMEOUT_MS = 60 * 60 * 1000;

export interface CreateDumpOptions {
  dumpsDir: string;
  /** `encrypt` needs `targetSecretKey`: the GATEWAY_SECRET_KEY of the gateway that will import the dump. */
  secrets: 'omit' | 'encrypt';
  targetSecretKey?: string | null;
}

export interface GatewayDumpInfo {
  fileName: string;
  path: string;
  bytes: number;
  sha256: string;
  createdAt: Date;
  secrets: DumpSecretsMode;
  /** Secret values sealed for the target key, or left out. */
  secretValues: number;
  tables: Array<{ name: string; rows: number }>;
}

export async function createGatewayDump(deps: { prisma: PrismaClient; secretBox: SecretBox; databaseKind: string }, options: CreateDumpOptions): Promise<GatewayDumpInfo> {
  const target = targetBox(options);
  const createdAt = new Date();
  const fileName = dumpFileName(createdAt);
  const dumpsDir = path.resolve(options.dumpsDir);
  const finalPath = path.join(dumpsDir, fileName);
  const tempPath = path.join(dumpsDir, `.${fileName}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dumpsDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new GatewayError('storage_error', `Cannot create the dumps directory ${dumpsDir}: ${(error as Error).message}`, { cause: error });
  }

  try {
    const written = await deps.prisma.$transaction(
      async (tx) => {
        const [lock] = await tx.$queryRawUnsafe<Array<{ ok: boolean }>>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', DUMP_LOCK_KEY);
        if (!lock?.ok) throw new GatewayError('dump_already_in_progress', 'A gateway dump is already being written; wait until it has finished');
        const tables = insertionOrder(await describeTables(tx));
        const header: DumpHeader = {
          format: DUMP_FORMAT,
          formatVersion: DUMP_FORMAT_VERSION,
          createdAt: createdAt.toISOString(),
          gatewayVersion: packageManifest().version,
          database: deps.databaseKind,
          migrations: await appliedMigrations(tx),
          secrets: target ? 'encrypted' : 'omit',
          tables: tables.map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name) })),
        };
        const counts = { rows: new Map<string, number>(), secretValues: 0 };
        const hashed = hashingCounter();
        await pipeline(
          Readable.from(dumpLines(tx, tables, header, { source: deps.secretBox, target }, counts)),
          createGzip(),
          hashed.stream,
          // Key hashes and (sealed) secrets: readable by the gateway's user only.
          createWriteStream(tempPath, { flags: 'wx', mode: 0o600 }),
        );
        return { header, counts, bytes: hashed.bytes(), sha256: hashed.sha256() };
      },
      { isolationLevel: 'RepeatableRead', timeout: DUMP_TIMEOUT_MS, maxWait: 30_000 },
    );
    const handle = await open(tempPath, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, finalPath);
    return {
      fileName,
      path: finalPath,
      bytes: written.bytes,
      sha256: written.sha256,
      createdAt,
      secrets: written.header.secrets,
      secretValues: written.counts.secretValues,
      tables: written.header.tables.map((t) => ({ name: t.name, rows: written.counts.rows.get(t.name) ?? 0 })),
    };
  } catch (error) {
    await rm(tempPath, { force: true });
    if (error instanceof GatewayError) throw error;
    throw new GatewayError('storage_error', `Cannot write the gateway dump ${finalPath}: ${(error as Error).message}`, { cause: error });
  }
}

function targetBox(options: CreateDumpOptions): SecretBox | null {
  if (options.secrets === 'omit') return null;
  const key = options.targetSecretKey ?? '';
  if (key.length < 16) {
    throw new GatewayError('invalid_input', 'Encrypting the secrets needs targetSecretKey: the GATEWAY_SECRET_KEY (16+ characters) of the gateway that will import the dump');
  }
  return SecretBox.fromPassphrase(key);
}

async function* dumpLines(
  sql: RawSql,
  tables: TableInfo[],
  header: DumpHeader,
  boxes: { source: SecretBox; target: SecretBox | null },
  counts: { rows: Map<string, number>; secretValues: number },
): AsyncGenerator<string> {
  yield JSON.stringify(header) + '\n';
  for (const table of tables) {
    let count = 0;
    for (let offset = 0; ; offset += PAGE_ROWS) {
      const page = await sql.$queryRawUnsafe<Array<{ row: string }>>(
        `SELECT ${rowAsJson(table)} AS row FROM ${quoteIdent(table.name)} t ORDER BY ${orderBy(table)} LIMIT ${PAGE_ROWS} OFFSET ${offset}`,
      );
      let chunk = '';
      for (const { row: text } of page) {
        const row = JSON.parse(text) as Record<string, unknown>;
        const { sealed, omitted } = sealRowForDump(row, table.columns, boxes.source, boxes.target);
        counts.secretValues += sealed.length + omitted.length;
        chunk += JSON.stringify({ table: table.name, row, ...(sealed.length > 0 ? { sealed } : {}), ...(omitted.length > 0 ? { omitted } : {}) }) + '\n';
      }
      count += page.length;
      if (chunk) yield chunk;
      if (page.length < PAGE_ROWS) break;
    }
    counts.rows.set(table.name, count);
  }
  yield JSON.stringify({ end: true, rows: Object.fromEntries(counts.rows) }) + '\n';
}

/** The row as JSON text, 64-bit integers as strings so no digit is lost. */
function rowAsJson(table: TableInfo): string {
  const wide = table.columns.filter((c) => c.wide);
  if (wide.length === 0) return 'to_jsonb(t)::text';
  const pairs = wide.map((c) => `'${c.name.replaceAll("'", "''")}', t.${quoteIdent(c.name)}::text`).join(', ');
  return `(to_jsonb(t) || jsonb_build_object(${pairs}))::text`;
}

function orderBy(table: TableInfo): string {
  const columns = table.primaryKey.length > 0 ? table.primaryKey : table.columns.map((c) => c.name);
  return columns.map((c) => `t.${quoteIdent(c)}`).join(', ');
}

function hashingCounter(): { stream: Transform; bytes(): number; sha256(): string } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, bytes: () => bytes, sha256: () => hash.digest('hex') };
}
