// What the gateway says about itself and the caller: its version (`backup-gateway version`) and the caller's key
// scope (`backup-gateway check`).
import { packageManifest } from '../../package-files.ts';
import { builder } from '../builder.ts';
import { ApiKeyScopeEnum } from './api-key.ts';

interface GatewayInfo {
  version: string;
  actor: string;
  scope: 'ADMIN' | 'OPERATOR' | 'VIEWER';
}

const GatewayInfoRef = builder.objectRef<GatewayInfo>('GatewayInfo').implement({
  description: 'The running gateway and who is asking',
  fields: (t) => ({
    version: t.exposeString('version', { description: 'The gateway version (package.json)' }),
    actor: t.exposeString('actor', { description: 'Who the key is: "master", "open" or "key:<id>"' }),
    scope: t.field({ type: ApiKeyScopeEnum, description: "The caller's key scope", resolve: (info) => info.scope }),
  }),
});

builder.queryFields((t) => ({
  gatewayInfo: t.field({
    type: GatewayInfoRef,
    description: 'The gateway version and the scope of the key used for this request',
    resolve: (_root, _args, ctx) => {
      // The auth plugin lets no unauthenticated request reach a resolver.
      const principal = ctx.auth.ok ? ctx.auth.principal : { actor: 'anonymous', scope: 'VIEWER' as const };
      return { version: packageManifest().version, actor: principal.actor, scope: principal.scope };
    },
  }),
}));
