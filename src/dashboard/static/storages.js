// Storage locations: the built-in folder and registered S3 locations (never their credentials), and for admins
// an S3 form. "Test connection" tries the location before saving (testStorageLocation: reach, write, read back,
// nothing stored); registerStorage checks it again, so a wrong bucket or key shows its coded error in the form.
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { field, openForm } from './form-dialog.js';
import { gql } from './graphql.js';

export class StoragesView {
  constructor(root) {
    this.root = root;
  }

  async load() {
    const { storages } = await gql('{ storages { id name kind url endpoint region isDefault builtIn encrypted hasCredentials } }');
    clear(
      this.root,
      h(
        'table',
        null,
        h('thead', null, h('tr', null, ['Name', 'Kind', 'URL', 'Endpoint', 'Default', 'Encrypted', ''].map((t) => h('th', null, t)))),
        h(
          'tbody',
          null,
          storages.map((s) =>
            h(
              'tr',
              { dataset: { testid: 'storage', storageName: s.name } },
              h('td', null, s.name, s.builtIn ? h('span', { class: 'muted' }, ' (built in)') : null),
              h('td', null, s.kind),
              h('td', { class: 'mono' }, s.url),
              h('td', { class: 'mono' }, s.endpoint ?? '–'),
              h('td', null, s.isDefault ? 'yes' : ''),
              h('td', null, s.encrypted ? 'age' : 'no'),
              h(
                'td',
                null,
                s.builtIn
                  ? null
                  : h('button', { type: 'button', class: 'danger small', 'data-needs': 'ADMIN', onclick: () => this.remove(s) }, 'Remove'),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async remove(storage) {
    if (!window.confirm(`Remove storage location "${storage.name}"? Backups in it keep their files.`)) return;
    await guarded(`Remove storage ${storage.name}`, async () => {
      await gql('mutation($id: ID!) { removeStorage(id: $id) }', { id: storage.id });
      await this.load();
    });
  }

  openCreate() {
    const result = h('p', { class: 'preview', dataset: { testid: 'storage-test-result' }, hidden: true });
    openForm({
      title: 'Add S3 location',
      testid: 'storage-form',
      body: [
        field('Name *', { name: 'name', autocomplete: 'off' }),
        field('URL * (s3://bucket/prefix)', { name: 'url', placeholder: 's3://backups/gateway', autocomplete: 'off' }),
        h('div', { class: 'grid2' }, field('Endpoint (S3-compatible server)', { name: 'endpoint', placeholder: 'http://minio:9000' }), field('Region', { name: 'region' })),
        h('div', { class: 'grid2' }, field('Access key id *', { name: 'accessKeyId', autocomplete: 'off' }), field('Secret access key * (write-only)', { name: 'secretAccessKey', type: 'password', autocomplete: 'new-password' })),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'forcePathStyle' }), 'Path-style addressing (MinIO and most S3-compatible servers)'),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'isDefault' }), 'Default location for new backups'),
        result,
      ],
      actions: [
        {
          label: 'Test connection',
          testid: 'test-storage',
          run: async (form) => {
            const { url, endpoint, region, forcePathStyle, credentials } = readLocation(form);
            const { testStorageLocation: test } = await gql('mutation($i: TestStorageLocationInput!) { testStorageLocation(input: $i) { ok code message } }', {
              i: { url, ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), forcePathStyle, credentials },
            });
            result.hidden = false;
            result.dataset.ok = String(test.ok);
            result.dataset.code = test.code ?? '';
            result.className = test.ok ? 'preview ok' : 'preview job-error';
            result.textContent = test.ok ? 'Reached: the bucket was written and read back.' : `[${test.code}] ${test.message}`;
            return false;
          },
        },
        {
          testid: 'save-storage',
          label: 'Save (the gateway checks the bucket)',
          kind: 'primary',
          run: async (form) => {
            const { endpoint, region, ...location } = readLocation(form);
            const v = (n) => form.querySelector(`[name="${n}"]`);
            const input = {
              name: v('name').value.trim(),
              ...location,
              ...(endpoint ? { endpoint } : {}),
              ...(region ? { region } : {}),
              isDefault: v('isDefault').checked,
            };
            await gql('mutation($i: RegisterStorageInput!) { registerStorage(input: $i) { id } }', { i: input });
            await this.load();
            return true;
          },
        },
      ],
    });
  }
}

/** The location part of the S3 form, as testStorageLocation and registerStorage take it. */
function readLocation(form) {
  const v = (n) => form.querySelector(`[name="${n}"]`);
  return {
    url: v('url').value.trim(),
    endpoint: v('endpoint').value.trim(),
    region: v('region').value.trim(),
    forcePathStyle: v('forcePathStyle').checked,
    credentials: { accessKeyId: v('accessKeyId').value.trim(), secretAccessKey: v('secretAccessKey').value },
  };
}
