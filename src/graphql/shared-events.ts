// Subscription events executed once per distinct selection, not once per subscriber. The job bus hands the same
// event object to every subscriber of a replica; subscribers with the same document, variables, operation and
// principal (actor and scope) get the same execution result for it, computed by the first one to ask. A
// thousand dashboards watching jobEvents cost one execution per event instead of a thousand.
import type { Plugin } from 'graphql-yoga';
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { GraphQLContext } from './context.ts';

type Results = Map<string, Promise<ExecutionResult> | ExecutionResult>;

export function useSharedSubscriptionEvents(): Plugin<GraphQLContext> {
  const byEvent = new WeakMap<object, Results>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in Object(source))) return source as ExecutionResult;
        let documentId = documentIds.get(args.document);
        if (documentId === undefined) documentIds.set(args.document, (documentId = nextDocumentId++));
        const auth = (args.contextValue as GraphQLContext).auth;
        const principal = auth.ok ? `${auth.principal.scope}:${auth.principal.actor}` : 'anonymous';
        const key = `${documentId}\n${args.operationName ?? ''}\n${principal}\n${JSON.stringify(args.variableValues ?? {})}`;
        const run = (event: unknown) => execute({ ...args, rootValue: event });
        return mapEvents(source as AsyncIterable<unknown>, (event) => {
          if (typeof event !== 'object' || event === null) return run(event);
          let results = byEvent.get(event);
          if (!results) byEvent.set(event, (results = new Map()));
          let result = results.get(key);
          if (!result) results.set(key, (result = run(event)));
          return result;
        });
      });
    },
  };
}

/** The source stream mapped event by event; return() and throw() reach the source (a subscriber leaving). */
function mapEvents(source: AsyncIterable<unknown>, map: (event: unknown) => Promise<ExecutionResult> | ExecutionResult): AsyncIterableIterator<ExecutionResult> {
  const inner = source[Symbol.asyncIterator]();
  return {
    async next() {
      const next = await inner.next();
      if (next.done) return { done: true, value: undefined };
      return { done: false, value: await map(next.value) };
    },
    async return() {
      await inner.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await inner.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
