// backup-gateway jobs list|get|cancel|wait
import { type Command, listOption, requirePositional, stringOption } from '../command.ts';
import { CliError } from '../errors.ts';
import { followJob, ProgressRenderer, type JobView } from '../follow.ts';
import { JOB_FIELDS, reportJob } from '../job-report.ts';
import { formatBytes, formatCount, formatTable, printJson } from '../output.ts';
import { resolveEngineId } from '../resolve.ts';
import { count } from './backups.ts';

const list: Command = {
  words: ['jobs', 'list'],
  summary: 'List jobs, newest first.',
  options: {
    status: { type: 'string', multiple: true, value: '<s,…>', description: 'Only these statuses: queued, running, canceling, succeeded, failed, canceled' },
    kind: { type: 'string', multiple: true, value: '<k,…>', description: 'Only these kinds: backup, restore, verify, delete' },
    engine: { type: 'string', value: '<name|id>', description: "Only this engine's jobs" },
    first: { type: 'string', value: '<n>', description: 'How many (default 50, at most 500)' },
  },
  async run(ctx) {
    const client = ctx.client();
    const engine = stringOption(ctx.options, 'engine');
    const status = listOption(ctx.options, 'status').map((s) => s.toUpperCase());
    const kind = listOption(ctx.options, 'kind').map((s) => s.toUpperCase());
    const { jobs } = await client.request<{ jobs: { totalCount: number; nodes: JobView[] } }>(
      `query($status: [JobStatus!], $kind: [JobKind!], $engineId: ID, $first: Int) {
        jobs(status: $status, kind: $kind, engineId: $engineId, first: $first) { totalCount nodes { ${JOB_FIELDS} } } }`,
      {
        status: status.length > 0 ? status : null,
        kind: kind.length > 0 ? kind : null,
        engineId: engine ? await resolveEngineId(client, engine) : null,
        first: count(stringOption(ctx.options, 'first')) ?? 50,
      },
    );
    if (ctx.json) {
      printJson(ctx.io, jobs);
      return 0;
    }
    ctx.io.stdout.write(
      formatTable(
        ['ID', 'KIND', 'STATUS', 'ENGINE', 'PROGRESS', 'ERROR', 'CREATED'],
        jobs.nodes.map((j) => [j.id, j.kind, j.status, j.engine?.name, progressText(j), j.error ? `${j.error.code}` : '', j.createdAt]),
      ),
    );
    return 0;
  },
};

const get: Command = {
  words: ['jobs', 'get'],
  summary: 'Show one job.',
  args: '<job-id>',
  async run(ctx) {
    const id = requirePositional(ctx, 0, '<job-id>', get);
    const { job } = await ctx
      .client()
      .request<{ job: (JobView & { events: Array<{ at: string; status: string; phase: string; message: string | null }> }) | null }>(
        `query($id: ID!) { job(id: $id) { ${JOB_FIELDS} events(last: 20) { at status phase message } } }`,
        { id },
      );
    if (!job) throw new CliError('job_not_found', `No job with id "${id}"`);
    if (ctx.json) {
      printJson(ctx.io, job);
      return 0;
    }
    const out = ctx.io.stdout;
    out.write(`${job.kind} job ${job.id}: ${job.status}\n`);
    out.write(`  engine ${job.engine?.name ?? '-'}  backup ${job.backup?.id ?? '-'}  by ${job.createdBy}\n`);
    out.write(`  created ${job.createdAt}  started ${job.startedAt ?? '-'}  finished ${job.finishedAt ?? '-'}\n`);
    out.write(`  progress ${progressText(job)}\n`);
    if (job.error) out.write(`  error [${job.error.code}] ${job.error.message}\n`);
    if (job.events.length > 0)
      out.write(
        '\n' +
          formatTable(
            ['AT', 'STATUS', 'PHASE', 'MESSAGE'],
            job.events.map((e) => [e.at, e.status, e.phase, e.message]),
          ),
      );
    return 0;
  },
};

const cancel: Command = {
  words: ['jobs', 'cancel'],
  summary: 'Cancel a job (a restore rolls back); --wait until it has stopped.',
  args: '<job-id>',
  options: { wait: { type: 'boolean', description: 'Wait until the job has ended' } },
  async run(ctx) {
    const id = requirePositional(ctx, 0, '<job-id>', cancel);
    const { cancelJob } = await ctx.client().request<{ cancelJob: JobView }>(`mutation($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`, { id });
    if (ctx.options.wait !== true) {
      if (ctx.json) printJson(ctx.io, cancelJob);
      else ctx.io.stdout.write(`Job ${cancelJob.id} ${cancelJob.status}\n`);
      return 0;
    }
    // Waiting for a cancel: CANCELED is what was asked for (SUCCEEDED: it ended before the cancel reached it).
    const final = await followJob(ctx.client(), id, ctx.json ? null : new ProgressRenderer(ctx.io.stderr));
    if (ctx.json) printJson(ctx.io, final);
    else ctx.io.stdout.write(`Job ${final.id} ${final.status}\n`);
    if (final.status !== 'FAILED') return 0;
    ctx.io.stderr.write(`Error [${final.error?.code ?? 'internal'}]: ${final.error?.message ?? 'the job failed'}\n`);
    return 1;
  },
};

const wait: Command = {
  words: ['jobs', 'wait'],
  summary: 'Follow a job to its end with a progress bar; exit 1 if it fails.',
  args: '<job-id>',
  async run(ctx) {
    const id = requirePositional(ctx, 0, '<job-id>', wait);
    const { job } = await ctx.client().request<{ job: JobView | null }>(`query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id });
    if (!job) throw new CliError('job_not_found', `No job with id "${id}"`);
    return reportJob(ctx, job, true);
  },
};

function progressText(job: JobView): string {
  const p = job.progress;
  const counts = p.total === null ? `${formatCount(p.completed)} ${p.unit}` : `${formatCount(p.completed)}/${formatCount(p.total)} ${p.unit}`;
  return `${p.phase} ${p.percent === null ? '' : `${p.percent}% `}${counts}${p.bytes === null ? '' : ` ${formatBytes(p.bytes)}`}`;
}

export const jobCommands: Command[] = [list, get, cancel, wait];
