// What every resolver receives: the gateway's services and who is asking.
import type { AuthResult } from '../auth/authenticate.ts';
import type { Gateway } from '../gateway.ts';

export interface GraphQLContext {
  gateway: Gateway;
  auth: AuthResult;
}

/** The actor recorded in audit entries; only called after the auth plugin has let the operation through. */
export function actorOf(ctx: GraphQLContext): string {
  return ctx.auth.ok ? ctx.auth.principal.actor : 'anonymous';
}
