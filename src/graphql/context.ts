// What every resolver receives: the gateway's services and who is asking.
import type { AuthResult } from '../auth/authenticate.ts';
import type { Gateway } from '../gateway.ts';

export interface GraphQLContext {
  gateway: Gateway;
  auth: AuthResult;
  /**
   * Answers shared by every field of one request, by key (e.g. `health:<engine id>`): a query naming the same
   * engine under 100 aliases asks the engine once.
   */
  requestMemo?: Map<string, Promise<unknown>>;
}

/** `compute()` once per request and key; later calls in the same request get the same promise. */
export function memoized<T>(ctx: GraphQLContext, key: string, compute: () => Promise<T>): Promise<T> {
  ctx.requestMemo ??= new Map();
  let answer = ctx.requestMemo.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = compute();
    ctx.requestMemo.set(key, answer);
  }
  return answer;
}

/** The actor recorded in audit entries; only called after the auth plugin has let the operation through. */
export function actorOf(ctx: GraphQLContext): string {
  return ctx.auth.ok ? ctx.auth.principal.actor : 'anonymous';
}
