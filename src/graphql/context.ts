// What every resolver receives: the gateway's services and who is asking.
import type { AuthResult } from '../auth/authenticate.ts';
import type { Plugin } from 'graphql-yoga';
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

/**
 * A subscription keeps one context for its whole life: its memo is emptied after each event, so every event
 * asks afresh (an engine's health an hour later is not the one of the first event).
 */
export function useRequestMemoPerEvent(): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const ctx = args.contextValue as GraphQLContext;
      return {
        onSubscribeResult() {
          return {
            onNext() {
              ctx.requestMemo?.clear();
            },
          };
        },
      };
    },
  };
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
