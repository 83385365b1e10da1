// The catalog: backups searched, filtered, sorted and paged on the server (searchBackups), each with its status,
// per-collection counts and sizes; opened, its files with full sha256, labels, chain parent and a download of
// native artifacts; "Restore", "Verify" (when the gateway offers verifyBackup) and "Delete". A backup set shows as
// one row holding its members of the page (their own rows, unchanged, inside it). Each opened backup links to its
// own page (#backup/<id>, backup-page.js), which shows the same detail.
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { formatBytes, formatCount, formatTime, shortId } from './format.js';
import { apiKey, GatewayError, gql } from './graphql.js';
import { JOB_FIELDS } from './jobs.js';

// The list stays within the gateway's query cost limit (page size × fields); files load when a row opens.
const PAGE_SIZE = 25;
export const BACKUP_FIELDS = `id name status strategy type origin plugin sizeBytes documentCount createdAt completedAt verifiedAt warnings labels
  engine { id name } set { id }
  collections { name documentCount bytes }`;
const SET_FIELDS = 'id name status memberCount documentCount sizeBytes verification createdAt';
const ARTIFACT_FIELDS = `artifactCount parent { id name createdAt } artifacts { path bytes sha256 collection external location }
  verifications(first: 10) { id status createdAt finishedAt error { code message } }`;

export class CatalogView {
  constructor(root, { onRestore, onJobStarted, features, filters, pager }) {
    this.root = root;
    this.onRestore = onRestore;
    this.onJobStarted = onJobStarted;
    this.features = features;
    this.filters = filters;
    this.pager = pager;
    this.backups = [];
    this.page = 1;
    let typing;
    // A changed filter starts again at page 1; typing waits for a pause.
    filters.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => this.reload(), 300);
    });
    filters.addEventListener('submit', (event) => {
      event.preventDefault();
      this.reload();
    });
    pager.prev.addEventListener('click', () => this.go(this.page - 1));
    pager.next.addEventListener('click', () => this.go(this.page + 1));
  }

  /** Engines for the engine filter, keeping the current choice. */
  setEngines(engines) {
    const select = this.filters.querySelector('[name="engineId"]');
    const chosen = select.value;
    clear(select, h('option', { value: '' }, 'Every engine'), engines.map((e) => h('option', { value: e.id, selected: e.id === chosen }, e.name)));
  }

  reload() {
    this.page = 1;
    void guarded('Search the catalog', () => this.load());
  }

  go(page) {
    this.page = Math.max(1, page);
    void guarded('Page the catalog', () => this.load());
  }

  query() {
    const value = (name) => this.filters.querySelector(`[name="${name}"]`).value.trim();
    // Dates are the browser's days: from its midnight to the next one.
    const day = (text, plus) => (text ? new Date(new Date(`${text}T00:00:00`).getTime() + plus).toISOString() : undefined);
    const filter = {
      ...(value('text') ? { text: value('text') } : {}),
      ...(value('engineId') ? { engineId: value('engineId') } : {}),
      ...(value('status') ? { status: [value('status')] } : {}),
      ...(value('strategy') ? { strategy: value('strategy') } : {}),
      ...(value('from') ? { createdAfter: day(value('from'), 0) } : {}),
      ...(value('to') ? { createdBefore: day(value('to'), 86_400_000) } : {}),
    };
    return { filter, sort: value('sort') || 'NEWEST' };
  }

  async load() {
    const { filter, sort } = this.query();
    const variables = { f: filter, s: sort, o: (this.page - 1) * PAGE_SIZE };
    const withSets = this.features.has('startBackupSet');
    const sets = withSets ? ` backupSets(first: ${PAGE_SIZE}) { nodes { ${SET_FIELDS} } }` : '';
    const data = await gql(
      `query($f: BackupSearchInput, $s: BackupSort, $o: Int) { searchBackups(filter: $f, sort: $s, first: ${PAGE_SIZE}, offset: $o) { totalCount pageInfo { hasNextPage } nodes { ${BACKUP_FIELDS} } }${sets} }`,
      variables,
    );
    const result = data.searchBackups;
    const pages = Math.max(1, Math.ceil(result.totalCount / PAGE_SIZE));
    if (this.page > pages && result.totalCount > 0) return this.go(pages);
    this.backups = result.nodes;
    this.pager.prev.disabled = this.page <= 1;
    this.pager.next.disabled = !result.pageInfo.hasNextPage;
    this.pager.label.textContent = `Page ${this.page} of ${pages} · ${result.totalCount.toLocaleString('en-US')} backups`;
    this.pager.label.dataset.total = String(result.totalCount);
    this.pager.label.dataset.page = String(this.page);
    const open = new Set([...this.root.querySelectorAll('details[open]')].map((d) => d.dataset.backupId ?? d.dataset.setId));
    if (this.backups.length === 0) {
      clear(this.root, h('p', { class: 'muted' }, Object.keys(filter).length > 0 ? 'No backup matches.' : 'No backups yet.'));
      return;
    }
    clear(this.root, this.rows(withSets ? data.backupSets.nodes : [], open));
  }

  /** Newest first; the members of a listed set go inside its row, placed where its newest member would be. */
  rows(sets, open) {
    const byId = new Map(sets.map((set) => [set.id, set]));
    const placed = new Set();
    const rows = [];
    for (const backup of this.backups) {
      const set = backup.set ? byId.get(backup.set.id) : null;
      if (!set) rows.push(this.item(backup, open.has(backup.id)));
      else if (!placed.has(set.id)) {
        placed.add(set.id);
        const members = this.backups.filter((b) => b.set?.id === set.id);
        rows.push(this.setItem(set, members, open));
      }
    }
    return rows;
  }

  setItem(set, members, open) {
    const verification = set.verification === 'VERIFIED' ? 'verified' : set.verification === 'DAMAGED' ? 'damaged' : 'never verified';
    return h(
      'details',
      { class: 'backup set', open: open.has(set.id), dataset: { testid: 'backup-set', setId: set.id, status: set.status } },
      h(
        'summary',
        null,
        h('span', { class: 'name', title: set.id }, set.name),
        h('span', null, `set of ${set.memberCount} engines`),
        h('span', { class: 'muted' }, members.map((m) => m.engine?.name ?? '?').join(' · ')),
        h('span', { class: 'status', dataset: { status: set.status } }, set.status),
        h('span', { class: 'num' }, `${formatCount(set.documentCount)} docs`),
        h('span', { class: 'num' }, formatBytes(set.sizeBytes)),
        h('span', { class: 'muted' }, formatTime(set.createdAt), ' · ', verification),
        h('span', { class: 'actions' }),
      ),
      h('div', { class: 'details set-members' }, members.map((m) => this.item(m, open.has(m.id)))),
    );
  }

  item(backup, open) {
    const files = h('div', null, h('h4', null, 'Files'), h('p', { class: 'muted' }, 'Loading…'));
    const verified = backup.verifiedAt
      ? h('span', { class: 'verify done', dataset: { testid: 'verify-status' } }, `verified ${formatTime(backup.verifiedAt)}`)
      : h('span', { class: 'verify never', dataset: { testid: 'verify-status' } }, 'never verified');
    const restorable = backup.status === 'COMPLETE';
    const actions = h(
      'span',
      { class: 'actions' },
      h('button', { type: 'button', class: 'small', 'data-needs': 'OPERATOR', disabled: !restorable, dataset: { testid: 'restore-button' }, onclick: (e) => this.stopThen(e, () => this.onRestore(backup)) }, 'Restore'),
      this.features.has('verifyBackup') && restorable
        ? h('button', { type: 'button', class: 'secondary small', 'data-needs': 'OPERATOR', dataset: { testid: 'verify-button' }, onclick: (e) => this.stopThen(e, () => this.verify(backup)) }, 'Verify')
        : null,
      backup.status !== 'DELETED'
        ? h('button', { type: 'button', class: 'danger small', 'data-needs': 'OPERATOR', onclick: (e) => this.stopThen(e, () => this.remove(backup)) }, 'Delete')
        : null,
    );
    const details = h(
      'details',
      { class: 'backup', open, dataset: { testid: 'backup', backupId: backup.id, status: backup.status } },
      h(
        'summary',
        null,
        h('span', { class: 'name', title: backup.id }, backup.name),
        h('span', null, backup.engine?.name ?? h('span', { class: 'muted' }, '(engine removed)')),
        h('span', { class: 'muted' }, `${backup.strategy.toLowerCase()} · ${backup.type.toLowerCase()}`),
        h('span', { class: 'status', dataset: { status: backup.status } }, backup.status),
        h('span', { class: 'num' }, `${formatCount(backup.documentCount)} docs`),
        h('span', { class: 'num' }, formatBytes(backup.sizeBytes)),
        h('span', { class: 'muted' }, formatTime(backup.createdAt), ' · ', verified),
        actions,
      ),
      h(
        'div',
        { class: 'details' },
        h(
          'div',
          null,
          h('h4', null, 'Collections'),
          h(
            'table',
            null,
            h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', { class: 'num' }, 'Documents'), h('th', { class: 'num' }, 'Size'))),
            h(
              'tbody',
              null,
              backup.collections.map((c) =>
                h('tr', { dataset: { testid: 'backup-collection' } }, h('td', null, c.name), h('td', { class: 'num' }, formatCount(c.documentCount)), h('td', { class: 'num' }, formatBytes(c.bytes))),
              ),
            ),
          ),
        ),
        files,
        backup.warnings.length > 0 ? h('ul', { class: 'warnings' }, backup.warnings.map((w) => h('li', null, w))) : null,
        backup.labels && Object.keys(backup.labels).length > 0
          ? h('p', { class: 'labels' }, 'Labels: ', Object.entries(backup.labels).map(([k, v]) => h('span', { class: 'chip', dataset: { testid: 'label' } }, `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)))
          : null,
        h('p', { class: 'muted mono' }, `id ${backup.id} · origin ${backup.origin.toLowerCase()} · completed ${formatTime(backup.completedAt)}`),
        h('p', null, h('a', { href: `#backup/${encodeURIComponent(backup.id)}`, dataset: { testid: 'backup-page-link' } }, 'Open as a page (a link to share)')),
      ),
    );
    let loaded = false;
    const loadFiles = () => {
      if (loaded || !details.open) return;
      loaded = true;
      void this.loadFiles(backup.id, files);
    };
    details.addEventListener('toggle', loadFiles);
    if (open) loadFiles();
    return details;
  }

  async loadFiles(id, files) {
    try {
      const data = await gql(`query($id: ID!) { backup(id: $id) { ${ARTIFACT_FIELDS} } }`, { id });
      const artifacts = data.backup?.artifacts ?? [];
      const parent = data.backup?.parent;
      clear(
        files,
        h('h4', null, `Files (${data.backup?.artifactCount ?? artifacts.length})`),
        verificationHistory(data.backup?.verifications ?? []),
        parent ? h('p', { class: 'muted', dataset: { testid: 'chain-parent' } }, `Builds on ${parent.name} (${shortId(parent.id)}, ${formatTime(parent.createdAt)})`) : null,
        h(
          'table',
          null,
          h('thead', null, h('tr', null, h('th', null, 'Path'), h('th', { class: 'num' }, 'Size'), h('th', null, 'sha256'), h('th', null, ''))),
          h(
            'tbody',
            null,
            artifacts.map((a) =>
              h(
                'tr',
                { dataset: { testid: 'artifact' } },
                h('td', { class: 'mono' }, a.path),
                h('td', { class: 'num' }, formatBytes(a.bytes)),
                h('td', { class: 'mono sha', title: a.sha256 || a.location || '' }, a.external ? `external: ${a.location ?? '?'}` : a.sha256),
                h('td', null, !a.external && a.path.startsWith('native/') ? h('button', { type: 'button', class: 'secondary small', onclick: () => void this.download(id, a.path) }, 'Download') : null),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      clear(files, h('h4', null, 'Files'), h('p', { class: 'job-error' }, `[${error.code}] ${error.message}`));
    }
  }

  /** A native artifact through GET /backups/<id>/artifacts/<path>, with this tab's key (a plain link has none). */
  async download(id, artifactPath) {
    await guarded(`Download ${artifactPath}`, async () => {
      const key = apiKey.get();
      const response = await fetch(`/backups/${encodeURIComponent(id)}/artifacts/${artifactPath.split('/').map(encodeURIComponent).join('/')}`, {
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        throw new GatewayError(body?.code ?? body?.errors?.[0]?.extensions?.code ?? 'internal', body?.message ?? body?.errors?.[0]?.message ?? `HTTP ${response.status}`);
      }
      const url = URL.createObjectURL(await response.blob());
      const link = h('a', { href: url, download: artifactPath.split('/').at(-1) });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  }

  /** Buttons sit inside <summary>: a click must not also fold the row. */
  stopThen(event, action) {
    event.preventDefault();
    event.stopPropagation();
    void action();
  }

  async verify(backup) {
    await guarded(`Verify backup ${backup.name}`, async () => {
      const data = await gql(`mutation($id: ID!) { verifyBackup(id: $id) { ${JOB_FIELDS} } }`, { id: backup.id });
      this.onJobStarted(data.verifyBackup);
    });
  }

  async remove(backup) {
    if (!window.confirm(`Delete the files of backup "${backup.name}" (${shortId(backup.id)})? The catalog keeps it as DELETED.`)) return;
    await guarded(`Delete backup ${backup.name}`, async () => {
      await gql('mutation($id: ID!) { deleteBackup(id: $id) { id status } }', { id: backup.id });
      await this.load();
    });
  }
}

/** The backup's VERIFY jobs, newest first: when each ran and how it ended. */
function verificationHistory(jobs) {
  if (jobs.length === 0) return h('p', { class: 'muted', dataset: { testid: 'verifications' } }, 'Verification history: never verified.');
  return h(
    'div',
    { dataset: { testid: 'verifications' } },
    h('h4', null, 'Verification history'),
    h(
      'ul',
      { class: 'timeline' },
      jobs.map((j) =>
        h(
          'li',
          { dataset: { testid: 'verification', status: j.status } },
          h('span', { class: 'muted' }, formatTime(j.finishedAt ?? j.createdAt)),
          h('span', { class: 'status', dataset: { status: j.status } }, j.status),
          h('span', { class: j.error ? 'job-error' : null }, j.error ? `[${j.error.code}] ${j.error.message}` : ''),
        ),
      ),
    ),
  );
}
