// updateWebhook: the "Edit" of the dashboard's webhook list — URL, events, enabled (and, when typed, a new
// secret); omitted fields stay. ADMIN, like every webhook mutation (access.ts). Descriptions beside the fields.
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { WebhookEventEnum, WebhookRef } from './webhook.ts';

const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  description: 'Changes to a webhook; omitted fields stay',
  fields: (t) => ({
    url: t.string({ description: 'The new URL (http or https)' }),
    events: t.field({ type: [WebhookEventEnum], description: 'The new events (replaces the list; one or more)' }),
    enabled: t.boolean({ description: 'A disabled webhook is sent nothing new' }),
    description: t.string({ description: 'The new description; an empty string clears it' }),
    secret: t.string({ description: 'A new secret (16+ characters); the old one stays when omitted' }),
  }),
});

builder.mutationField('updateWebhook', (t) =>
  t.field({
    type: WebhookRef,
    description: "Changes a webhook's URL, events, enabled flag, description or secret",
    args: {
      id: t.arg.id({ required: true, description: 'The id of the webhook' }),
      input: t.arg({ type: UpdateWebhookInput, required: true, description: 'The changes' }),
    },
    resolve: (_root, { id, input }, ctx) => ctx.gateway.webhooks.update(String(id), input, actorOf(ctx)),
  }),
);
