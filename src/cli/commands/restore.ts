// backup-gateway restore <backup> (a backup name or id)
import { type Command, listOption, requirePositional, stringOption } from '../command.ts';
import { usage } from '../errors.ts';
import type { JobView } from '../follow.ts';
import { JOB_FIELDS, reportJob } from '../job-report.ts';
import { resolveBackupId, resolveEngineId } from '../resolve.ts';
import { optional, seconds } from './backups.ts';
import { printRestorePlan } from './restore-plan.ts';

const restore: Command = {
  words: ['restore'],
  summary: 'Restore a backup into an engine (atomic by default: staging copy, swapped in at the end).',
  args: '<backup>',
  options: {
    engine: { type: 'string', value: '<name|id>', description: "Target engine (default: the backup's own)" },
    collections: { type: 'string', multiple: true, value: '<a,b>', description: 'Only these collections (default: all in the backup)' },
    rename: { type: 'string', multiple: true, value: '<from=to>', description: 'Restore collection <from> as <to>' },
    'no-atomic': { type: 'boolean', description: 'Write straight into the target instead of a staging copy' },
    'drop-existing': { type: 'boolean', description: 'Drop existing target collections first (engines that restore only into absent ones)' },
    suffix: { type: 'string', value: '<text>', description: 'Append <text> to every target name not renamed (e.g. _restored)' },
    overwrite: { type: 'boolean', description: 'Replace target collections that exist (never done unasked: without it such a restore fails with target_exists)' },
    'on-existing': { type: 'string', value: '<fail|replace|skip|apply>', description: 'What to do with targets that exist (default fail)' },
    'dry-run': { type: 'boolean', description: 'Print the restore plan (what is created, replaced, skipped) and restore nothing' },
    timeout: { type: 'string', value: '<seconds>', description: "Job timeout (default: the gateway's)" },
    wait: { type: 'boolean', description: 'Follow the job until it ends; exit 1 if it fails' },
  },
  async run(ctx) {
    const client = ctx.client();
    const backupId = await resolveBackupId(client, requirePositional(ctx, 0, '<backup>', restore));
    const engine = stringOption(ctx.options, 'engine');
    const collections = listOption(ctx.options, 'collections');
    const renames = listOption(ctx.options, 'rename').map((pair) => {
      const [from, to, ...rest] = pair.split('=');
      if (!from || !to || rest.length > 0) throw usage(`--rename expects from=to (got "${pair}")`);
      return { from, to };
    });
    const input = {
      backupId,
      ...(engine ? { engineId: await resolveEngineId(client, engine) } : {}),
      ...(collections.length > 0 ? { collections } : {}),
      ...(renames.length > 0 ? { rename: renames } : {}),
      atomic: ctx.options['no-atomic'] !== true,
      ...(ctx.options['drop-existing'] === true ? { dropExisting: true } : {}),
      ...optional('suffix', stringOption(ctx.options, 'suffix')),
      ...(ctx.options.overwrite === true ? { overwrite: true } : {}),
      ...optional('onExisting', stringOption(ctx.options, 'on-existing')?.toUpperCase()),
      ...optional('timeoutSeconds', seconds(stringOption(ctx.options, 'timeout'))),
    };
    if (ctx.options['dry-run'] === true) return printRestorePlan(ctx.io, client, input, ctx.json);
    const { startRestore } = await client.request<{ startRestore: JobView }>(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { ${JOB_FIELDS} } }`, {
      i: input,
    });
    return reportJob(ctx, startRestore, ctx.options.wait === true);
  },
};

export const restoreCommands: Command[] = [restore];
