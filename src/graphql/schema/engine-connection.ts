// The engine form of the dashboard: "Test connection" before saving, and saving an edit without retyping the
// write-only secrets. Descriptions sit beside the fields so this file stands alone. Both need ADMIN (access.ts:
// mutations not listed there), like registerEngine — a connection test makes the gateway call a URL.
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { EngineRef } from './engine.ts';

const CONNECTION_TEST_TIMEOUT_MS = 10_000;

const ConnectionTestRef = builder.objectRef<{ ok: boolean; version: string | null; message: string | null }>('ConnectionTest').implement({
  description: 'What an engine answered to a health check of a config not (yet) saved',
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'The engine answered and is healthy' }),
    version: t.exposeString('version', { nullable: true, description: 'The engine version it reported' }),
    message: t.exposeString('message', { nullable: true, description: 'Why not, when not ok (secrets scrubbed)' }),
  }),
});

const TestEngineConnectionInput = builder.inputType('TestEngineConnectionInput', {
  description: 'A config to try against the engine, as registerEngine would take it',
  fields: (t) => ({
    plugin: t.string({ required: true, description: 'The plugin name (see plugins)' }),
    config: t.field({ type: 'JSON', required: true, description: "The config, checked against the plugin's configSchema" }),
    engineId: t.id({ description: "An engine being edited: secret keys left empty take this engine's stored values" }),
  }),
});

const ReconfigureEngineInput = builder.inputType('ReconfigureEngineInput', {
  description: 'An edit of an engine from a form that never saw its secrets',
  fields: (t) => ({
    name: t.string({ description: 'A new name' }),
    config: t.field({ type: 'JSON', required: true, description: 'The whole config; secret keys left empty (or [redacted]) keep their stored values' }),
  }),
});

builder.mutationFields((t) => ({
  testEngineConnection: t.field({
    type: ConnectionTestRef,
    description: 'Checks a config against the engine without saving anything: its health check, then a listing of its collections (which needs the credentials)',
    args: { input: t.arg({ type: TestEngineConnectionInput, required: true, description: 'The config to try' }) },
    resolve: async (_root, { input }, ctx) => {
      const config = input.engineId ? await ctx.gateway.engines.withStoredSecrets(String(input.engineId), asObject(input.config)) : input.config;
      return ctx.gateway.engines.testConnection(input.plugin, config, AbortSignal.timeout(CONNECTION_TEST_TIMEOUT_MS));
    },
  }),
  reconfigureEngine: t.field({
    type: EngineRef,
    description: 'updateEngine for forms: secret keys left empty keep their stored values instead of being cleared',
    args: { id: t.arg.id({ required: true, description: 'The id of the engine' }), input: t.arg({ type: ReconfigureEngineInput, required: true, description: 'The edit' }) },
    resolve: async (_root, { id, input }, ctx) => {
      const config = await ctx.gateway.engines.withStoredSecrets(String(id), asObject(input.config));
      return ctx.gateway.engines.update(String(id), { name: input.name, config }, actorOf(ctx));
    },
  }),
}));

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
