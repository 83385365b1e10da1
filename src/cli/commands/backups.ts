// backup-gateway backup create|list|get|delete
import { type Command, enumOption, listOption, requirePositional, stringOption } from '../command.ts';
import { CliError, usage } from '../errors.ts';
import type { JobView } from '../follow.ts';
import { JOB_FIELDS, reportJob } from '../job-report.ts';
import { formatBytes, formatCount, formatTable, printJson } from '../output.ts';
import { resolveBackupId, resolveEngineId } from '../resolve.ts';

const BACKUP_FIELDS = `id name status strategy type origin plugin sizeBytes documentCount createdAt completedAt verifiedAt location warnings labels
  engine { id name } parent { id }
  collections { name documentCount bytes }
  artifacts { path bytes sha256 collection external location }`;

interface BackupView {
  id: string;
  name: string;
  status: string;
  strategy: string;
  type: string;
  origin: string;
  sizeBytes: number | null;
  documentCount: number | null;
  createdAt: string;
  completedAt: string | null;
  verifiedAt: string | null;
  location: string;
  warnings: string[];
  engine: { id: string; name: string } | null;
  collections: Array<{ name: string; documentCount: number | null; bytes: number | null }>;
  artifacts: Array<{ path: string; bytes: number; sha256: string; external: boolean; location: string | null }>;
}

const create: Command = {
  words: ['backup', 'create'],
  summary: 'Start a backup of an engine; --wait follows it to its end with a progress bar.',
  options: {
    engine: { type: 'string', value: '<name|id>', description: 'The engine to back up (required)' },
    collections: { type: 'string', multiple: true, value: '<a,b>', description: 'Only these collections (default: all)' },
    strategy: {
      type: 'string',
      value: '<native|logical>',
      description: "LOGICAL: portable archive; NATIVE: the engine's own dump/snapshot; default: the plugin's (NATIVE for Milvus, else LOGICAL)",
    },
    type: { type: 'string', value: '<full|incremental>', description: 'FULL (default) or INCREMENTAL' },
    name: { type: 'string', value: '<name>', description: 'Backup name (default: engine name and time)' },
    label: { type: 'string', multiple: true, value: '<key=value>', description: 'A label stored with the backup' },
    timeout: { type: 'string', value: '<seconds>', description: "Job timeout (default: the gateway's)" },
    wait: { type: 'boolean', description: 'Follow the job until it ends; exit 1 if it fails' },
  },
  async run(ctx) {
    const engine = stringOption(ctx.options, 'engine');
    if (!engine) throw usage('--engine is required (see `backup-gateway backup create --help`)');
    const client = ctx.client();
    const collections = listOption(ctx.options, 'collections');
    const input = {
      engineId: await resolveEngineId(client, engine),
      ...(collections.length > 0 ? { collections } : {}),
      ...optional('strategy', enumOption(ctx.options, 'strategy', ['LOGICAL', 'NATIVE'])),
      ...optional('type', enumOption(ctx.options, 'type', ['FULL', 'INCREMENTAL'])),
      ...optional('name', stringOption(ctx.options, 'name')),
      ...optional('labels', labels(listOption(ctx.options, 'label', false))),
      ...optional('timeoutSeconds', seconds(stringOption(ctx.options, 'timeout'))),
    };
    const { startBackup } = await client.request<{ startBackup: JobView }>(`mutation($i: StartBackupInput!) { startBackup(input: $i) { ${JOB_FIELDS} } }`, { i: input });
    return reportJob(ctx, startBackup, ctx.options.wait === true);
  },
};

const list: Command = {
  words: ['backup', 'list'],
  summary: 'List the catalog, newest first.',
  options: {
    engine: { type: 'string', value: '<name|id>', description: "Only this engine's backups" },
    status: { type: 'string', multiple: true, value: '<s,…>', description: 'Only these statuses: pending, complete, failed, deleted, missing, …' },
    first: { type: 'string', value: '<n>', description: 'How many (default 50, at most 500)' },
  },
  async run(ctx) {
    const client = ctx.client();
    const engine = stringOption(ctx.options, 'engine');
    const variables = {
      engineId: engine ? await resolveEngineId(client, engine) : null,
      status: listOption(ctx.options, 'status').map((s) => s.toUpperCase()),
      first: count(stringOption(ctx.options, 'first')) ?? 50,
    };
    const { backups } = await client.request<{ backups: { totalCount: number; nodes: BackupView[] } }>(
      `query($engineId: ID, $status: [BackupStatus!], $first: Int) { backups(engineId: $engineId, status: $status, first: $first) { totalCount nodes { ${BACKUP_FIELDS} } } }`,
      { ...variables, status: variables.status.length > 0 ? variables.status : null },
    );
    if (ctx.json) {
      printJson(ctx.io, backups);
      return 0;
    }
    ctx.io.stdout.write(
      formatTable(
        ['ID', 'NAME', 'ENGINE', 'STATUS', 'STRATEGY', 'DOCUMENTS', 'SIZE', 'CREATED'],
        backups.nodes.map((b) => [b.id, b.name, b.engine?.name, b.status, `${b.strategy}/${b.type}`, formatCount(b.documentCount), formatBytes(b.sizeBytes), b.createdAt]),
      ),
    );
    if (backups.totalCount > backups.nodes.length) ctx.io.stdout.write(`(${backups.nodes.length} of ${backups.totalCount}; --first for more)\n`);
    return 0;
  },
};

const get: Command = {
  words: ['backup', 'get'],
  summary: 'Show one backup: its collections, files and checks.',
  args: '<backup>',
  async run(ctx) {
    const id = await resolveBackupId(ctx.client(), requirePositional(ctx, 0, '<backup>', get));
    const { backup } = await ctx.client().request<{ backup: BackupView | null }>(`query($id: ID!) { backup(id: $id) { ${BACKUP_FIELDS} } }`, { id });
    if (!backup) throw new CliError('backup_not_found', `No backup with id "${id}"`);
    if (ctx.json) {
      printJson(ctx.io, backup);
      return 0;
    }
    const out = ctx.io.stdout;
    out.write(`${backup.name}  ${backup.id}\n`);
    out.write(`  status ${backup.status}  ${backup.strategy}/${backup.type}  origin ${backup.origin}  engine ${backup.engine?.name ?? '-'}\n`);
    out.write(`  created ${backup.createdAt}  completed ${backup.completedAt ?? '-'}  verified ${backup.verifiedAt ?? 'never'}\n`);
    out.write(`  ${formatCount(backup.documentCount)} documents, ${formatBytes(backup.sizeBytes)}  at ${backup.location}\n`);
    for (const warning of backup.warnings) out.write(`  warning: ${warning}\n`);
    out.write(
      '\n' +
        formatTable(
          ['COLLECTION', 'DOCUMENTS', 'BYTES'],
          backup.collections.map((c) => [c.name, formatCount(c.documentCount), formatBytes(c.bytes)]),
        ),
    );
    out.write(
      '\n' +
        formatTable(
          ['FILE', 'BYTES', 'SHA256'],
          backup.artifacts.map((a) => [a.path, formatBytes(a.bytes), a.external ? `external: ${a.location ?? '?'}` : a.sha256.slice(0, 16)]),
        ),
    );
    return 0;
  },
};

const remove: Command = {
  words: ['backup', 'delete'],
  summary: "Delete a backup's files; the catalog keeps it as DELETED.",
  args: '<backup>',
  async run(ctx) {
    const id = await resolveBackupId(ctx.client(), requirePositional(ctx, 0, '<backup>', remove));
    const { deleteBackup } = await ctx.client().request<{ deleteBackup: { id: string; status: string } }>('mutation($id: ID!) { deleteBackup(id: $id) { id status } }', { id });
    if (ctx.json) printJson(ctx.io, deleteBackup);
    else ctx.io.stdout.write(`Backup ${deleteBackup.id} ${deleteBackup.status}\n`);
    return 0;
  },
};

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

export function labels(pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw usage(`--label expects key=value (got "${pair}")`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

export function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw usage(`--timeout must be a positive number of seconds (got "${value}")`);
  return n;
}

export function count(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw usage(`--first must be a positive integer (got "${value}")`);
  return n;
}

export const backupCommands: Command[] = [create, list, get, remove];
export { optional };
