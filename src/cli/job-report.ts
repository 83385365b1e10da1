// What a command that starts a job prints: the job at once, or (--wait) its progress and how it ended.
import type { CommandContext } from './command.ts';
import { followJob, JOB_FIELDS, ProgressRenderer, type JobView } from './follow.ts';
import { printJson } from './output.ts';

export { JOB_FIELDS };

/** Exit code: 0 when not waiting or when the job SUCCEEDED; 1 when it FAILED or was CANCELED. */
export async function reportJob(ctx: CommandContext, job: JobView, wait: boolean): Promise<number> {
  if (!wait) {
    if (ctx.json) printJson(ctx.io, job);
    else ctx.io.stdout.write(`Started ${job.kind.toLowerCase()} job ${job.id} (${job.status})${job.backup ? `, backup ${job.backup.id}` : ''}\n`);
    return 0;
  }
  const final = await followJob(ctx.client(), job.id, ctx.json ? null : new ProgressRenderer(ctx.io.stderr));
  if (ctx.json) printJson(ctx.io, final);
  else ctx.io.stdout.write(`${capitalize(final.kind)} job ${final.id} ${final.status}${final.backup ? ` (backup ${final.backup.id})` : ''}\n`);
  if (final.status === 'SUCCEEDED') return 0;
  const code = final.error?.code ?? 'job_canceled';
  const message = final.error?.message ?? `Job ${final.id} was canceled`;
  ctx.io.stderr.write(`Error [${code}]: ${message}\n`);
  return 1;
}

function capitalize(word: string): string {
  return word.charAt(0) + word.slice(1).toLowerCase();
}
