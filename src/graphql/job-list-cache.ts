// Answers to job queries (`jobs`, `job`) kept briefly and dropped at the next job change or mutation: a dashboard
// polling the jobs list costs one execution per change, not one per request. Each caller has its own entries.
import { Kind, getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.ts';

/** Root query fields whose answers come from job rows: only operations made of these alone are kept. */
const JOB_FIELDS = new Set(['jobs', 'job', '__typename']);
/** Answers kept per document (one document, many variables: the oldest go first). */
const ENTRIES_PER_DOCUMENT = 64;

interface Entry {
  result: ExecutionResult;
  generation: number;
  expires: number;
}

export interface JobListCacheOptions {
  /**
   * How long an answer may be served at most (GATEWAY_JOB_LIST_CACHE_MS). A job change published on the bus or
   * a mutation on this replica drops every answer at once; this bounds what neither announces (a change of a
   * backup's labels made on another replica, an engine's health under `job { engine { health } }`). 0 turns
   * the cache off.
   */
  ttlMs: number;
  /** Called with a function to run on every job change (every replica's, through the bus), for the bus's life. */
  onJobChange: (listener: () => void) => void;
}

export function useJobListCache(options: JobListCacheOptions): Plugin<GraphQLContext> {
  const now = Date.now;
  const byDocument = new WeakMap<DocumentNode, Map<string, Entry>>();
  const cacheable = new WeakMap<DocumentNode, Map<string, boolean>>();
  const flights = new WeakMap<DocumentNode, Map<string, Promise<ExecutionResult>>>();
  let generation = 0;
  const invalidate = () => void generation++;
  if (options.ttlMs > 0) options.onJobChange(invalidate);

  const isJobQuery = (document: DocumentNode, operationName: string | null | undefined): boolean => {
    let answers = cacheable.get(document);
    if (!answers) cacheable.set(document, (answers = new Map()));
    const name = operationName ?? '';
    let answer = answers.get(name);
    if (answer === undefined) answers.set(name, (answer = onlyJobFields(document, operationName)));
    return answer;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const context = args.contextValue as GraphQLContext;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'mutation') {
        // Whatever a mutation changes (a backup's labels, a job canceled), later answers are read afresh.
        invalidate();
        return;
      }
      if (options.ttlMs <= 0 || !context.auth.ok || !isJobQuery(args.document, args.operationName)) return;
      const key = `${context.auth.principal.actor}\u0000${context.auth.principal.scope}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
      let entries = byDocument.get(args.document);
      const kept = entries?.get(key);
      if (kept && kept.generation === generation && kept.expires > now()) {
        setResultAndStopExecution(kept.result);
        return;
      }
      const startedAt = generation;
      // One execution per answer: requests that miss while it runs share it instead of each running their own.
      const flightKey = `${startedAt}\u0000${key}`;
      let documentFlights = flights.get(args.document);
      const running = documentFlights?.get(flightKey);
      if (running) {
        setExecuteFn(() => running);
        return;
      }
      setExecuteFn((executionArgs) => {
        const execution = Promise.resolve(executeFn(executionArgs)) as Promise<ExecutionResult>;
        if (!documentFlights) flights.set(args.document, (documentFlights = new Map()));
        documentFlights.set(flightKey, execution);
        const done = () => void documentFlights?.delete(flightKey);
        execution.then(done, done);
        return execution;
      });
      return {
        onExecuteDone({ result }) {
          // Only whole answers read before any change since the execution began; never an error.
          if (Symbol.asyncIterator in result || result.errors?.length || startedAt !== generation) return;
          if (!entries) byDocument.set(args.document, (entries = new Map()));
          entries.delete(key);
          entries.set(key, { result, generation: startedAt, expires: now() + options.ttlMs });
          if (entries.size > ENTRIES_PER_DOCUMENT) entries.delete(entries.keys().next().value!);
        },
      };
    },
  };
}

/** A query whose root selections are all job fields (directly, no fragments spread at the root). */
function onlyJobFields(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query') return false;
  return operation.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && JOB_FIELDS.has(selection.name.value) && !selection.directives?.length);
}
