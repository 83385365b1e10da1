// The "Back up" and "Restore" forms (native <dialog>s). Each closes only once the gateway accepted the job;
// a refusal (job_already_in_progress, table_locked, …) goes to the error panel and the form stays open.
import { clear, h } from './dom.js';
import { guarded, showError } from './errors.js';
import { formatCount, shortId } from './format.js';
import { gql, selectionFor } from './graphql.js';
import { JOB_FIELDS } from './jobs.js';

function wireClose(dialog) {
  for (const button of dialog.querySelectorAll('[data-close]')) button.addEventListener('click', () => dialog.close());
}

export class BackupDialog {
  constructor({ onStarted }) {
    this.dialog = document.getElementById('backup-dialog');
    this.form = document.getElementById('backup-form');
    this.onStarted = onStarted;
    wireClose(this.dialog);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  open(engine, collections, plugin) {
    this.engine = engine;
    document.getElementById('backup-title').textContent = `Back up ${engine.name}`;
    const capabilities = new Set(plugin?.capabilities ?? []);
    const strategy = document.getElementById('backup-strategy');
    strategy.value = 'LOGICAL';
    strategy.querySelector('option[value="NATIVE"]').disabled = !capabilities.has('nativeBackup');
    strategy.querySelector('option[value="LOGICAL"]').disabled = !capabilities.has('logicalBackup') && capabilities.has('nativeBackup');
    if (strategy.querySelector('option[value="LOGICAL"]').disabled) strategy.value = 'NATIVE';
    const type = document.getElementById('backup-type');
    type.value = 'FULL';
    type.querySelector('option[value="INCREMENTAL"]').disabled = !capabilities.has('incrementalBackup');
    document.getElementById('backup-name').value = '';
    const fieldset = document.getElementById('backup-collections');
    clear(
      fieldset,
      h('legend', null, 'Collections'),
      collections.length === 0
        ? h('p', { class: 'muted' }, 'Every collection of the engine.')
        : collections.map((c) =>
            h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'collection', value: c.name, checked: true }), `${c.name} (${formatCount(c.documentCount)} documents)`),
          ),
    );
    this.dialog.showModal();
  }

  async submit() {
    const boxes = [...this.form.querySelectorAll('input[name="collection"]')];
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    if (boxes.length > 0 && chosen.length === 0) {
      showError({ code: 'invalid_input', type: 'invalid_request', message: 'Choose at least one collection.' }, `Back up ${this.engine.name}`);
      return;
    }
    const name = document.getElementById('backup-name').value.trim();
    const input = {
      engineId: this.engine.id,
      strategy: document.getElementById('backup-strategy').value,
      type: document.getElementById('backup-type').value,
      // All ticked = every collection, including ones created before the job runs.
      ...(chosen.length < boxes.length ? { collections: chosen } : {}),
      ...(name ? { name } : {}),
    };
    const job = await guarded(`Back up ${this.engine.name}`, async () => (await gql(`mutation($i: StartBackupInput!) { startBackup(input: $i) { ${JOB_FIELDS} } }`, { i: input })).startBackup);
    if (!job) return;
    this.dialog.close();
    this.onStarted(job);
  }
}

export class RestoreDialog {
  constructor({ onStarted, features }) {
    this.dialog = document.getElementById('restore-dialog');
    this.form = document.getElementById('restore-form');
    this.onStarted = onStarted;
    this.features = features;
    wireClose(this.dialog);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    const preview = document.getElementById('restore-preview');
    preview.addEventListener('click', () => void this.preview());
  }

  open(backup, engines) {
    this.backup = backup;
    document.getElementById('restore-title').textContent = `Restore ${backup.name}`;
    document.getElementById('restore-source').textContent =
      `${backup.strategy.toLowerCase()} ${backup.type.toLowerCase()} backup ${shortId(backup.id)} of ${backup.engine?.name ?? 'a removed engine'}, ${formatCount(backup.documentCount)} documents`;
    const select = document.getElementById('restore-engine');
    const candidates = engines.filter((e) => e.plugin === backup.plugin);
    clear(select, candidates.map((e) => h('option', { value: e.id, selected: e.id === backup.engine?.id }, `${e.name}${e.id === backup.engine?.id ? ' (its own engine)' : ''}`)));
    const fieldset = document.getElementById('restore-collections');
    clear(
      fieldset,
      h('legend', null, 'Collections, and the name to restore each as'),
      backup.collections.map((c) =>
        h(
          'div',
          { class: 'collection-choice' },
          h('input', { type: 'checkbox', name: 'collection', value: c.name, checked: true, 'aria-label': `Restore ${c.name}` }),
          h('span', null, c.name, h('span', { class: 'muted' }, ` (${formatCount(c.documentCount)})`)),
          h('input', { type: 'text', name: 'rename', dataset: { from: c.name }, placeholder: `as ${c.name}`, 'aria-label': `Restore ${c.name} as` }),
        ),
      ),
    );
    document.getElementById('restore-atomic').checked = true;
    document.getElementById('restore-preview').hidden = !this.features.has('planRestore');
    const plan = document.getElementById('restore-plan');
    plan.hidden = true;
    plan.textContent = '';
    this.dialog.showModal();
  }

  input() {
    const boxes = [...this.form.querySelectorAll('input[name="collection"]')];
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    const rename = [...this.form.querySelectorAll('input[name="rename"]')]
      .map((field) => ({ from: field.dataset.from, to: field.value.trim() }))
      .filter((r) => r.to && r.to !== r.from && chosen.includes(r.from));
    return {
      backupId: this.backup.id,
      engineId: document.getElementById('restore-engine').value || undefined,
      ...(chosen.length < boxes.length ? { collections: chosen } : {}),
      ...(rename.length > 0 ? { rename } : {}),
      atomic: document.getElementById('restore-atomic').checked,
    };
  }

  /** Dry run, when the gateway offers planRestore: what would be created or overwritten. */
  async preview() {
    const plan = document.getElementById('restore-plan');
    await guarded(`Preview restore of ${this.backup.name}`, async () => {
      const selection = await selectionFor('RestorePlan');
      const data = await gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) ${selection} }`, { i: this.input() });
      plan.textContent = JSON.stringify(data.planRestore, null, 2);
      plan.hidden = false;
    });
  }

  async submit() {
    const input = this.input();
    if (input.collections && input.collections.length === 0) {
      showError({ code: 'invalid_input', type: 'invalid_request', message: 'Choose at least one collection.' }, `Restore ${this.backup.name}`);
      return;
    }
    const job = await guarded(`Restore ${this.backup.name}`, async () => (await gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { ${JOB_FIELDS} } }`, { i: input })).startRestore);
    if (!job) return;
    this.dialog.close();
    this.onStarted(job);
  }
}
