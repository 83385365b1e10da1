// Registered engines: health, collections with their document counts and maintenance locks, "Back up" (disabled
// with the reason when the engine does not answer), and for admins "Edit" and "Remove".
import { clear, h } from './dom.js';
import { formatCount } from './format.js';
import { gql } from './graphql.js';

export class EnginesView {
  constructor(root, { onBackup, onEdit, onRemove, onRetention }) {
    this.root = root;
    this.onRetention = onRetention;
    this.onBackup = onBackup;
    this.onEdit = onEdit;
    this.onRemove = onRemove;
    this.engines = [];
    this.plugins = new Map();
    this.collections = new Map();
  }

  async load() {
    const data = await gql('{ plugins { name displayName capabilities defaultStrategy } engines { id name plugin config createdAt health { ok version message } } }');
    this.plugins = new Map(data.plugins.map((p) => [p.name, p]));
    this.engines = data.engines;
    if (this.engines.length === 0) {
      clear(
        this.root,
        h('p', { class: 'muted' }, 'No engine registered yet. Add one with "Add engine", ', h('code', null, 'backup-gateway engines add <name> --plugin meilisearch --set url=http://…'), ' or the registerEngine mutation.'),
      );
      return;
    }
    clear(this.root, this.engines.map((engine) => this.card(engine)));
  }

  /** Collections are asked per engine: an unreachable one shows its error without hiding the others. */
  card(engine) {
    const plugin = this.plugins.get(engine.plugin);
    const body = h('div', { class: 'collections' }, h('p', { class: 'muted' }, 'Loading collections…'));
    // A refresh keeps showing what was known until the new answer is in.
    if (this.collections.has(engine.id)) this.renderCollections(body, this.collections.get(engine.id));
    const health = engine.health.ok
      ? h('span', { class: 'health ok', dataset: { testid: 'health' } }, `healthy${engine.health.version ? ` · v${engine.health.version}` : ''}`)
      : h('span', { class: 'health down', dataset: { testid: 'health' }, title: engine.health.message ?? '' }, 'unreachable');
    const backupButton = h(
      'button',
      {
        type: 'button',
        'data-needs': 'OPERATOR',
        dataset: { testid: 'backup-button' },
        disabled: !engine.health.ok,
        title: engine.health.ok ? null : `The engine does not answer: ${engine.health.message ?? 'unreachable'}`,
        onclick: () => this.onBackup(engine, this.collections.get(engine.id) ?? [], plugin),
      },
      'Back up',
    );
    const reason = engine.health.ok ? null : h('span', { class: 'muted', dataset: { testid: 'backup-disabled-reason' } }, 'Back up is off until the engine answers.');
    const card = h(
      'article',
      { class: 'engine', dataset: { testid: 'engine', engineName: engine.name, engineId: engine.id } },
      h('div', { class: 'engine-head' }, h('h3', null, engine.name), h('span', { class: 'chip' }, plugin?.displayName ?? engine.plugin), health),
      engine.health.ok ? null : h('p', { class: 'job-error' }, engine.health.message ?? 'The engine does not answer.'),
      body,
      h(
        'div',
        { class: 'actions' },
        reason,
        h('button', { type: 'button', class: 'secondary', 'data-needs': 'OPERATOR', dataset: { testid: 'engine-retention' }, onclick: () => this.onRetention(engine) }, 'Retention'),
        h('button', { type: 'button', class: 'secondary', 'data-needs': 'ADMIN', dataset: { testid: 'edit-engine' }, onclick: () => this.onEdit(engine) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', 'data-needs': 'ADMIN', dataset: { testid: 'remove-engine' }, onclick: () => this.onRemove(engine) }, 'Remove'),
        backupButton,
      ),
    );
    void this.loadCollections(engine, body);
    return card;
  }

  async loadCollections(engine, body) {
    try {
      const data = await gql('query($id: ID!) { engine(id: $id) { collections(first: 1000) { name documentCount locked lockedBy } upgrade { state from to progress { step } } } }', { id: engine.id });
      const collections = data.engine?.collections ?? [];
      this.collections.set(engine.id, collections);
      this.renderCollections(body, collections);
      // An in-place upgrade (its UPGRADE_WATCH job shows the progress in Jobs); backups and restores wait for it.
      const upgrade = data.engine?.upgrade;
      if (upgrade && !['NONE', 'ROLLED_BACK'].includes(upgrade.state)) {
        const step = upgrade.progress ? ` · ${upgrade.progress.step}` : '';
        body.prepend(h('p', { class: 'job-error', dataset: { testid: 'upgrade' } }, `Upgrade v${upgrade.from} → v${upgrade.to}: ${upgrade.state}${step} — backups and restores wait`));
      }
    } catch (error) {
      this.collections.set(engine.id, []);
      clear(body, h('p', { class: 'job-error' }, `Collections unavailable: [${error.code}] ${error.message}`));
    }
  }

  renderCollections(body, collections) {
    if (collections.length === 0) {
      clear(body, h('p', { class: 'muted' }, 'No collections.'));
      return;
    }
    clear(
      body,
      h(
        'table',
        null,
        h('thead', null, h('tr', null, h('th', null, 'Collection'), h('th', { class: 'num' }, 'Documents'))),
        h(
          'tbody',
          null,
          collections.map((c) =>
            h(
              'tr',
              { dataset: { testid: 'collection', name: c.name } },
              h('td', null, c.name, c.locked ? h('span', { class: 'lock', title: `restore job ${c.lockedBy}` }, ' · locked by a restore') : null),
              h('td', { class: 'num' }, formatCount(c.documentCount)),
            ),
          ),
        ),
      ),
    );
  }
}
