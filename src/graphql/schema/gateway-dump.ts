import type { GatewayDumpInfo } from '../../gateway-dump/create.ts';
import { gatewayDumps } from '../../gateway-dump/service.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';

const GatewayDumpSecretsEnum = builder.enumType('GatewayDumpSecrets', {
  values: ['OMIT', 'ENCRYPT'] as const,
  description: 'OMIT leaves secret values (engine API keys, …) out of the dump; ENCRYPT seals them for targetSecretKey',
});

const GatewayDumpTableRef = builder.objectRef<{ name: string; rows: number }>('GatewayDumpTable').implement({
  fields: (t) => ({ name: t.exposeString('name'), rows: t.exposeFloat('rows') }),
});

const GatewayDumpRef = builder.objectRef<GatewayDumpInfo>('GatewayDump').implement({
  description: "A file holding the gateway's own state: engines, catalog, jobs history, keys (hashed), every table",
  fields: (t) => ({
    fileName: t.exposeString('fileName'),
    path: t.exposeString('path', { description: 'Where the gateway wrote it (GATEWAY_DUMPS_DIR / serve --dumps-dir)' }),
    bytes: t.field({ type: 'BigInt', resolve: (d) => d.bytes }),
    sha256: t.exposeString('sha256'),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
    secrets: t.field({ type: GatewayDumpSecretsEnum, resolve: (d) => (d.secrets === 'omit' ? 'OMIT' : 'ENCRYPT') }),
    secretValues: t.exposeInt('secretValues', { description: 'Secret values sealed for the target key, or left out' }),
    tables: t.field({ type: [GatewayDumpTableRef], resolve: (d) => d.tables }),
  }),
});

const CreateGatewayDumpInput = builder.inputType('CreateGatewayDumpInput', {
  fields: (t) => ({
    secrets: t.field({ type: GatewayDumpSecretsEnum, defaultValue: 'OMIT' }),
    targetSecretKey: t.string({
      description: 'ENCRYPT: the GATEWAY_SECRET_KEY (16+ characters) of the gateway that will import the dump',
    }),
  }),
});

builder.mutationField('createGatewayDump', (t) =>
  t.field({
    type: GatewayDumpRef,
    description: "Writes one compressed file with the gateway's own state; one at a time (dump_already_in_progress)",
    args: { input: t.arg({ type: CreateGatewayDumpInput }) },
    resolve: (_root, { input }, ctx) =>
      gatewayDumps(ctx.gateway).create({ secrets: input?.secrets === 'ENCRYPT' ? 'encrypt' : 'omit', targetSecretKey: input?.targetSecretKey ?? null }, actorOf(ctx)),
  }),
);
