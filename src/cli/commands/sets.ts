// backup-gateway set create|list|get|restore — backup sets: several engines backed up and restored together.
import { type Command, listOption, requirePositional, stringOption } from '../command.ts';
import { CliError, usage } from '../errors.ts';
import type { JobView } from '../follow.ts';
import { JOB_FIELDS, reportJob } from '../job-report.ts';
import { formatBytes, formatCount, formatTable, printJson } from '../output.ts';
import { resolveEngineId } from '../resolve.ts';
import { count, labels, optional, seconds } from './backups.ts';

const SET_FIELDS = `id name status memberCount documentCount sizeBytes verification createdAt completedAt verifiedAt
  job { id status progress { percent } }
  members { id name status strategy documentCount sizeBytes pinned engine { id name plugin } }`;

interface SetView {
  id: string;
  name: string;
  status: string;
  memberCount: number;
  documentCount: number | null;
  sizeBytes: number | null;
  verification: string;
  createdAt: string;
  completedAt: string | null;
  verifiedAt: string | null;
  job: { id: string; status: string; progress: { percent: number | null } } | null;
  members: Array<{
    id: string;
    name: string;
    status: string;
    strategy: string;
    documentCount: number | null;
    sizeBytes: number | null;
    pinned: boolean;
    engine: { id: string; name: string; plugin: string } | null;
  }>;
}

const create: Command = {
  words: ['set', 'create'],
  summary: 'Back up several engines together as one set; --wait follows the parent job to its end.',
  options: {
    name: { type: 'string', value: '<name>', description: 'The set name (required)' },
    engine: { type: 'string', multiple: true, value: '<name|id>', description: 'A member engine (repeat, or a,b,c; at least one)' },
    label: { type: 'string', multiple: true, value: '<key=value>', description: 'A label stored with the set and its members' },
    timeout: { type: 'string', value: '<seconds>', description: "Timeout of each member job (default: the gateway's)" },
    wait: { type: 'boolean', description: 'Follow the set until every member has ended; exit 1 unless all succeeded' },
  },
  async run(ctx) {
    const name = stringOption(ctx.options, 'name');
    const engines = listOption(ctx.options, 'engine');
    if (!name || engines.length === 0) throw usage('--name and at least one --engine are required (see `backup-gateway set create --help`)');
    const client = ctx.client();
    const members = [];
    for (const engine of engines) members.push({ engineId: await resolveEngineId(client, engine) });
    const input = {
      name,
      members,
      ...optional('labels', labels(listOption(ctx.options, 'label', false))),
      ...optional('timeoutSeconds', seconds(stringOption(ctx.options, 'timeout'))),
    };
    const { startBackupSet } = await client.request<{ startBackupSet: JobView }>(`mutation($i: StartBackupSetInput!) { startBackupSet(input: $i) { ${JOB_FIELDS} } }`, {
      i: input,
    });
    return reportJob(ctx, startBackupSet, ctx.options.wait === true);
  },
};

const list: Command = {
  words: ['set', 'list'],
  summary: 'List backup sets, newest first, one row per set.',
  options: {
    first: { type: 'string', value: '<n>', description: 'How many (default 50, at most 500)' },
    deleted: { type: 'boolean', description: 'Also list DELETED sets' },
  },
  async run(ctx) {
    const { backupSets } = await ctx
      .client()
      .request<{ backupSets: { totalCount: number; nodes: SetView[] } }>(
        `query($first: Int, $deleted: Boolean) { backupSets(first: $first, includeDeleted: $deleted) { totalCount nodes { ${SET_FIELDS} } } }`,
        { first: count(stringOption(ctx.options, 'first')) ?? 50, deleted: ctx.options.deleted === true },
      );
    if (ctx.json) {
      printJson(ctx.io, backupSets);
      return 0;
    }
    ctx.io.stdout.write(
      formatTable(
        ['ID', 'NAME', 'STATUS', 'MEMBERS', 'DOCUMENTS', 'SIZE', 'VERIFIED', 'CREATED'],
        backupSets.nodes.map((s) => [
          s.id,
          s.name,
          s.status,
          s.members.map((m) => `${m.engine?.name ?? '?'}:${m.status}`).join(' '),
          formatCount(s.documentCount),
          formatBytes(s.sizeBytes),
          s.verification,
          s.createdAt,
        ]),
      ),
    );
    if (backupSets.totalCount > backupSets.nodes.length) ctx.io.stdout.write(`(${backupSets.nodes.length} of ${backupSets.totalCount}; --first for more)\n`);
    return 0;
  },
};

const get: Command = {
  words: ['set', 'get'],
  summary: 'Show one backup set and its members.',
  args: '<set-id>',
  async run(ctx) {
    const id = requirePositional(ctx, 0, '<set-id>', get);
    const { backupSet } = await ctx.client().request<{ backupSet: SetView | null }>(`query($id: ID!) { backupSet(id: $id) { ${SET_FIELDS} } }`, { id });
    if (!backupSet) throw new CliError('backup_set_not_found', `No backup set with id "${id}"`);
    if (ctx.json) {
      printJson(ctx.io, backupSet);
      return 0;
    }
    const out = ctx.io.stdout;
    out.write(`${backupSet.name}  ${backupSet.id}\n`);
    out.write(`  status ${backupSet.status}  ${backupSet.members.length} of ${backupSet.memberCount} members  verification ${backupSet.verification}\n`);
    out.write(`  created ${backupSet.createdAt}  completed ${backupSet.completedAt ?? '-'}  job ${backupSet.job?.id ?? '-'} (${backupSet.job?.status ?? '-'})\n`);
    out.write(`  ${formatCount(backupSet.documentCount)} documents, ${formatBytes(backupSet.sizeBytes)}\n\n`);
    out.write(
      formatTable(
        ['BACKUP', 'ENGINE', 'PLUGIN', 'STATUS', 'DOCUMENTS', 'SIZE', 'PINNED'],
        backupSet.members.map((m) => [m.id, m.engine?.name, m.engine?.plugin, m.status, formatCount(m.documentCount), formatBytes(m.sizeBytes), m.pinned ? 'yes' : '']),
      ),
    );
    return 0;
  },
};

const restore: Command = {
  words: ['set', 'restore'],
  summary: 'Restore a backup set (every complete member into its engine, or --into to pick targets); --dry-run prints the plan.',
  args: '<set-id>',
  options: {
    into: { type: 'string', multiple: true, value: '<from=to>', description: 'Restore the member of engine <from> into engine <to> (names or ids)' },
    suffix: { type: 'string', value: '<suffix>', description: 'Appended to every target collection name' },
    overwrite: { type: 'boolean', description: 'Replace target collections that exist' },
    'dry-run': { type: 'boolean', description: 'Print the plan and start nothing' },
    wait: { type: 'boolean', description: 'Follow the parent job until every member has ended' },
  },
  async run(ctx) {
    const setId = requirePositional(ctx, 0, '<set-id>', restore);
    const client = ctx.client();
    const { backupSet } = await client.request<{ backupSet: SetView | null }>(`query($id: ID!) { backupSet(id: $id) { ${SET_FIELDS} } }`, { id: setId });
    if (!backupSet) throw new CliError('backup_set_not_found', `No backup set with id "${setId}"`);
    const targets = new Map<string, string>();
    for (const pair of listOption(ctx.options, 'into', false)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw usage(`--into expects from=to (got "${pair}")`);
      targets.set(await resolveEngineId(client, pair.slice(0, eq)), await resolveEngineId(client, pair.slice(eq + 1)));
    }
    const members =
      targets.size === 0
        ? null
        : backupSet.members.filter((m) => m.status === 'COMPLETE').map((m) => ({ backupId: m.id, engineId: (m.engine && targets.get(m.engine.id)) ?? m.engine?.id ?? null }));
    const input = {
      setId,
      ...(members ? { members } : {}),
      ...optional('suffix', stringOption(ctx.options, 'suffix')),
      ...(ctx.options.overwrite === true ? { overwrite: true } : {}),
    };
    if (ctx.options['dry-run'] === true) {
      const { planBackupSetRestore: plan } = await client.request<{ planBackupSetRestore: PlanView }>(
        `mutation($i: BackupSetRestoreInput!) { planBackupSetRestore(input: $i) { allStaged notes members { backupId engineId staging note plan { verdict collections { source target action } refusals { code message } } } } }`,
        { i: input },
      );
      if (ctx.json) printJson(ctx.io, plan);
      else printPlan(ctx.io.stdout, plan);
      return plan.members.some((m) => m.plan.verdict === 'REFUSED') ? 1 : 0;
    }
    const { startBackupSetRestore } = await client.request<{ startBackupSetRestore: JobView }>(
      `mutation($i: BackupSetRestoreInput!) { startBackupSetRestore(input: $i) { ${JOB_FIELDS} } }`,
      { i: input },
    );
    return reportJob(ctx, startBackupSetRestore, ctx.options.wait === true);
  },
};

interface PlanView {
  allStaged: boolean;
  notes: string[];
  members: Array<{
    backupId: string;
    engineId: string;
    staging: string;
    note: string;
    plan: { verdict: string; collections: Array<{ source: string; target: string; action: string }>; refusals: Array<{ code: string; message: string }> };
  }>;
}

function printPlan(out: { write(text: string): unknown }, plan: PlanView): void {
  for (const note of plan.notes) out.write(`${note}\n`);
  for (const member of plan.members) {
    out.write(`\nbackup ${member.backupId} → engine ${member.engineId}: ${member.plan.verdict}, ${member.staging} (${member.note})\n`);
    out.write(
      formatTable(
        ['SOURCE', 'TARGET', 'ACTION'],
        member.plan.collections.map((c) => [c.source, c.target, c.action]),
      ),
    );
    for (const refusal of member.plan.refusals) out.write(`  refused [${refusal.code}]: ${refusal.message}\n`);
  }
}

export const setCommands: Command[] = [create, list, get, restore];
