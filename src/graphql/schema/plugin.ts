import { z } from 'zod';
import type { EnginePlugin } from '../../engines/contract.ts';
import { builder } from '../builder.ts';

export const EnginePluginRef = builder.objectRef<EnginePlugin>('EnginePlugin').implement({
  description: 'An installed engine plugin',
  fields: (t) => ({
    name: t.exposeString('name'),
    displayName: t.exposeString('displayName'),
    version: t.exposeString('version'),
    apiVersion: t.exposeInt('apiVersion'),
    capabilities: t.stringList({ resolve: (plugin) => [...plugin.capabilities] }),
    defaultStrategy: t.string({ description: 'The strategy startBackup uses when none is given: LOGICAL or NATIVE', resolve: (plugin) => plugin.defaultStrategy ?? 'LOGICAL' }),
    backupOptions: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema of the engine-specific startBackup options',
      resolve: (plugin) => (plugin.backupOptions ? z.toJSONSchema(plugin.backupOptions, { io: 'input', unrepresentable: 'any' }) : null),
    }),
    restoreOptions: t.field({
      type: 'JSON',
      nullable: true,
      description: 'JSON Schema of the engine-specific startRestore options',
      resolve: (plugin) => (plugin.restoreOptions ? z.toJSONSchema(plugin.restoreOptions, { io: 'input', unrepresentable: 'any' }) : null),
    }),
    secretKeys: t.stringList({ resolve: (plugin) => [...plugin.secretKeys] }),
    configSchema: t.field({
      type: 'JSON',
      description: 'JSON Schema of the engine config',
      resolve: (plugin) => z.toJSONSchema(plugin.config, { io: 'input', unrepresentable: 'any' }),
    }),
  }),
});

builder.queryField('plugins', (t) => t.field({ type: [EnginePluginRef], resolve: (_root, _args, ctx) => [...ctx.gateway.plugins] }));
