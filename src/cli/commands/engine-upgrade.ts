// backup-gateway engines upgrade-prepare|upgrade-status|upgrade-rollback (issue 18)
import { type Command, requirePositional, stringOption } from '../command.ts';
import { JOB_FIELDS, type JobView } from '../follow.ts';
import { reportJob } from '../job-report.ts';
import { usage } from '../errors.ts';
import { formatTable, printJson } from '../output.ts';
import { resolveEngineId } from '../resolve.ts';

interface UpgradeView {
  state: string;
  from: string | null;
  to: string | null;
  taskUid: number | null;
  progress: { step: string; completed: number; total: number | null; percentage: number | null } | null;
  error: string | null;
  job: { id: string; kind: string; status: string } | null;
}

interface PreparationView {
  from: string;
  to: string;
  label: string;
  notes: string[];
  copies: Array<{ strategy: string; restoresInto: string; verifyJobId: string; backup: { id: string; name: string; status: string; pinned: boolean } }>;
}

const status: Command = {
  words: ['engines', 'upgrade-status'],
  summary: "Show an engine's in-place upgrade: state, versions, live progress, the job following it.",
  args: '<engine>',
  async run(ctx) {
    const client = ctx.client();
    const id = await resolveEngineId(client, requirePositional(ctx, 0, '<engine>', status));
    const { engine } = await client.request<{ engine: { name: string; upgrade: UpgradeView | null } | null }>(
      `query($id: ID!) { engine(id: $id) { name upgrade { state from to taskUid progress { step completed total percentage } error job { id kind status } } } }`,
      { id },
    );
    const upgrade = engine?.upgrade ?? null;
    if (ctx.json) {
      printJson(ctx.io, upgrade);
      return 0;
    }
    if (!upgrade) {
      ctx.io.stdout.write(`Engine ${engine?.name ?? id}: its plugin has no in-place upgrades\n`);
      return 0;
    }
    const p = upgrade.progress;
    ctx.io.stdout.write(
      formatTable(
        ['STATE', 'FROM', 'TO', 'TASK', 'PROGRESS', 'JOB', 'ERROR'],
        [
          [
            upgrade.state,
            upgrade.from,
            upgrade.to,
            upgrade.taskUid === null ? null : String(upgrade.taskUid),
            p ? `${p.step} ${p.completed}/${p.total ?? '?'}${p.percentage === null ? '' : ` (${p.percentage.toFixed(1)}%)`}` : null,
            upgrade.job ? `${upgrade.job.kind} ${upgrade.job.id} ${upgrade.job.status}` : null,
            upgrade.error,
          ],
        ],
      ),
    );
    return 0;
  },
};

const prepare: Command = {
  words: ['engines', 'upgrade-prepare'],
  summary: 'Take the verified, pinned safety copy before upgrading an engine to --to <version>.',
  args: '<engine>',
  options: { to: { type: 'string', value: '<version>', description: 'The version the engine will be upgraded to (required)' } },
  details: 'Example: backup-gateway engines upgrade-prepare meili --to 1.16.0',
  async run(ctx) {
    const client = ctx.client();
    const id = await resolveEngineId(client, requirePositional(ctx, 0, '<engine>', prepare));
    const to = stringOption(ctx.options, 'to');
    if (!to) throw usage('--to <version> is required');
    const { prepareEngineUpgrade: result } = await client.request<{ prepareEngineUpgrade: PreparationView }>(
      `mutation($e: ID!, $to: String!) { prepareEngineUpgrade(engineId: $e, targetVersion: $to) {
        from to label notes copies { strategy restoresInto verifyJobId backup { id name status pinned } } } }`,
      { e: id, to },
    );
    if (ctx.json) {
      printJson(ctx.io, result);
      return 0;
    }
    ctx.io.stdout.write(`Safety copy ${result.label} (verified, pinned):\n`);
    ctx.io.stdout.write(
      formatTable(
        ['STRATEGY', 'BACKUP', 'RESTORES INTO', 'ID'],
        result.copies.map((c) => [c.strategy, c.backup.name, c.restoresInto, c.backup.id]),
      ),
    );
    for (const note of result.notes) ctx.io.stdout.write(`Note: ${note}\n`);
    return 0;
  },
};

const rollback: Command = {
  words: ['engines', 'upgrade-rollback'],
  summary: "Roll an engine's running or failed upgrade back (ADMIN); --wait follows it.",
  args: '<engine>',
  options: { wait: { type: 'boolean', description: 'Follow the rollback job to its end' } },
  async run(ctx) {
    const client = ctx.client();
    const id = await resolveEngineId(client, requirePositional(ctx, 0, '<engine>', rollback));
    const { rollbackEngineUpgrade: job } = await client.request<{ rollbackEngineUpgrade: JobView }>(`mutation($e: ID!) { rollbackEngineUpgrade(engineId: $e) { ${JOB_FIELDS} } }`, {
      e: id,
    });
    return reportJob(ctx, job, ctx.options.wait === true);
  },
};

export const engineUpgradeCommands: Command[] = [prepare, status, rollback];
