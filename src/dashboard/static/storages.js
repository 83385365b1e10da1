// Storage locations: the built-in folder and registered S3 locations (never their credentials), and for admins
// an S3 form. The gateway checks a location when it is registered (registerStorage), so a wrong bucket or key
// shows its coded error inside the form.
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
      ],
      actions: [
        {
          label: 'Save (the gateway checks the bucket)',
          kind: 'primary',
          run: async (form) => {
            const v = (n) => form.querySelector(`[name="${n}"]`);
            const input = {
              name: v('name').value.trim(),
              url: v('url').value.trim(),
              ...(v('endpoint').value.trim() ? { endpoint: v('endpoint').value.trim() } : {}),
              ...(v('region').value.trim() ? { region: v('region').value.trim() } : {}),
              forcePathStyle: v('forcePathStyle').checked,
              isDefault: v('isDefault').checked,
              credentials: { accessKeyId: v('accessKeyId').value.trim(), secretAccessKey: v('secretAccessKey').value },
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
