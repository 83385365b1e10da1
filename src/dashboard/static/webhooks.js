// Webhooks (ADMIN): each with its events and its delivery log (status, attempts, HTTP code, error), an "Add"
// form, "Edit" (updateWebhook: URL, events, enabled, description; the secret only when retyped), "Send test"
// (sendTestWebhook: one signed webhook.test delivery, then the log shows how it went) and "Delete".
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { field, openForm } from './form-dialog.js';
import { formatTime } from './format.js';
import { gql } from './graphql.js';
import { can } from './scope.js';

const EVENTS = ['JOB_STARTED', 'JOB_SUCCEEDED', 'JOB_FAILED', 'JOB_CANCELED', 'BACKUP_DAMAGED'];

export class WebhooksView {
  constructor(root) {
    this.root = root;
  }

  async load() {
    if (!can('ADMIN')) {
      clear(this.root, h('p', { class: 'muted' }, 'Only an ADMIN key can see webhooks.'));
      return;
    }
    const { webhooks } = await gql('{ webhooks { id url events description enabled createdAt deliveries(first: 10) { event status attempts lastStatusCode lastError createdAt deliveredAt } } }');
    if (webhooks.length === 0) {
      clear(this.root, h('p', { class: 'muted' }, 'No webhooks.'));
      return;
    }
    clear(this.root, webhooks.map((w) => this.item(w)));
  }

  item(w) {
    return h(
      'details',
      { class: 'backup', open: this.opened?.has(w.id), dataset: { testid: 'webhook', webhookId: w.id } },
      h(
        'summary',
        { class: 'webhook-summary' },
        h('span', { class: 'name mono' }, w.url),
        h('span', { class: 'muted' }, w.events.join(', ').toLowerCase()),
        h('span', null, w.enabled ? 'enabled' : 'disabled'),
        h('span', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary small', 'data-needs': 'ADMIN', dataset: { testid: 'edit-webhook' }, onclick: (e) => (e.preventDefault(), this.openEdit(w)) }, 'Edit'),
          h('button', { type: 'button', class: 'secondary small', 'data-needs': 'ADMIN', dataset: { testid: 'send-test' }, onclick: (e) => (e.preventDefault(), void this.sendTest(w)) }, 'Send test'),
          h('button', { type: 'button', class: 'danger small', 'data-needs': 'ADMIN', onclick: (e) => (e.preventDefault(), void this.remove(w)) }, 'Delete'),
        ),
      ),
      w.deliveries.length === 0
        ? h('p', { class: 'muted' }, 'No deliveries yet.')
        : h(
            'table',
            null,
            h('thead', null, h('tr', null, ['Event', 'Status', 'Attempts', 'HTTP', 'Error', 'Created', 'Delivered'].map((t) => h('th', null, t)))),
            h(
              'tbody',
              null,
              w.deliveries.map((d) =>
                h(
                  'tr',
                  { dataset: { testid: 'delivery', status: d.status, event: d.event } },
                  h('td', null, d.event),
                  h('td', null, h('span', { class: 'status', dataset: { status: d.status === 'DELIVERED' ? 'SUCCEEDED' : d.status } }, d.status)),
                  h('td', { class: 'num' }, String(d.attempts)),
                  h('td', null, d.lastStatusCode ?? '–'),
                  h('td', { class: 'job-error' }, d.lastError ?? ''),
                  h('td', null, formatTime(d.createdAt)),
                  h('td', null, formatTime(d.deliveredAt)),
                ),
              ),
            ),
          ),
    );
  }

  /** Queues the test delivery, then follows the log until it is no longer pending (about 10 s at most). */
  async sendTest(w) {
    await guarded('Send a test event', async () => {
      await gql('mutation($id: ID!) { sendTestWebhook(id: $id) }', { id: w.id });
      this.opened = new Set([w.id]);
      for (let i = 0; i < 20; i++) {
        await this.load();
        const pending = this.root.querySelector(`[data-webhook-id="${w.id}"] [data-testid=delivery][data-status=PENDING], [data-webhook-id="${w.id}"] [data-testid=delivery][data-status=SENDING]`);
        if (!pending) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });
  }

  async remove(w) {
    if (!window.confirm(`Delete the webhook to ${w.url}?`)) return;
    await guarded('Delete webhook', async () => {
      await gql('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: w.id });
      await this.load();
    });
  }

  openCreate() {
    this.openForm(null);
  }

  openEdit(w) {
    this.openForm(w);
  }

  /** The add form, or (given a webhook) its edit form filled in; the secret is write-only: empty keeps it. */
  openForm(w) {
    openForm({
      title: w ? 'Edit webhook' : 'Add webhook',
      testid: 'webhook-form',
      body: [
        field('URL *', { name: 'url', type: 'url', placeholder: 'https://hooks.example/backup', value: w?.url ?? '' }),
        field(w ? 'New secret (write-only; empty keeps the current one)' : 'Secret * (16+ characters; signs every body; write-only)', { name: 'secret', type: 'password', autocomplete: 'new-password' }),
        field('Description', { name: 'description', value: w?.description ?? '' }),
        h(
          'fieldset',
          null,
          h('legend', null, 'Events'),
          EVENTS.map((e) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'event', value: e, checked: w ? w.events.includes(e) : e !== 'JOB_STARTED' }), e)),
        ),
        w ? h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', checked: w.enabled }), 'Enabled (a disabled webhook is sent nothing new)') : null,
      ],
      actions: [
        {
          label: 'Save',
          testid: 'save-webhook',
          kind: 'primary',
          run: async (form) => {
            const v = (n) => form.querySelector(`[name="${n}"]`).value.trim();
            const secret = form.querySelector('[name="secret"]').value;
            const events = [...form.querySelectorAll('input[name="event"]:checked')].map((b) => b.value);
            if (w) {
              await gql('mutation($id: ID!, $i: UpdateWebhookInput!) { updateWebhook(id: $id, input: $i) { id } }', {
                id: w.id,
                i: { url: v('url'), events, enabled: form.querySelector('[name="enabled"]').checked, description: v('description'), ...(secret ? { secret } : {}) },
              });
            } else {
              await gql('mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }', {
                i: { url: v('url'), secret, events, ...(v('description') ? { description: v('description') } : {}) },
              });
            }
            await this.load();
            return true;
          },
        },
      ],
    });
  }
}
