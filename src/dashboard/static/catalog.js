// The catalog: every backup with its status, per-collection counts and sizes, files, verify status;
// "Restore", "Verify" (when the gateway offers verifyBackup) and "Delete". A backup set shows as one row
// holding its members (their own rows, unchanged, inside it).
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { formatBytes, formatCount, formatTime, shortId } from './format.js';
import { gql } from './graphql.js';
import { JOB_FIELDS } from './jobs.js';

// The list stays within the gateway's query cost limit (page size × fields); files load when a row opens.
const PAGE_SIZE = 40;
const BACKUP_FIELDS = `id name status strategy type origin plugin sizeBytes documentCount createdAt completedAt verifiedAt warnings
  engine { id name } set { id }
  collections { name documentCount bytes }`;
const SET_FIELDS = 'id name status memberCount documentCount sizeBytes verification createdAt';
const ARTIFACT_FIELDS = 'artifacts { path bytes sha256 collection external location }';

export class CatalogView {
  constructor(root, { onRestore, onJobStarted, features }) {
    this.root = root;
    this.onRestore = onRestore;
    this.onJobStarted = onJobStarted;
    this.features = features;
    this.backups = [];
  }

  async load() {
    const withSets = this.features.has('startBackupSet');
    const sets = withSets ? ` backupSets(first: ${PAGE_SIZE}) { nodes { ${SET_FIELDS} } }` : '';
    const data = await gql(`query { backups(first: ${PAGE_SIZE}) { totalCount nodes { ${BACKUP_FIELDS} } }${sets} }`);
    this.backups = data.backups.nodes;
    const open = new Set([...this.root.querySelectorAll('details[open]')].map((d) => d.dataset.backupId ?? d.dataset.setId));
    if (this.backups.length === 0) {
      clear(this.root, h('p', { class: 'muted' }, 'No backups yet.'));
      return;
    }
    const more = data.backups.totalCount > this.backups.length ? h('p', { class: 'muted' }, `Showing the newest ${this.backups.length} of ${data.backups.totalCount}.`) : null;
    clear(this.root, this.rows(withSets ? data.backupSets.nodes : [], open), more);
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
      h('button', { type: 'button', class: 'small', disabled: !restorable, dataset: { testid: 'restore-button' }, onclick: (e) => this.stopThen(e, () => this.onRestore(backup)) }, 'Restore'),
      this.features.has('verifyBackup') && restorable
        ? h('button', { type: 'button', class: 'secondary small', dataset: { testid: 'verify-button' }, onclick: (e) => this.stopThen(e, () => this.verify(backup)) }, 'Verify')
        : null,
      backup.status !== 'DELETED'
        ? h('button', { type: 'button', class: 'danger small', onclick: (e) => this.stopThen(e, () => this.remove(backup)) }, 'Delete')
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
        h('p', { class: 'muted mono' }, `id ${backup.id} · origin ${backup.origin.toLowerCase()} · completed ${formatTime(backup.completedAt)}`),
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
      clear(
        files,
        h('h4', null, `Files (${artifacts.length})`),
        h(
          'table',
          null,
          h('thead', null, h('tr', null, h('th', null, 'Path'), h('th', { class: 'num' }, 'Size'), h('th', null, 'sha256'))),
          h(
            'tbody',
            null,
            artifacts.map((a) =>
              h(
                'tr',
                { dataset: { testid: 'artifact' } },
                h('td', { class: 'mono' }, a.path),
                h('td', { class: 'num' }, formatBytes(a.bytes)),
                h('td', { class: 'mono', title: a.sha256 || a.location || '' }, a.external ? `external: ${a.location ?? '?'}` : a.sha256.slice(0, 12)),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      clear(files, h('h4', null, 'Files'), h('p', { class: 'job-error' }, `[${error.code}] ${error.message}`));
    }
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
