// The Meilisearch dump reader (dump formats v1–v6): a summary in one streaming pass, and the documents of
// chosen indexes in a second one. Nothing but the current chunk (and the small settings files) is held.
import { GatewayError } from '../../../src/errors.ts';
import { jsonlBatches } from './jsonl.ts';
import { DumpScan, type DumpIndex, type DumpSummary } from './layout.ts';
import { describeSource, visitTarGz, type DumpSource } from './tar.ts';

export type { DumpIndex, DumpSummary, DumpVersion } from './layout.ts';
export type { DumpSource } from './tar.ts';

/** Dump metadata, every index (uid, primary key, settings, document count), keys and tasks counts; never key secrets. */
export async function readDumpSummary(source: DumpSource, signal: AbortSignal): Promise<DumpSummary> {
  const scan = new DumpScan();
  await visitTarGz(source, signal, (entry) => scan.take(entry));
  return scan.summary(describeSource(source));
}

export type DocumentBatches = AsyncIterable<Record<string, unknown>[]>;

/**
 * One pass over the archive: `visit(index, batches)` is called for each index of `indexes` (by uid) that has
 * a documents file, in archive order, and must consume `batches` to its end. Returns the uids visited.
 */
export async function visitDumpDocuments(
  source: DumpSource,
  summary: DumpSummary,
  uids: readonly string[],
  options: { batchSize: number; signal: AbortSignal },
  visit: (index: DumpIndex, batches: DocumentBatches) => Promise<void>,
): Promise<Set<string>> {
  const byPath = new Map<string, DumpIndex>();
  for (const uid of uids) {
    const index = summary.indexes.find((candidate) => candidate.uid === uid);
    if (index === undefined) throw new GatewayError('collection_not_found', `Index ${uid} is not in the dump`, { details: { collections: [uid] } });
    if (index.documentsPath !== null) byPath.set(index.documentsPath, index);
  }
  const visited = new Set<string>();
  if (byPath.size === 0) return visited;
  await visitTarGz(source, options.signal, async (entry) => {
    const index = entry.type === 'file' ? byPath.get(entry.path) : undefined;
    if (index === undefined) return;
    await visit(index, jsonlBatches(entry.body, options.batchSize, entry.path));
    visited.add(index.uid);
    // A file on disk is closed as soon as the last index is read; a stored backup is read to its end so
    // its sha256 is checked.
    return visited.size === byPath.size && typeof source === 'string' ? 'stop' : undefined;
  });
  return visited;
}

export type DumpIndexItem = { kind: 'index'; index: DumpIndex; summary: DumpSummary } | { kind: 'documents'; documents: Record<string, unknown>[] };

/**
 * One index of a dump as a stream: first `{kind: 'index'}` (uid, primary key, settings as stored in the
 * dump), then `{kind: 'documents'}` batches. Two passes over the file (the index's location is only known
 * once the whole archive was listed); documents are read in batches of `batchSize`.
 */
export async function* readDumpIndex(source: DumpSource, uid: string, options: { batchSize?: number; signal: AbortSignal }): AsyncGenerator<DumpIndexItem> {
  const summary = await readDumpSummary(source, options.signal);
  const index = summary.indexes.find((candidate) => candidate.uid === uid);
  if (index === undefined) throw new GatewayError('collection_not_found', `Index ${uid} is not in the dump`, { details: { collections: [uid] } });
  yield { kind: 'index', index, summary };
  if (index.documentsPath === null) return;
  // The visitor runs inside the archive pass: batches are handed over through a small queue so the
  // caller's pace drives the reading (one batch in flight, never the whole file).
  const queue = handOver<Record<string, unknown>[]>();
  const reading = visitDumpDocuments(source, summary, [uid], { batchSize: options.batchSize ?? 1000, signal: options.signal }, async (_index, batches) => {
    for await (const batch of batches) await queue.put(batch);
  }).then(
    () => queue.close(),
    (error: unknown) => queue.close(error),
  );
  try {
    for (;;) {
      const next = await queue.take();
      if (next === null) break;
      yield { kind: 'documents', documents: next };
    }
  } finally {
    queue.abandon();
    await reading;
  }
}

/** A one-slot rendezvous between a producer and a consumer. */
function handOver<T>() {
  let slot: { value: T; taken: () => void } | null = null;
  let waiting: ((value: T | null) => void) | null = null;
  let failed: ((error: unknown) => void) | null = null;
  let done: { error: unknown } | null = null;
  let abandoned = false;
  return {
    put(value: T): Promise<void> {
      if (abandoned) return Promise.reject(new GatewayError('job_canceled', 'reader closed'));
      return new Promise<void>((taken) => {
        if (waiting !== null) {
          const resolve = waiting;
          waiting = failed = null;
          resolve(value);
          taken();
        } else slot = { value, taken };
      });
    },
    take(): Promise<T | null> {
      if (slot !== null) {
        const { value, taken } = slot;
        slot = null;
        taken();
        return Promise.resolve(value);
      }
      if (done !== null) return done.error === undefined ? Promise.resolve(null) : Promise.reject(done.error);
      return new Promise<T | null>((resolve, reject) => {
        waiting = resolve;
        failed = reject;
      });
    },
    close(error?: unknown): void {
      done = { error };
      if (waiting === null) return;
      const [resolve, reject] = [waiting, failed!];
      waiting = failed = null;
      if (error === undefined) resolve(null);
      else reject(error);
    },
    abandon(): void {
      abandoned = true;
      if (slot !== null) {
        const { taken } = slot;
        slot = null;
        taken();
      }
    },
  };
}
