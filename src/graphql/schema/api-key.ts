import type { ApiKey } from '../../db/client.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';

export const ApiKeyScopeEnum = builder.enumType('ApiKeyScope', {
  values: ['ADMIN', 'OPERATOR', 'VIEWER'] as const,
  description: 'VIEWER reads; OPERATOR also starts and cancels jobs and deletes backups; ADMIN also manages engines and keys',
});

const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: 'An API key. Its value is shown only once, when created; the gateway keeps only its hash.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    scope: t.field({ type: ApiKeyScopeEnum, resolve: (k) => k.scope }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to recognise it' }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.lastUsedAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt }),
  }),
});

const CreatedApiKeyRef = builder.objectRef<{ key: string; apiKey: ApiKey }>('CreatedApiKey').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The secret; store it now, it is never shown again' }),
    apiKey: t.field({ type: ApiKeyRef, resolve: (c) => c.apiKey }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scope: t.field({ type: ApiKeyScopeEnum, required: true }),
  }),
});

builder.queryField('apiKeys', (t) => t.field({ type: [ApiKeyRef], resolve: (_r, _a, ctx) => ctx.gateway.apiKeys.list() }));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.gateway.apiKeys.create(input, actorOf(ctx)),
  }),
  revokeApiKey: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.gateway.apiKeys.revoke(String(id), actorOf(ctx)),
  }),
}));
