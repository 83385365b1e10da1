// Dumps (v0.28+): `POST /dumps` enqueues a dumpCreation task; when the scheduler processes it (after
// `taskDelayMs`, with the batch's dump progress steps) a real v6 dump is written into the dumps folder,
// laid out as Meilisearch v1.x writes it (crates/dump/src/writer.rs):
//
//   metadata.json  instance_uid.uuid  keys.jsonl  tasks/queue.jsonl  tasks/update_files/<task>.jsonl
//   batches/queue.jsonl  indexes/<uid>/{metadata.json, settings.json, documents.jsonl}
//   experimental-features.json  network.json  webhooks.json  chat-completions-settings/
//
// Tasks and batches are written in the shape of the engine's dump structs (type/details as tagged
// enums, snake_case fields inside); their detail payloads are approximate. Before v0.28 the old API of
// legacy-dumps.ts answers instead.

import { rfc3339, rfc3339OrNull } from './rfc3339.ts';
import { randomUUID } from 'node:crypto';
import { batchView, type Batch } from './batches.ts';
import { documentView } from './documents.ts';
import type { Engine } from './engine.ts';
import { json, type Route } from './http.ts';
import { LegacyDumps } from './legacy-dumps.ts';
import { SETTING_NAMES, type Settings } from './settings.ts';
import { isObject } from './params.ts';
import { indexUidOf, type Task } from './tasks.ts';
import { jsonl, writeDumpFile, type DumpEntry } from './dumps-tar.ts';

const EXPERIMENTAL_FEATURES = {
  metrics: false,
  logsRoute: false,
  editDocumentsByFunction: false,
  containsFilter: false,
  network: false,
  getTaskDocumentsRoute: false,
  compositeEmbedders: false,
  chatCompletions: false,
  multimodal: false,
};

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function snakeKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [snake(key), v]));
}

export class EmulatorDumps {
  readonly instanceUid = randomUUID();
  readonly legacy: LegacyDumps;

  constructor(
    private readonly engine: Engine,
    readonly dir: string,
  ) {
    this.legacy = new LegacyDumps(engine, dir, this.instanceUid);
  }

  /** Called by the scheduler while it processes a dumpCreation task; a throw fails the task. */
  write(dumpUid: string, dumpTask: Task, at: Date): void {
    writeDumpFile(this.dir, dumpUid, this.entries(dumpUid, dumpTask, at), at);
  }

  private entries(dumpUid: string, dumpTask: Task, at: Date): DumpEntry[] {
    const { engine } = this;
    const keys = engine.keys.list().map((key) => ({
      description: key.description,
      name: key.name,
      uid: key.uid,
      actions: key.actions,
      indexes: key.indexes,
      expires_at: rfc3339OrNull(key.expiresAt),
      created_at: rfc3339(key.createdAt),
      updated_at: rfc3339(key.updatedAt),
    }));
    const tasks = engine.queue.all();
    const entries: DumpEntry[] = [
      { path: 'metadata.json', content: JSON.stringify({ dumpVersion: 'V6', dbVersion: engine.options.version, dumpDate: rfc3339(at) }) },
      { path: 'instance_uid.uuid', content: this.instanceUid },
      { path: 'keys.jsonl', content: jsonl(keys) },
      { path: 'tasks' },
      { path: 'tasks/update_files' },
      ...tasks.flatMap((task) =>
        task.status === 'enqueued' && task.content.type === 'documentAdditionOrUpdate' && task.content.documents !== null
          ? [{ path: `tasks/update_files/${task.uid}.jsonl`, content: jsonl(task.content.documents) }]
          : [],
      ),
      { path: 'tasks/queue.jsonl', content: jsonl(tasks.map((task) => taskDump(task, task === dumpTask ? { dumpUid, keys, instanceUid: this.instanceUid } : null))) },
      { path: 'batches' },
      { path: 'batches/queue.jsonl', content: jsonl([...engine.scheduler.batches.values()].map(batchDump)) },
      { path: 'indexes' },
    ];
    for (const uid of engine.indexes.names()) {
      const index = engine.indexes.get(uid)!;
      const embedders = new Set(isObject(index.settings.embedders) ? Object.keys(index.settings.embedders) : []);
      entries.push(
        { path: `indexes/${uid}` },
        {
          path: `indexes/${uid}/metadata.json`,
          content: JSON.stringify({ uid, primaryKey: index.primaryKey, createdAt: rfc3339(index.createdAt), updatedAt: rfc3339(index.updatedAt) }),
        },
        { path: `indexes/${uid}/settings.json`, content: JSON.stringify(dumpSettings(index.settings)) },
        // documents with their stored embeddings as `_vectors.<embedder> = {embeddings, regenerate}`
        { path: `indexes/${uid}/documents.jsonl`, content: jsonl(index.documents.list().map((doc) => documentView(doc, null, true, embedders))) },
      );
    }
    entries.push(
      { path: 'experimental-features.json', content: JSON.stringify(EXPERIMENTAL_FEATURES) },
      { path: 'network.json', content: JSON.stringify({ self: null, remotes: {} }) },
      { path: 'webhooks.json', content: JSON.stringify({ webhooks: {} }) },
      { path: 'chat-completions-settings' },
    );
    return entries;
  }
}

/** Every setting as stored, secrets included (a dump keeps embedder API keys), `chat` only when set. */
function dumpSettings(stored: Settings): Settings {
  const out: Settings = {};
  for (const name of SETTING_NAMES) if (name !== 'chat') out[name] = stored[name];
  return out;
}

function taskDump(task: Task, dump: { dumpUid: string; keys: unknown[]; instanceUid: string } | null): Record<string, unknown> {
  const { type, ...content } = task.content as Record<string, unknown> & { type: string };
  delete content['documents'];
  delete content['indexUid'];
  // The task being dumped is recorded as finished, so an import does not run it again.
  const kind = dump === null ? snakeKeys(content) : { keys: dump.keys, instance_uid: dump.instanceUid };
  const details = dump === null ? task.details : { dumpUid: dump.dumpUid };
  return {
    uid: task.uid,
    batchUid: task.batchUid,
    indexUid: indexUidOf(task.content),
    status: dump === null ? task.status : 'succeeded',
    type: { [type === 'documentAdditionOrUpdate' ? 'documentImport' : type]: kind },
    canceledBy: task.canceledBy,
    ...(details === null ? {} : { details: { [pascal(type)]: snakeKeys(details) } }),
    error: task.error,
    enqueuedAt: rfc3339(task.enqueuedAt),
    startedAt: rfc3339OrNull(task.startedAt),
    finishedAt: rfc3339OrNull(dump === null ? task.finishedAt : new Date()),
  };
}

function batchDump(batch: Batch): Record<string, unknown> {
  const view = batchView(batch);
  const enqueued = batch.tasks.map((task) => task.enqueuedAt.getTime());
  return {
    uid: view.uid,
    details: view.details,
    stats: view.stats,
    startedAt: view.startedAt,
    finishedAt: view.finishedAt,
    enqueuedAt: enqueued.length === 0 ? null : { earliest: rfc3339(new Date(Math.min(...enqueued))), oldest: rfc3339(new Date(Math.max(...enqueued))) },
  };
}

/** `POST /dumps` (a task from v0.28, the old API before) and the pre-v0.28 `GET /dumps/:uid/status`. */
export function dumpRoutes(engine: Engine, dumps: EmulatorDumps): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/dumps',
      handler: (req) => {
        engine.auth(req.headers, 'dumps.create');
        if (!engine.versionAtLeast(0, 28)) return dumps.legacy.create();
        return json(202, engine.enqueue({ type: 'dumpCreation' }, { dumpUid: null }));
      },
    },
    {
      method: 'GET',
      pattern: '/dumps/:dumpUid/status',
      handler: (req, { dumpUid = '' }) => {
        // v0.28 removed the route: actix's bare 404.
        if (engine.versionAtLeast(0, 28)) return { status: 404 };
        // v0.27 guarded it with `dumps.get`, an action this emulator's key model does not have.
        engine.auth(req.headers, 'dumps.create');
        return dumps.legacy.status(dumpUid);
      },
    },
  ];
}
