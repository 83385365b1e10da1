// The jobs list, fed live by the jobEvents subscription: a progress bar per job (percent, or an honest
// indeterminate bar when the total is unknown), phase, counts, bytes, ETA, and a cancel button.
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { EtaEstimator, formatBytes, formatCount, formatDuration, formatTime, shortId } from './format.js';
import { gql, subscribe } from './graphql.js';
import { openJobDetail } from './job-detail.js';

export const JOB_FIELDS = `id kind status createdAt startedAt finishedAt createdBy
  engine { id name } backup { id name }
  progress { phase completed total unit percent bytes message updatedAt }
  error { code message type }`;

const ACTIVE = new Set(['QUEUED', 'RUNNING', 'CANCELING']);
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const SHOWN = 30;
const RECONNECT_MS = [1000, 2000, 5000];

class JobRow {
  constructor(job, onCancel) {
    this.eta = new EtaEstimator();
    this.fill = h('div', { class: 'bar-fill' });
    this.bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', dataset: { testid: 'progress' } }, this.fill);
    this.status = h('span', { class: 'status', dataset: { testid: 'job-status' } });
    this.line = h('div', { class: 'job-line', dataset: { testid: 'job-line' } });
    this.errorLine = h('div', { class: 'job-error', hidden: true });
    this.title = h('div', { class: 'job-title clickable', title: 'Details and events', dataset: { testid: 'job-title' }, onclick: () => void openJobDetail(this.job.id) });
    this.cancel = h('button', { type: 'button', class: 'danger small', 'data-needs': 'OPERATOR', dataset: { testid: 'cancel-job' }, onclick: () => onCancel(this.job) }, 'Cancel');
    this.el = h(
      'div',
      { class: 'job', dataset: { testid: 'job', jobId: job.id } },
      this.title,
      h('div', { class: 'job-progress' }, this.bar, this.line, this.errorLine),
      h('div', { class: 'job-actions' }, this.status, ' ', this.cancel),
    );
    this.update(job);
  }

  /** Ignores a stale state arriving after a newer one (the list load racing the live feed). */
  update(job) {
    const current = this.job;
    if (current && TERMINAL.has(current.status) && !TERMINAL.has(job.status)) return;
    if (current && current.status === job.status && job.progress.updatedAt < current.progress.updatedAt) return;
    this.job = job;
    const p = job.progress;
    this.el.dataset.status = job.status;
    clear(
      this.title,
      h('span', { class: 'kind' }, `${job.kind.charAt(0)}${job.kind.slice(1).toLowerCase().replace(/_/g, ' ')}`, job.engine ? ` · ${job.engine.name}` : ''),
      h('span', { class: 'muted mono', title: job.id }, shortId(job.id), ' · ', formatTime(job.createdAt)),
    );
    this.status.textContent = job.status;
    this.status.dataset.status = job.status;

    // The bar: a known total gives a percent; SUCCEEDED is complete; otherwise the total is unknown.
    const percent = job.status === 'SUCCEEDED' ? 100 : p.percent;
    const indeterminate = percent === null && ACTIVE.has(job.status);
    this.bar.dataset.state = job.status.toLowerCase();
    this.bar.toggleAttribute('data-indeterminate', indeterminate);
    if (percent === null) {
      this.bar.removeAttribute('aria-valuenow');
      this.bar.setAttribute('aria-valuetext', indeterminate ? `${p.phase}: total unknown` : job.status.toLowerCase());
      this.fill.style.width = '';
    } else {
      this.bar.setAttribute('aria-valuenow', String(percent));
      this.bar.setAttribute('aria-valuetext', `${percent.toFixed(1)} %`);
      this.fill.style.width = `${percent}%`;
    }

    const parts = [p.phase];
    if (percent !== null) parts.push(`${percent.toFixed(1)} %`);
    if (p.total !== null) parts.push(`${formatCount(p.completed)} / ${formatCount(p.total)} ${p.unit}`);
    else if (ACTIVE.has(job.status)) parts.push(`${formatCount(p.completed)} ${p.unit} · total unknown`);
    else if (p.completed > 0) parts.push(`${formatCount(p.completed)} ${p.unit}`);
    if (p.bytes !== null) parts.push(formatBytes(p.bytes));
    if (ACTIVE.has(job.status)) {
      const eta = this.eta.estimate(p.completed, p.total);
      if (eta !== null && eta >= 1000) parts.push(`ETA ${formatDuration(eta)}`);
    }
    if (job.finishedAt && job.startedAt) parts.push(`took ${formatDuration(new Date(job.finishedAt) - new Date(job.startedAt))}`);
    if (p.message && ACTIVE.has(job.status)) parts.push(p.message);
    this.line.textContent = parts.join(' · ');

    this.errorLine.hidden = !job.error;
    this.errorLine.textContent = job.error ? `[${job.error.code}] ${job.error.message}` : '';
    this.cancel.hidden = !ACTIVE.has(job.status);
    this.cancel.disabled = job.status === 'CANCELING';
    this.cancel.textContent = job.status === 'CANCELING' ? 'Canceling…' : 'Cancel';
  }
}

export class JobsView {
  constructor(root, feedStatus, { onJobEnded }) {
    this.root = root;
    this.feedStatus = feedStatus;
    this.onJobEnded = onJobEnded;
    this.rows = new Map();
    this.list = h('div', { class: 'job-list' });
    this.empty = h('p', { class: 'muted' }, 'No jobs yet. Start one with "Back up" on an engine, or "Restore" in the catalog.');
    this.stop = null;
    this.attempt = 0;
  }

  async load() {
    const data = await gql(`query { jobs(first: ${SHOWN}) { nodes { ${JOB_FIELDS} } } }`);
    const nodes = data.jobs.nodes;
    for (const job of [...nodes].reverse()) this.upsert(job, { quiet: true });
    this.render();
  }

  render() {
    clear(this.root, this.rows.size === 0 ? this.empty : this.list);
  }

  /** A job as the API shows it: a new row at the top, or the existing row updated in place. */
  upsert(job, { quiet = false } = {}) {
    const row = this.rows.get(job.id);
    if (!row) {
      const added = new JobRow(job, (j) => this.cancel(j));
      this.rows.set(job.id, added);
      this.list.prepend(added.el);
      while (this.rows.size > SHOWN) {
        const oldest = this.list.lastElementChild;
        this.rows.delete(oldest.dataset.jobId);
        oldest.remove();
      }
      this.render();
      return;
    }
    const wasActive = ACTIVE.has(row.job.status);
    row.update(job);
    if (!quiet && wasActive && TERMINAL.has(row.job.status)) this.onJobEnded(row.job);
  }

  async cancel(job) {
    await guarded(`Cancel ${job.kind.toLowerCase()} job ${shortId(job.id)}`, async () => {
      const data = await gql(`mutation($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`, { id: job.id });
      this.upsert(data.cancelJob);
    });
  }

  /** Every change of every job, over SSE; reconnects (and reloads the list) when the stream drops. */
  startFeed() {
    this.setFeed('connecting');
    this.stop = subscribe(`subscription { jobEvents { ${JOB_FIELDS} } }`, {}, {
      onOpen: () => {
        this.attempt = 0;
        this.setFeed('live');
      },
      onData: (data) => this.upsert(data.jobEvents),
      onEnd: (error) => {
        this.setFeed('reconnecting', error);
        const delay = RECONNECT_MS[Math.min(this.attempt++, RECONNECT_MS.length - 1)];
        setTimeout(() => {
          this.startFeed();
          this.load().catch(() => undefined);
        }, delay);
      },
    });
  }

  setFeed(state, error) {
    this.feedStatus.dataset.state = state;
    this.feedStatus.textContent = `live updates: ${state}`;
    this.feedStatus.title = error ? `[${error.code}] ${error.message}` : 'Live job updates (jobEvents subscription over SSE)';
  }
}
