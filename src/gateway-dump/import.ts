// Loads a gateway dump into an empty database, in one transaction: all of it or nothing.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { PrismaClient } from '../db/client.ts';
import { GatewayError } from '../errors.ts';
import { SecretBox } from '../secret-box.ts';
import { boundedGunzip, boundedLines, documentLineOptions } from '../storage/bounded-input.ts';
import { DumpEndLineSchema, DumpHeaderSchema, DumpRowLineSchema, invalidDump, type DumpHeader } from './format.ts';
import { replacementSecret, resealRowFromDump } from './secrets.ts';
import { appliedMigrations, deferredColumns, describeTables, isDatabaseEmpty, quoteIdent, type RawSql, type TableInfo } from './tables.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';

const BATCH_ROWS = 500;
const IMPORT_TIMEOUT_MS = 60 * 60 * 1000;

export interface ImportDumpOptions {
  file: string;
  /** The key the dump's secrets were encrypted for; default: this gateway's GATEWAY_SECRET_KEY. */
  dumpSecretKey?: string | null;
}

export interface ImportDumpResult {
  header: DumpHeader;
  tables: Array<{ name: string; rows: number }>;
  /** Jobs that were queued or running when the dump was taken: ended FAILED `interrupted` here. */
  endedJobs: number;
  /** Secrets left out of the dump: NULL where allowed, else a new random value to rotate (`Table.column`). */
  omittedSecrets: Array<{ column: string; rows: number; replaced: boolean }>;
}

export async function importGatewayDump(deps: { prisma: PrismaClient; secretBox: SecretBox }, options: ImportDumpOptions): Promise<ImportDumpResult> {
  const { file } = options;
  try {
    if (!(await stat(file)).isFile()) throw invalidDump(file, 'not a file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GatewayError('file_not_found', `The gateway dump ${file} does not exist`);
    throw error;
  }
  const dumpBox = options.dumpSecretKey ? SecretBox.fromPassphrase(options.dumpSecretKey) : null;
  const lines = readLines(file);
  try {
    const header = parseHeader(file, await lines.next());
    return await deps.prisma.$transaction(
      async (tx) => {
        const { empty, nonEmptyTables } = await isDatabaseEmpty(tx);
        if (!empty) throw notEmpty(nonEmptyTables);
        const plan = await planImport(tx, file, header);
        const loader = new TableLoader(tx, plan, { dumpBox: dumpBox ?? deps.secretBox, local: deps.secretBox });
        let end: { rows: Record<string, number> } | undefined;
        for (let next = await lines.next(); !next.done; next = await lines.next()) {
          if (end) throw invalidDump(file, 'lines after the end line');
          const value = parseJson(file, next.value);
          if ((value as { end?: unknown }).end !== undefined) {
            const parsed = DumpEndLineSchema.safeParse(value);
            if (!parsed.success) throw invalidDump(file, 'malformed end line');
            end = parsed.data;
            continue;
          }
          const line = DumpRowLineSchema.safeParse(value);
          if (!line.success) throw invalidDump(file, `malformed row line: ${next.value.slice(0, 120)}`);
          await loader.add(line.data.table, line.data.row, line.data.sealed ?? [], line.data.omitted ?? []);
        }
        if (!end) throw invalidDump(file, 'it ends before its end line (truncated?)');
        const counts = await loader.finish();
        for (const [table, rows] of Object.entries(end.rows)) {
          if ((counts.get(table) ?? 0) !== rows) throw invalidDump(file, `${table} should have ${rows} rows, found ${counts.get(table) ?? 0}`);
        }
        const endedJobs = await endJobsActiveAtDumpTime(tx);
        await tx.auditEntry.create({
          data: { actor: 'import', action: 'gatewayDump.import', targetType: 'gatewayDump', targetId: header.createdAt, details: { file, endedJobs } },
        });
        return {
          header,
          tables: header.tables.map((t) => ({ name: t.name, rows: counts.get(t.name) ?? 0 })),
          endedJobs,
          omittedSecrets: loader.omittedSecrets(),
        };
      },
      { timeout: IMPORT_TIMEOUT_MS, maxWait: 30_000 },
    );
  } finally {
    await lines.return(undefined);
  }
}

export function notEmpty(tables: string[]): GatewayError {
  return new GatewayError(
    'database_not_empty',
    `The database already holds data (${tables.join(', ')}); a gateway dump is imported only into an empty one. Use --ignore-dump-if-db-exists to start with the existing data instead`,
  );
}

interface TablePlan {
  table: TableInfo;
  columns: string[];
  deferred: string[];
}

/** Every dumped table and column must exist here; migrations the dump has seen must have run here. */
async function planImport(sql: RawSql, file: string, header: DumpHeader): Promise<Map<string, TablePlan>> {
  const applied = new Set(await appliedMigrations(sql));
  const unknown = header.migrations.filter((m) => !applied.has(m));
  if (unknown.length > 0) throw invalidDump(file, `it was made by a newer gateway (migrations unknown here: ${unknown.join(', ')})`);
  const tables = new Map((await describeTables(sql)).map((t) => [t.name, t]));
  const order = header.tables.map((t) => t.name);
  const plans = new Map<string, TablePlan>();
  for (const dumped of header.tables) {
    const table = tables.get(dumped.name);
    if (!table) throw invalidDump(file, `table ${dumped.name} does not exist in this gateway's database`);
    const known = new Set(table.columns.map((c) => c.name));
    const missing = dumped.columns.filter((c) => !known.has(c));
    if (missing.length > 0) throw invalidDump(file, `${dumped.name} has columns this gateway does not know: ${missing.join(', ')}`);
    const deferred = deferredColumns(table, order).filter((c) => dumped.columns.includes(c));
    plans.set(dumped.name, { table, columns: dumped.columns.filter((c) => !deferred.includes(c)), deferred });
  }
  return plans;
}

/** Inserts rows in batches, table by table in file order; sets deferred foreign keys at the end. */
class TableLoader {
  private current: TablePlan | undefined;
  private batch: Record<string, unknown>[] = [];
  private readonly done = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly deferredRows = new Map<string, Record<string, unknown>[]>();
  private readonly omitted = new Map<string, { rows: number; replaced: boolean }>();

  constructor(
    private readonly sql: RawSql,
    private readonly plans: Map<string, TablePlan>,
    private readonly boxes: { dumpBox: SecretBox; local: SecretBox },
  ) {}

  async add(table: string, row: Record<string, unknown>, sealed: readonly string[], omitted: readonly string[]): Promise<void> {
    if (this.current?.table.name !== table) {
      await this.flush();
      const plan = this.plans.get(table);
      if (!plan) throw new GatewayError('invalid_gateway_dump', `Row of table ${table}, which the dump's header does not list`);
      if (this.done.has(table)) throw new GatewayError('invalid_gateway_dump', `Rows of ${table} are not contiguous in the dump`);
      this.done.add(table);
      this.current = plan;
    }
    resealRowFromDump(table, row, sealed, this.boxes.dumpBox, this.boxes.local);
    const plan = this.current;
    for (const column of omitted) {
      const replaced = plan.table.columns.find((c) => c.name === column)?.nullable === false;
      if (replaced) row[column] = replacementSecret(this.boxes.local);
      const seen = this.omitted.get(`${table}.${column}`) ?? { rows: 0, replaced };
      this.omitted.set(`${table}.${column}`, { rows: seen.rows + 1, replaced });
    }
    if (plan.deferred.some((c) => row[c] !== null && row[c] !== undefined)) {
      const keep = [...plan.table.primaryKey, ...plan.deferred];
      const list = this.deferredRows.get(table) ?? [];
      list.push(Object.fromEntries(keep.map((c) => [c, row[c]])));
      this.deferredRows.set(table, list);
    }
    this.batch.push(row);
    this.counts.set(table, (this.counts.get(table) ?? 0) + 1);
    if (this.batch.length >= BATCH_ROWS) await this.flush();
  }

  omittedSecrets(): Array<{ column: string; rows: number; replaced: boolean }> {
    return [...this.omitted].map(([column, facts]) => ({ column, ...facts }));
  }

  async finish(): Promise<Map<string, number>> {
    await this.flush();
    for (const [table, rows] of this.deferredRows) {
      const plan = this.plans.get(table)!;
      const set = plan.deferred.map((c) => `${quoteIdent(c)} = x.${quoteIdent(c)}`).join(', ');
      const match = plan.table.primaryKey.map((c) => `t.${quoteIdent(c)} = x.${quoteIdent(c)}`).join(' AND ');
      for (let i = 0; i < rows.length; i += BATCH_ROWS) {
        await this.sql.$executeRawUnsafe(
          `UPDATE ${quoteIdent(table)} AS t SET ${set} FROM json_populate_recordset(NULL::${quoteIdent(table)}, $1::json) AS x WHERE ${match}`,
          JSON.stringify(rows.slice(i, i + BATCH_ROWS)),
        );
      }
    }
    for (const plan of this.plans.values()) await this.moveSequences(plan.table);
    return this.counts;
  }

  private async flush(): Promise<void> {
    if (!this.current || this.batch.length === 0) return;
    const table = quoteIdent(this.current.table.name);
    const columns = this.current.columns.map(quoteIdent).join(', ');
    await this.sql.$executeRawUnsafe(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)`, JSON.stringify(this.batch));
    this.batch = [];
  }

  /** Autoincrement ids were inserted explicitly: the next generated one must come after them. */
  private async moveSequences(table: TableInfo): Promise<void> {
    for (const column of table.columns.filter((c) => c.serial)) {
      await this.sql.$queryRawUnsafe(
        `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE(MAX(${quoteIdent(column.name)}), 0), 1), MAX(${quoteIdent(column.name)}) IS NOT NULL)::text AS v FROM ${quoteIdent(table.name)}`,
        quoteIdent(table.name),
        column.name,
      );
    }
  }
}

/** Their process is not this one: like jobs whose gateway died, they end `interrupted` rather than run twice. */
async function endJobsActiveAtDumpTime(tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0]): Promise<number> {
  const active = await tx.job.findMany({ where: { status: { in: ACTIVE_STATUSES } }, select: { id: true, kind: true, backupId: true } });
  if (active.length === 0) return 0;
  const now = new Date();
  await tx.job.updateMany({
    where: { id: { in: active.map((j) => j.id) } },
    data: {
      status: 'FAILED',
      finishedAt: now,
      leaseOwner: null,
      leaseExpiresAt: null,
      errorCode: 'interrupted',
      errorType: 'internal',
      errorMessage: 'The job was queued or running when the gateway dump was taken; it was not carried over',
    },
  });
  await tx.jobEvent.createMany({ data: active.map((j) => ({ jobId: j.id, status: 'FAILED' as const, phase: 'interrupted', message: 'active when the gateway dump was taken' })) });
  const backupIds = active.filter((j) => j.kind === 'BACKUP' && j.backupId).map((j) => j.backupId!);
  if (backupIds.length > 0) {
    await tx.backup.updateMany({
      where: { id: { in: backupIds }, status: 'PENDING' },
      data: { status: 'FAILED', warnings: { push: 'interrupted: the backup was in progress when the gateway dump was taken' } },
    });
  }
  return active.length;
}

/** The dump's lines, each bounded in length and the whole bounded in decompression: a crafted dump costs little. */
function readLines(file: string): AsyncIterator<string, undefined> & { return(value: undefined): Promise<IteratorResult<string, undefined>> } {
  const input = boundedGunzip(createReadStream(file), file);
  const batches = boundedLines(input, documentLineOptions(file));
  const fail = (error: unknown): never => {
    throw error instanceof GatewayError ? error : invalidDump(file, `cannot read it (${(error as Error).message})`, error);
  };
  let ready: Buffer[] = [];
  return {
    next: async () => {
      try {
        while (ready.length === 0) {
          const next = await batches.next();
          if (next.done) return { done: true, value: undefined };
          ready = next.value.reverse();
        }
        return { done: false, value: ready.pop()!.toString('utf8').replace(/\r$/, '') };
      } catch (error) {
        return fail(error);
      }
    },
    return: async () => {
      input.destroy();
      await batches.return(undefined);
      return { done: true, value: undefined };
    },
  };
}

function parseHeader(file: string, first: IteratorResult<string, undefined>): DumpHeader {
  if (first.done) throw invalidDump(file, 'it is empty');
  const parsed = DumpHeaderSchema.safeParse(parseJson(file, first.value));
  if (!parsed.success) throw invalidDump(file, `its header is not a backup-gateway-dump v1 header (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

function parseJson(file: string, line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (error) {
    throw invalidDump(file, `a line is not JSON: ${line.slice(0, 80)}`, error);
  }
}
