import type { Webhook, WebhookAttempt, WebhookDelivery } from '../../db/client.ts';
import { WEBHOOK_EVENTS } from '../../lifecycle/webhooks.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';

export const WebhookEventEnum = builder.enumType('WebhookEvent', {
  values: WEBHOOK_EVENTS,
  description: 'JOB_STARTED, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELED (every job kind) and BACKUP_DAMAGED (verification or reconciliation)',
});
const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', { values: ['PENDING', 'SENDING', 'DELIVERED', 'FAILED'] as const });

const WebhookAttemptRef = builder.objectRef<WebhookAttempt>('WebhookAttempt').implement({
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (a) => a.at }),
    statusCode: t.exposeInt('statusCode', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
  }),
});

const WebhookDeliveryRef = builder.objectRef<WebhookDelivery>('WebhookDelivery').implement({
  description: 'One event sent (or being sent) to one webhook, with every attempt',
  fields: (t) => ({
    id: t.exposeID('id'),
    webhookId: t.exposeID('webhookId'),
    event: t.exposeString('event', { description: 'job.started, job.succeeded, job.failed, job.canceled, backup.damaged' }),
    status: t.field({ type: WebhookDeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts'),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => (d.status === 'PENDING' ? d.nextAttemptAt : null) }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    payload: t.field({ type: 'JSON', description: 'The body sent, less its id', resolve: (d) => d.payload }),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.deliveredAt }),
    attemptLog: t.field({
      type: [WebhookAttemptRef],
      resolve: (d, _a, ctx) => ctx.gateway.webhooks.attemptsOf(d.id),
    }),
  }),
});

export const WebhookRef = builder.objectRef<Webhook>('Webhook').implement({
  description: 'POSTs JSON events signed with X-Gateway-Signature: sha256=<HMAC-SHA256 of the body with the secret>; the secret is never returned',
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    events: t.field({ type: [WebhookEventEnum], resolve: (w) => w.events as Array<(typeof WEBHOOK_EVENTS)[number]> }),
    description: t.exposeString('description', { nullable: true }),
    enabled: t.exposeBoolean('enabled'),
    createdAt: t.field({ type: 'DateTime', resolve: (w) => w.createdAt }),
    deliveries: t.field({
      type: [WebhookDeliveryRef],
      args: { first: t.arg.int({ defaultValue: 50 }) },
      resolve: (w, { first }, ctx) => ctx.gateway.webhooks.deliveries({ webhookId: w.id, first }),
    }),
  }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    url: t.string({ required: true }),
    events: t.field({ type: [WebhookEventEnum], required: true }),
    secret: t.string({ required: true, description: '16+ characters; signs every body' }),
    description: t.string(),
  }),
});

builder.queryFields((t) => ({
  webhooks: t.field({ type: [WebhookRef], resolve: (_r, _a, ctx) => ctx.gateway.webhooks.list() }),
  webhookDeliveries: t.field({
    type: [WebhookDeliveryRef],
    description: 'The delivery log, newest first',
    args: { webhookId: t.arg.id(), first: t.arg.int({ defaultValue: 50 }) },
    resolve: (_r, { webhookId, first }, ctx) => ctx.gateway.webhooks.deliveries({ webhookId: webhookId ? String(webhookId) : null, first }),
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: WebhookRef,
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.gateway.webhooks.create(input, actorOf(ctx)),
  }),
  deleteWebhook: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.gateway.webhooks.delete(String(id), actorOf(ctx)),
  }),
}));
