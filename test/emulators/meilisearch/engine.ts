// The emulated instance: its state (indexes, keys, task queue, scheduler) and runtime options,
// shared by every route module.

import type { IncomingHttpHeaders } from 'node:http';
import { authenticate, type AuthFilter } from './auth.ts';
import { KeyStore, type RouteAction } from './keys.ts';
import { Scheduler } from './scheduler.ts';
import { IndexStore } from './state.ts';
import { TaskQueue, summarizedTaskView, type Details, type TaskContent } from './tasks.ts';

export interface EngineOptions {
  masterKey: string | undefined;
  version: string;
  taskDelayMs: number;
  documentsDelayMs: number;
}

export class Engine {
  readonly indexes = new IndexStore();
  readonly keys: KeyStore;
  readonly queue = new TaskQueue();
  readonly scheduler: Scheduler;

  constructor(readonly options: EngineOptions) {
    this.keys = new KeyStore(options.masterKey);
    // the scheduler reads the delay on every task, so setOptions applies at run time
    this.scheduler = new Scheduler(this.queue, this.indexes, options);
  }

  auth(headers: IncomingHttpHeaders, action: RouteAction, indexUid?: string): AuthFilter {
    return authenticate(this.keys, headers, action, indexUid);
  }

  /** Registers a task and answers with its SummarizedTaskView. */
  enqueue(content: TaskContent, details: Details | null): Record<string, unknown> {
    const task = this.queue.register(content, details);
    this.scheduler.wake();
    return summarizedTaskView(task);
  }

  /** `pkgVersion` compared as numbers, for behaviour that changed between releases. */
  versionAtLeast(major: number, minor: number): boolean {
    const [ma = 0, mi = 0] = this.options.version.split('.').map((n) => Number.parseInt(n, 10));
    return ma > major || (ma === major && mi >= minor);
  }
}
