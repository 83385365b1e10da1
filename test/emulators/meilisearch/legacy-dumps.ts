// The dumps API of Meilisearch before v0.28 (2022 spec; meilisearch-lib dump_actor at v0.27.2): no task.
// `POST /dumps` → 202 `{uid, status: "in_progress", startedAt}`; one dump at a time (409
// `dump_already_processing`); `GET /dumps/:uid/status` → `in_progress` | `done` | `failed` (with `error`),
// 404 `dump_not_found`; status kept in memory. The file written is a v4 dump, as v0.25–v0.27 wrote it:
//
//   metadata.json  instance-uid  keys  index_uuids/data.jsonl  indexes/<uuid>/{meta.json, documents.jsonl}
//   updates/data.jsonl  updates/updates_files/

import { rfc3339, rfc3339OrNull } from './rfc3339.ts';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine } from './engine.ts';
import { json, type EmulatorResponse } from './http.ts';
import { dumpUid } from './scheduler.ts';
import { indexUidOf } from './tasks.ts';
import { jsonl, writeDumpFile, type DumpEntry } from './dumps-tar.ts';

interface LegacyDumpInfo {
  uid: string;
  status: 'in_progress' | 'done' | 'failed';
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

/** Settings a v0.27 index had. */
const V4_SETTINGS = [
  'displayedAttributes',
  'searchableAttributes',
  'filterableAttributes',
  'sortableAttributes',
  'rankingRules',
  'stopWords',
  'synonyms',
  'distinctAttribute',
  'typoTolerance',
];

/** v0.27 had no vector store. */
function withoutVectors(document: Record<string, unknown>): Record<string, unknown> {
  const { _vectors: _unused, ...rest } = document;
  return rest;
}

function errorBody(status: number, code: string, message: string): EmulatorResponse {
  return json(status, { message, code, type: 'invalid_request', link: `https://docs.meilisearch.com/errors#${code}` });
}

function view(dump: LegacyDumpInfo): Record<string, unknown> {
  return {
    uid: dump.uid,
    status: dump.status,
    ...(dump.error === null ? {} : { error: dump.error }),
    startedAt: rfc3339(dump.startedAt),
    ...(dump.finishedAt === null ? {} : { finishedAt: rfc3339(dump.finishedAt) }),
  };
}

export class LegacyDumps {
  private readonly dumps = new Map<string, LegacyDumpInfo>();
  private running: LegacyDumpInfo | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly dir: string,
    private readonly instanceUid: string,
  ) {}

  create(): EmulatorResponse {
    if (this.running !== null) {
      return errorBody(409, 'dump_already_processing', 'A dump is already processing. You must wait until the current process is finished before requesting another dump.');
    }
    const startedAt = new Date();
    const dump: LegacyDumpInfo = { uid: dumpUid(startedAt), status: 'in_progress', startedAt, finishedAt: null, error: null };
    this.dumps.set(dump.uid, dump);
    this.running = dump;
    void this.run(dump);
    return json(202, view(dump));
  }

  status(uid: string): EmulatorResponse {
    const dump = this.dumps.get(uid);
    if (dump === undefined) return errorBody(404, 'dump_not_found', `Dump \`${uid}\` not found.`);
    return json(200, view(dump));
  }

  /** Spends `taskDelayMs` (re-read as it runs, like the scheduler), then writes the file. */
  private async run(dump: LegacyDumpInfo): Promise<void> {
    const start = Date.now();
    while (Date.now() - start < this.engine.options.taskDelayMs) await sleep(Math.min(10, this.engine.options.taskDelayMs));
    try {
      writeDumpFile(this.dir, dump.uid, this.entries(), dump.startedAt);
      dump.status = 'done';
    } catch (error) {
      dump.status = 'failed';
      dump.error = error instanceof Error ? error.message : String(error);
    }
    dump.finishedAt = new Date();
    this.running = null;
  }

  private entries(): DumpEntry[] {
    const { engine } = this;
    const now = rfc3339(new Date());
    const indexes = engine.indexes.names().map((uid) => ({ uid, uuid: randomUUID(), index: engine.indexes.get(uid)! }));
    const keys = engine.keys.list().map((key) => ({
      description: key.description,
      id: [...Buffer.from(key.uid.replace(/-/g, '').slice(0, 8))],
      actions: key.actions,
      indexes: key.indexes,
      expires_at: rfc3339OrNull(key.expiresAt),
      created_at: rfc3339(key.createdAt),
      updated_at: rfc3339(key.updatedAt),
    }));
    const updates = engine.queue.all().map((task) => ({
      id: task.uid,
      index_uid: indexUidOf(task.content),
      content: { [task.content.type]: {} },
      events: [
        { Created: rfc3339(task.enqueuedAt) },
        ...(task.finishedAt === null ? [] : [{ [task.status === 'succeeded' ? 'Succeded' : 'Failed']: { timestamp: rfc3339(task.finishedAt) } }]),
      ],
    }));
    const entries: DumpEntry[] = [
      {
        path: 'metadata.json',
        content: JSON.stringify({ dumpVersion: 'V4', dbVersion: engine.options.version, indexDbSize: 107374182400, updateDbSize: 107374182400, dumpDate: now }),
      },
      { path: 'instance-uid', content: this.instanceUid },
      { path: 'indexes' },
    ];
    for (const { uuid, index } of indexes) {
      const settings = Object.fromEntries(V4_SETTINGS.map((name) => [name, index.settings[name]]));
      const typo = settings['typoTolerance'] as Record<string, unknown> | undefined;
      if (typo !== undefined) {
        const { disableOnNumbers: _numbers, ...older } = typo;
        settings['typoTolerance'] = older;
      }
      entries.push(
        { path: `indexes/${uuid}` },
        { path: `indexes/${uuid}/documents.jsonl`, content: jsonl(index.documents.list().map(withoutVectors)) },
        { path: `indexes/${uuid}/meta.json`, content: JSON.stringify({ settings, primary_key: index.primaryKey }) },
      );
    }
    entries.push(
      { path: 'index_uuids' },
      { path: 'index_uuids/data.jsonl', content: jsonl(indexes.map(({ uid, uuid }, i) => ({ uid, index_meta: { uuid, creation_task_id: i } }))) },
      { path: 'keys', content: jsonl(keys) },
      { path: 'updates' },
      { path: 'updates/data.jsonl', content: jsonl(updates) },
      { path: 'updates/updates_files' },
    );
    return entries;
  }
}
