// sendTestWebhook: the "Send test" of the dashboard's webhook list — one signed `webhook.test` delivery to one
// webhook, logged like any other (webhookDeliveries). ADMIN, like every webhook mutation (access.ts default).
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';

builder.mutationField('sendTestWebhook', (t) =>
  t.id({
    description: 'Queues one `webhook.test` delivery to this webhook (signed and retried like real events); returns the delivery id to find in webhookDeliveries',
    args: { id: t.arg.id({ required: true, description: 'The id of the webhook' }) },
    resolve: (_root, { id }, ctx) => ctx.gateway.webhooks.sendTest(String(id), actorOf(ctx)),
  }),
);
