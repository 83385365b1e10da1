// The landing view: "is each engine protected, and since when" (protectionStatus), a banner when any engine is
// outside its RPO, and the history charts (size, duration, documents per backup; jobs per day for 30 days).
import { barChart, jobTimeline } from './charts.js';
import { clear, h } from './dom.js';
import { formatAge, formatBytes, formatCount, formatDuration, formatTime } from './format.js';
import { gql } from './graphql.js';

const FIELDS = `generatedAt outsideRpo engines { engineName plugin state lastBackupAt lastBackupId ageSeconds rpoSeconds nextRunAt
  activeSchedules lastVerifiedAt failuresLast7Days storageBytes backupCount engine { id } }`;
const CHART_BACKUPS = 30;
const TIMELINE_JOBS = 500;

const STATE_TEXT = { PROTECTED: 'protected', OUTSIDE_RPO: 'outside RPO', PENDING: 'first backup pending', UNSCHEDULED: 'no schedule' };

export class ProtectionView {
  constructor({ banner, table, charts }) {
    this.banner = banner;
    this.table = table;
    this.charts = charts;
  }

  async load() {
    const { protectionStatus: status } = await gql(`{ protectionStatus { ${FIELDS} } }`);
    this.renderBanner(status);
    if (status.engines.length === 0) {
      clear(this.table, h('p', { class: 'muted' }, 'No engine registered yet: add one under Engines.'));
    } else {
      clear(this.table, this.renderTable(status.engines));
    }
    await this.loadCharts(status.engines);
  }

  renderBanner(status) {
    const outside = status.engines.filter((e) => e.state === 'OUTSIDE_RPO');
    this.banner.hidden = status.engines.length === 0;
    this.banner.dataset.state = outside.length > 0 ? 'bad' : 'ok';
    this.banner.textContent =
      outside.length > 0
        ? `Outside RPO: ${outside.map((e) => `${e.engineName} (last backup ${e.ageSeconds === null ? 'never' : `${formatAge(e.ageSeconds)} ago`}, RPO ${formatAge(e.rpoSeconds)})`).join('; ')}`
        : 'Every scheduled engine has a backup within its RPO.';
  }

  renderTable(engines) {
    const head = ['Engine', 'State', 'Last backup', 'Age / RPO', 'Next run', 'Verified', 'Failed (7 d)', 'Stored'];
    return h(
      'table',
      { class: 'protection-table' },
      h('thead', null, h('tr', null, head.map((t, i) => h('th', { class: i >= 6 ? 'num' : null }, t)))),
      h(
        'tbody',
        null,
        engines.map((e) =>
          h(
            'tr',
            { dataset: { testid: 'protection-row', engineName: e.engineName, state: e.state } },
            h('td', null, h('strong', null, e.engineName), h('span', { class: 'muted' }, ` · ${e.plugin}`)),
            h('td', null, h('span', { class: 'state', dataset: { state: e.state, testid: 'protection-state' } }, STATE_TEXT[e.state] ?? e.state)),
            h('td', null, e.lastBackupAt ? formatTime(e.lastBackupAt) : h('span', { class: 'muted' }, 'never')),
            h(
              'td',
              { class: 'age', dataset: { state: e.state }, title: e.rpoSeconds ? `RPO: the longest gap between runs of its most frequent schedule (${formatDuration(e.rpoSeconds * 1000)})` : 'No active schedule' },
              e.ageSeconds === null ? '–' : `${formatAge(e.ageSeconds)} ago`,
              ' / ',
              e.rpoSeconds === null ? 'no RPO' : formatAge(e.rpoSeconds),
            ),
            h('td', null, e.nextRunAt ? formatTime(e.nextRunAt) : h('span', { class: 'muted' }, e.activeSchedules === 0 ? 'not scheduled' : '–')),
            h('td', null, e.lastVerifiedAt ? formatTime(e.lastVerifiedAt) : h('span', { class: 'muted' }, 'never')),
            h('td', { class: 'num' }, formatCount(e.failuresLast7Days)),
            h('td', { class: 'num' }, `${formatBytes(e.storageBytes)} · ${formatCount(e.backupCount)} backups`),
          ),
        ),
      ),
    );
  }

  /** Per engine its newest COMPLETE backups (oldest left), and every job of the last 30 days. */
  async loadCharts(engines) {
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const perEngine = await Promise.all(
      engines
        .filter((e) => e.engine)
        .map(async (e) => {
          const data = await gql(
            `query($f: BackupSearchInput) { searchBackups(filter: $f, first: ${CHART_BACKUPS}) { nodes { name sizeBytes documentCount createdAt completedAt } } }`,
            { f: { engineId: e.engine.id, status: ['COMPLETE'] } },
          );
          return { engine: e, backups: data.searchBackups.nodes.slice().reverse() };
        }),
    );
    const jobs = await gql(`{ jobs(first: ${TIMELINE_JOBS}) { nodes { kind status createdAt } } }`);
    const recent = jobs.jobs.nodes.filter((j) => j.createdAt >= since);
    const figures = [jobTimeline(recent)];
    for (const { engine, backups } of perEngine) {
      const at = (b) => new Date(b.completedAt ?? b.createdAt);
      figures.push(
        barChart({
          title: `${engine.engineName}: size per backup`,
          cls: 'bar-size',
          testid: 'chart-size',
          format: formatBytes,
          points: backups.map((b) => ({ at: at(b), value: b.sizeBytes === null ? null : Number(b.sizeBytes), title: b.name })),
        }),
        barChart({
          title: `${engine.engineName}: duration per backup`,
          cls: 'bar-duration',
          testid: 'chart-duration',
          format: (ms) => formatDuration(ms),
          points: backups.map((b) => ({ at: at(b), value: b.completedAt ? new Date(b.completedAt) - new Date(b.createdAt) : null, title: b.name })),
        }),
        barChart({
          title: `${engine.engineName}: documents per backup`,
          cls: 'bar-docs',
          testid: 'chart-docs',
          format: formatCount,
          points: backups.map((b) => ({ at: at(b), value: b.documentCount, title: b.name })),
        }),
      );
    }
    clear(this.charts, figures);
  }
}
