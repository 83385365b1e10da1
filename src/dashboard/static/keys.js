// API keys (ADMIN): the list (prefix, scope, last use, revoked), "Create key" which shows the new key once, and
// "Revoke". Keys below ADMIN cannot list keys: the panel says so instead of failing.
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { field, openForm } from './form-dialog.js';
import { formatTime } from './format.js';
import { gql } from './graphql.js';
import { can } from './scope.js';

const FIELDS = 'id name scope prefix createdBy createdAt lastUsedAt revokedAt';

export class KeysView {
  constructor(root) {
    this.root = root;
  }

  async load() {
    if (!can('ADMIN')) {
      clear(this.root, h('p', { class: 'muted' }, 'Only an ADMIN key can see API keys.'));
      return;
    }
    const { apiKeys } = await gql(`{ apiKeys { ${FIELDS} } }`);
    const head = ['Name', 'Scope', 'Prefix', 'Created', 'Last used', ''];
    clear(
      this.root,
      apiKeys.length === 0
        ? h('p', { class: 'muted' }, 'No API keys besides the master key.')
        : h(
            'table',
            null,
            h('thead', null, h('tr', null, head.map((t) => h('th', null, t)))),
            h(
              'tbody',
              null,
              apiKeys.map((k) =>
                h(
                  'tr',
                  { dataset: { testid: 'api-key', keyName: k.name, revoked: String(k.revokedAt !== null) } },
                  h('td', null, k.name),
                  h('td', null, k.scope),
                  h('td', { class: 'mono' }, `${k.prefix}…`),
                  h('td', null, formatTime(k.createdAt), h('span', { class: 'muted' }, ` by ${k.createdBy}`)),
                  h('td', null, k.lastUsedAt ? formatTime(k.lastUsedAt) : 'never'),
                  h(
                    'td',
                    null,
                    k.revokedAt
                      ? h('span', { class: 'muted' }, `revoked ${formatTime(k.revokedAt)}`)
                      : h('button', { type: 'button', class: 'danger small', 'data-needs': 'ADMIN', dataset: { testid: 'revoke-key' }, onclick: () => this.revoke(k) }, 'Revoke'),
                  ),
                ),
              ),
            ),
          ),
    );
  }

  async revoke(key) {
    if (!window.confirm(`Revoke key "${key.name}" (${key.prefix}…)? Requests with it fail from now on.`)) return;
    await guarded(`Revoke key ${key.name}`, async () => {
      await gql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: key.id });
      await this.load();
    });
  }

  openCreate() {
    const shown = h('div', { hidden: true });
    openForm({
      title: 'Create API key',
      testid: 'key-form',
      body: [
        field('Name *', { name: 'key-name', autocomplete: 'off', dataset: { testid: 'key-name' } }),
        h(
          'label',
          null,
          'Scope',
          h(
            'select',
            { name: 'key-scope', dataset: { testid: 'key-scope' } },
            h('option', { value: 'VIEWER' }, 'VIEWER: reads'),
            h('option', { value: 'OPERATOR' }, 'OPERATOR: also runs and cancels jobs'),
            h('option', { value: 'ADMIN' }, 'ADMIN: also engines, storage, keys'),
          ),
        ),
        shown,
      ],
      actions: [
        {
          label: 'Create',
          testid: 'create-key',
          kind: 'primary',
          run: async (form) => {
            const name = form.querySelector('[name="key-name"]').value.trim();
            const scope = form.querySelector('[name="key-scope"]').value;
            const { createApiKey } = await gql('mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id } } }', { i: { name, scope } });
            // Shown once: the gateway keeps only its hash.
            shown.hidden = false;
            clear(shown, h('p', null, 'Copy this key now; it is never shown again:'), h('p', { class: 'key-once mono', dataset: { testid: 'new-key' } }, createApiKey.key));
            for (const button of form.querySelectorAll('[data-testid="create-key"]')) button.hidden = true;
            await this.load();
            return false;
          },
        },
      ],
    });
  }
}
