// A job's detail: what it was asked to do, its events timeline (every phase and status change, kept with the
// job), the error with its code, and its progress numbers.
import { h } from './dom.js';
import { guarded } from './errors.js';
import { openDetail } from './form-dialog.js';
import { formatBytes, formatCount, formatDuration, formatTime } from './format.js';
import { gql } from './graphql.js';

const FIELDS = `id kind status createdAt startedAt finishedAt createdBy input
  engine { name } backup { id name }
  progress { phase completed total unit bytes message }
  error { code message type }
  events { at status phase message }`;

export async function openJobDetail(id) {
  await guarded('Job detail', async () => {
    const { job } = await gql(`query($id: ID!) { job(id: $id) { ${FIELDS} } }`, { id });
    if (!job) throw Object.assign(new Error(`No job ${id}`), { code: 'job_not_found' });
    const p = job.progress;
    const took = job.startedAt && job.finishedAt ? formatDuration(new Date(job.finishedAt) - new Date(job.startedAt)) : '–';
    openDetail(
      `${job.kind.charAt(0)}${job.kind.slice(1).toLowerCase()} job ${job.id.slice(0, 8)} · ${job.status}`,
      [
        h(
          'table',
          null,
          h(
            'tbody',
            null,
            [
              ['Engine', job.engine?.name ?? '–'],
              ['Backup', job.backup ? `${job.backup.name} (${job.backup.id})` : '–'],
              ['Started by', job.createdBy],
              ['Created', formatTime(job.createdAt)],
              ['Finished', `${formatTime(job.finishedAt)} · took ${took}`],
              ['Moved', `${formatCount(p.completed)} ${p.unit}${p.total !== null ? ` of ${formatCount(p.total)}` : ''}${p.bytes !== null ? ` · ${formatBytes(p.bytes)}` : ''}`],
            ].map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))),
          ),
        ),
        job.error
          ? h(
              'div',
              { class: 'error-card', dataset: { testid: 'job-error', code: job.error.code } },
              h('span', { class: 'code' }, job.error.code),
              h('span', { class: 'context' }, job.error.type),
              h('p', { class: 'message' }, job.error.message),
            )
          : null,
        h('h3', null, 'Events'),
        h(
          'ol',
          { class: 'timeline', dataset: { testid: 'job-events' } },
          job.events.map((e) => h('li', null, h('span', { class: 'muted' }, formatTime(e.at)), h('span', { class: 'status', dataset: { status: e.status } }, e.status), h('span', null, e.phase, e.message ? ` — ${e.message}` : ''))),
        ),
        h('details', null, h('summary', null, 'Input'), h('pre', { class: 'mono' }, JSON.stringify(job.input, null, 2))),
      ],
      'job-detail',
    );
  });
}
