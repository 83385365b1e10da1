// A backup's own page, #backup/<id>: deep-linkable (a bookmark or a shared link opens it after the key prompt).
// The same detail as a row opened in the catalog — collections, files with full sha256, verification history,
// labels, chain parent, native downloads, Restore/Verify/Delete — rendered by the catalog's own row code, open.
import { BACKUP_FIELDS } from './catalog.js';
import { clear, h } from './dom.js';
import { gql } from './graphql.js';

export class BackupPage {
  /** `catalog`: the CatalogView whose row rendering (and actions) this page reuses. */
  constructor(root, title, catalog) {
    this.root = root;
    this.title = title;
    this.catalog = catalog;
  }

  async load(id) {
    this.id = id;
    this.title.textContent = 'Backup';
    clear(this.root, h('p', { class: 'muted' }, 'Loading…'));
    const { backup } = await gql(`query($id: ID!) { backup(id: $id) { ${BACKUP_FIELDS} } }`, { id });
    if (this.id !== id) return;
    if (!backup) {
      clear(this.root, h('p', { class: 'muted', dataset: { testid: 'backup-not-found' } }, `No backup with id ${id}.`));
      return;
    }
    this.title.textContent = `Backup ${backup.name}`;
    const row = this.catalog.item(backup, true);
    row.classList.add('page');
    clear(this.root, row);
  }
}
