// The emulated instance: its state (indexes, keys, task queue, scheduler) and runtime options,
// shared by every route module.

import type { IncomingHttpHeaders } from 'node:http';
import { authenticate, type AuthFilter } from './auth.ts';
import { KeyStore, type RouteAction } from './keys.ts';
import { Scheduler } from './scheduler.ts';
import { IndexStore } from './state.ts';
import { TaskQueue, summarizedTaskView, type Details, type TaskContent } from './tasks.ts';
import { experimentalFeatureNames, hasFeature, versionAtLeast, type MeilisearchFeature } from './versions.ts';

/** A webhook as `/webhooks` stores it (routes/webhooks.rs). */
export interface Webhook {
  url: string;
  headers: Record<string, string>;
}

/** `/network` (meilisearch-types network.rs), community edition: no leader. */
export interface NetworkState {
  self: string | null;
  remotes: Record<string, { url: string; searchApiKey: string | null; writeApiKey: string | null }>;
  shards: Record<string, { remotes: string[] }>;
}

export interface EngineOptions {
  masterKey: string | undefined;
  version: string;
  taskDelayMs: number;
  documentsDelayMs: number;
}

export class Engine {
  readonly indexes: IndexStore;
  readonly keys: KeyStore;
  readonly queue = new TaskQueue();
  readonly scheduler: Scheduler;
  /** `RuntimeTogglableFeatures`: every feature of this version, off (`legacySearch` is null). */
  readonly features: Record<string, boolean | null>;
  readonly webhooks = new Map<string, Webhook>();
  network: NetworkState = { self: null, remotes: {}, shards: {} };

  constructor(readonly options: EngineOptions) {
    this.indexes = new IndexStore(options.version);
    this.keys = new KeyStore(options.masterKey);
    // the scheduler reads the delay on every task, so setOptions applies at run time
    this.scheduler = new Scheduler(this.queue, this.indexes, options);
    this.features = Object.fromEntries(experimentalFeatureNames(options.version).map((name) => [name, name === 'legacySearch' ? null : false]));
  }

  /** Whether this version has `feature` (versions.ts). */
  has(feature: MeilisearchFeature): boolean {
    return hasFeature(this.options.version, feature);
  }

  /** The `customMetadata` query parameter of a write (v1.26+); ignored by older versions. */
  customMetadata(search: string): string | undefined {
    if (!this.has('customMetadata')) return undefined;
    return new URLSearchParams(search).get('customMetadata') ?? undefined;
  }

  /** Whether an experimental feature is switched on. */
  enabled(feature: string): boolean {
    return this.features[feature] === true;
  }

  auth(headers: IncomingHttpHeaders, action: RouteAction, indexUid?: string): AuthFilter {
    return authenticate(this.keys, headers, action, indexUid);
  }

  /** Registers a task and answers with its SummarizedTaskView. */
  enqueue(content: TaskContent, details: Details | null, customMetadata?: string): Record<string, unknown> {
    const task = this.queue.register(content, details);
    if (customMetadata !== undefined) task.customMetadata = customMetadata;
    this.scheduler.wake();
    return summarizedTaskView(task);
  }

  /** `pkgVersion` compared as numbers, for behaviour that changed between releases. */
  versionAtLeast(major: number, minor: number): boolean {
    return versionAtLeast(this.options.version, `${major}.${minor}`);
  }
}
