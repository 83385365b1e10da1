// Jobs at scale: every job ever run, searched (id prefix, engine or backup name) and filtered (kind, status,
// engine) on the server, newest or oldest first, paged by cursor; a click opens its detail (events, error code). The live list beside the views shows
// only the newest.
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { formatDuration, formatTime, shortId } from './format.js';
import { gql } from './graphql.js';
import { openJobDetail } from './job-detail.js';

const PAGE_SIZE = 25;

export class JobHistoryView {
  constructor(root, { filters, pager }) {
    this.root = root;
    this.filters = filters;
    this.pager = pager;
    // The cursors of the pages seen so far: "newer" goes back one.
    this.cursors = [null];
    let typing;
    filters.addEventListener('change', () => this.reload());
    // Typing in the search box waits for a pause; Enter searches at once.
    filters.addEventListener('input', (event) => {
      if (event.target.name !== 'search') return;
      clearTimeout(typing);
      typing = setTimeout(() => this.reload(), 300);
    });
    filters.addEventListener('submit', (event) => {
      event.preventDefault();
      this.reload();
    });
    pager.prev.addEventListener('click', () => {
      this.cursors.pop();
      void guarded('Page the jobs', () => this.load());
    });
    pager.next.addEventListener('click', () => {
      if (this.nextCursor) this.cursors.push(this.nextCursor);
      void guarded('Page the jobs', () => this.load());
    });
  }

  setEngines(engines) {
    const select = this.filters.querySelector('[name="engineId"]');
    const chosen = select.value;
    clear(select, h('option', { value: '' }, 'Every engine'), engines.map((e) => h('option', { value: e.id, selected: e.id === chosen }, e.name)));
  }

  reload() {
    this.cursors = [null];
    void guarded('Filter the jobs', () => this.load());
  }

  async load() {
    const value = (name) => this.filters.querySelector(`[name="${name}"]`).value;
    const variables = {
      kind: value('kind') ? [value('kind')] : null,
      status: value('status') ? [value('status')] : null,
      engineId: value('engineId') || null,
      search: value('search').trim() || null,
      sort: value('sort') || 'NEWEST',
      after: this.cursors.at(-1),
    };
    const data = await gql(
      `query($kind: [JobKind!], $status: [JobStatus!], $engineId: ID, $search: String, $sort: JobSort, $after: String) {
        jobs(kind: $kind, status: $status, engineId: $engineId, search: $search, sort: $sort, first: ${PAGE_SIZE}, after: $after) {
          totalCount pageInfo { hasNextPage endCursor }
          nodes { id kind status createdAt startedAt finishedAt createdBy engine { name } backup { name } error { code message } progress { completed unit } } } }`,
      variables,
    );
    const { nodes, totalCount, pageInfo } = data.jobs;
    this.nextCursor = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    this.pager.prev.disabled = this.cursors.length <= 1;
    this.pager.next.disabled = !pageInfo.hasNextPage;
    this.pager.label.textContent = `Page ${this.cursors.length} of ${Math.max(1, Math.ceil(totalCount / PAGE_SIZE))} · ${totalCount.toLocaleString('en-US')} jobs`;
    this.pager.label.dataset.total = String(totalCount);
    if (nodes.length === 0) {
      clear(this.root, h('p', { class: 'muted' }, 'No job matches.'));
      return;
    }
    const head = ['Job', 'Kind', 'Engine', 'Status', 'Created', 'Took', 'Moved', 'Error'];
    clear(
      this.root,
      h(
        'table',
        null,
        h('thead', null, h('tr', null, head.map((t) => h('th', null, t)))),
        h(
          'tbody',
          null,
          nodes.map((j) =>
            h(
              'tr',
              { class: 'clickable', dataset: { testid: 'job-history-row', status: j.status, jobId: j.id }, title: 'Details and events', onclick: () => void openJobDetail(j.id) },
              h('td', { class: 'mono' }, shortId(j.id)),
              h('td', null, j.kind.toLowerCase(), j.backup ? h('span', { class: 'muted' }, ` · ${j.backup.name}`) : null),
              h('td', null, j.engine?.name ?? '–'),
              h('td', null, h('span', { class: 'status', dataset: { status: j.status } }, j.status)),
              h('td', null, formatTime(j.createdAt)),
              h('td', null, j.startedAt && j.finishedAt ? formatDuration(new Date(j.finishedAt) - new Date(j.startedAt)) : '–'),
              h('td', { class: 'num' }, j.progress.completed > 0 ? `${j.progress.completed.toLocaleString('en-US')} ${j.progress.unit}` : '–'),
              h('td', { class: 'job-error' }, j.error ? `[${j.error.code}] ${j.error.message.length > 80 ? `${j.error.message.slice(0, 80)}…` : j.error.message}` : ''),
            ),
          ),
        ),
      ),
    );
  }
}
