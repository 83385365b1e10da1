// `--wait`: follows a job through the jobUpdated subscription (polling if the stream breaks) and draws a
// progress bar on stderr — redrawn in place on a terminal, one line per step when piped.
import type { GatewayClient } from './client.ts';
import { CliError } from './errors.ts';
import { formatBytes, formatCount, formatDuration, type CliStream } from './output.ts';

export const JOB_FIELDS = `id kind status createdAt startedAt finishedAt createdBy
  engine { id name } backup { id name status }
  progress { phase completed total unit percent bytes message updatedAt }
  error { code message type }`;

export interface JobView {
  id: string;
  kind: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdBy: string;
  engine: { id: string; name: string } | null;
  backup: { id: string; name: string; status: string } | null;
  progress: { phase: string; completed: number; total: number | null; unit: string; percent: number | null; bytes: number | null; message: string | null };
  error: { code: string; message: string; type: string } | null;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const POLL_MS = 500;
/** Errors that polling would only repeat: stop at once. */
const FATAL_CODES = new Set(['missing_authorization_header', 'invalid_api_key', 'insufficient_scope', 'job_not_found']);

export function isTerminal(status: string): boolean {
  return TERMINAL.has(status);
}

export async function followJob(client: GatewayClient, jobId: string, progress: ProgressRenderer | null): Promise<JobView> {
  let last: JobView | undefined;
  try {
    for await (const data of client.subscribe<{ jobUpdated: JobView }>(`subscription($id: ID!) { jobUpdated(id: $id) { ${JOB_FIELDS} } }`, { id: jobId })) {
      last = data.jobUpdated;
      progress?.update(last);
      if (isTerminal(last.status)) break;
    }
  } catch (error) {
    if (!(error instanceof CliError) || FATAL_CODES.has(error.code)) throw error;
    progress?.note(`live updates interrupted (${error.message}); polling`);
  }
  while (!last || !isTerminal(last.status)) {
    if (last) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const data = await client.request<{ job: JobView | null }>(`query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id: jobId });
    if (!data.job) throw new CliError('job_not_found', `No job with id "${jobId}"`);
    last = data.job;
    progress?.update(last);
  }
  progress?.finish(last);
  return last;
}

/** Rate over the last ~30 s of samples; null while it cannot be told (no total, no movement yet). */
export class EtaEstimator {
  private samples: Array<{ at: number; completed: number }> = [];

  constructor(private readonly windowMs = 30_000) {}

  estimate(completed: number, total: number | null, now = Date.now()): number | null {
    const previous = this.samples.at(-1);
    if (!previous || completed < previous.completed) this.samples = [];
    this.samples.push({ at: now, completed });
    while (this.samples.length > 2 && now - this.samples[0]!.at > this.windowMs) this.samples.shift();
    if (total === null || completed >= total) return total === null ? null : 0;
    const first = this.samples[0]!;
    const rate = (completed - first.completed) / (now - first.at);
    return rate > 0 && now - first.at >= 500 ? (total - completed) / rate : null;
  }
}

const BAR_WIDTH = 30;

export class ProgressRenderer {
  private readonly eta = new EtaEstimator();
  private lastDraw = 0;
  private lastLine = '';
  private lastStep = '';
  private frame = 0;
  private drawn = false;

  constructor(private readonly out: CliStream) {}

  update(job: JobView): void {
    const line = this.describe(job);
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && !isTerminal(job.status)) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[K${line}`);
      this.drawn = true;
      return;
    }
    // Piped: a line per status or phase change, per 10 % step, or every 2 s when the total is unknown.
    const p = job.progress;
    const bucket = p.percent === null ? `t${Math.floor(Date.now() / 2000)}` : `p${Math.floor(p.percent / 10)}`;
    const step = `${job.status}|${p.phase}|${bucket}`;
    if (step === this.lastStep || line === this.lastLine) return;
    this.lastStep = step;
    this.lastLine = line;
    this.out.write(line + '\n');
  }

  note(message: string): void {
    this.out.write(`${this.out.isTTY && this.drawn ? '\n' : ''}${message}\n`);
    this.drawn = false;
  }

  finish(job: JobView): void {
    const line = this.describe(job);
    if (this.out.isTTY) this.out.write(`\r\x1b[K${line}\n`);
    else if (line !== this.lastLine) this.out.write(line + '\n');
  }

  describe(job: JobView): string {
    const p = job.progress;
    const done = job.status === 'SUCCEEDED';
    const percent = done ? 100 : p.percent;
    const bar = percent === null ? this.indeterminate() : this.bar(percent);
    const parts = [`${bar} ${percent === null ? '   ?  ' : `${percent.toFixed(1).padStart(5)}%`}`, job.status, p.phase];
    if (p.total !== null) parts.push(`${formatCount(p.completed)}/${formatCount(p.total)} ${p.unit}`);
    else if (p.completed > 0 || !isTerminal(job.status)) parts.push(`${formatCount(p.completed)} ${p.unit}`);
    if (p.bytes !== null) parts.push(formatBytes(p.bytes));
    if (!isTerminal(job.status)) {
      const eta = this.eta.estimate(p.completed, p.total);
      if (eta !== null && eta >= 1000) parts.push(`ETA ${formatDuration(eta)}`);
    }
    if (job.error) parts.push(`${job.error.code}: ${job.error.message}`);
    return parts.join('  ');
  }

  private bar(percent: number): string {
    const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * BAR_WIDTH);
    return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  }

  /** No total: a block that moves, never a made-up fraction. */
  private indeterminate(): string {
    if (!this.out.isTTY) return `[${'~'.repeat(BAR_WIDTH)}]`;
    const size = 6;
    const span = BAR_WIDTH - size;
    const position = Math.abs((this.frame++ % (2 * span)) - span);
    return `[${' '.repeat(position)}${'#'.repeat(size)}${' '.repeat(span - position)}]`;
  }
}
