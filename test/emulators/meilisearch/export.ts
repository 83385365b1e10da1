// `POST /export` (v1.16+, routes/export.rs; index-scheduler process_export.rs): copies the indexes
// matching the given patterns to another Meilisearch instance over HTTP — index with its primary
// key, settings (unless the target index exists and `overrideSettings` is false) and documents,
// in payloads of at most `payloadSize` bytes — without waiting for the target's tasks.

import type { Batch } from './batches.ts';
import { MeiliError } from './errors.ts';
import { compileFilter } from './filter.ts';
import { hideSecret, settingsView } from './settings.ts';
import type { IndexStore } from './state.ts';
import type { Details } from './tasks.ts';

export interface ExportIndexSettings {
  filter: unknown;
  overrideSettings: boolean;
}

export interface ExportContent {
  type: 'export';
  url: string;
  apiKey: string | null;
  /** Bytes per documents payload as requested; null = the engine's default, 50 MiB. */
  payloadSize: number | null;
  indexes: Record<string, ExportIndexSettings>;
}

export const DEFAULT_EXPORT_PAYLOAD_SIZE = 50 * 1024 * 1024;

function patternMatches(pattern: string, uid: string): boolean {
  return pattern.endsWith('*') ? uid.startsWith(pattern.slice(0, -1)) : pattern === uid;
}

async function send(content: ExportContent, method: string, path: string, body: string, signal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (content.apiKey !== null) headers.authorization = `Bearer ${content.apiKey}`;
  let response: Response;
  try {
    response = await fetch(`${content.url.replace(/\/$/, '')}${path}`, { method, headers, body: method === 'GET' ? undefined : body, signal });
  } catch (error) {
    throw new MeiliError('internal', `Export to \`${content.url}\` failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return response;
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (response.ok) return;
  const text = await response.text();
  throw new MeiliError('internal', `Export failed while ${what}: the remote answered ${response.status}: ${text}`);
}

/** Copies every matching index; the batch's progress fraction advances per index. */
export async function runExport(indexes: IndexStore, content: ExportContent, batch: Batch, signal: AbortSignal): Promise<Details> {
  const uids = indexes.names().filter((uid) => Object.keys(content.indexes).some((p) => patternMatches(p, uid)));
  for (const [i, uid] of uids.entries()) {
    const index = indexes.get(uid);
    if (!index) continue;
    const pattern = Object.keys(content.indexes).find((p) => patternMatches(p, uid))!;
    const options = content.indexes[pattern]!;
    const encoded = encodeURIComponent(uid);
    const existing = await send(content, 'GET', `/indexes/${encoded}`, '', signal);
    if (existing.status === 404 || options.overrideSettings) {
      if (existing.status === 404) await expectOk(await send(content, 'POST', '/indexes', JSON.stringify({ uid, primaryKey: index.primaryKey }), signal), `creating ${uid}`);
      const settings = settingsView(index.settings);
      await expectOk(await send(content, 'PATCH', `/indexes/${encoded}/settings`, JSON.stringify(settings), signal), `sending the settings of ${uid}`);
    } else await expectOk(existing, `reading ${uid}`);
    // no filter (absent or null: deserr's Option) exports every document (process_export.rs maps it with Filter::from_json)
    const predicate = options.filter === null || options.filter === undefined ? null : compileFilter(options.filter, index.settings.filterableAttributes);
    const docs = index.documents.list().filter((doc) => predicate === null || predicate(doc));
    const limit = content.payloadSize ?? DEFAULT_EXPORT_PAYLOAD_SIZE;
    let chunk: string[] = [];
    let size = 2;
    const flush = async () => {
      if (chunk.length === 0) return;
      const query = index.primaryKey === null ? '' : `?primaryKey=${encodeURIComponent(index.primaryKey)}`;
      await expectOk(await send(content, 'POST', `/indexes/${encoded}/documents${query}`, `[${chunk.join(',')}]`, signal), `sending the documents of ${uid}`);
      chunk = [];
      size = 2;
    };
    for (const doc of docs) {
      const line = JSON.stringify(doc);
      if (size + line.length + 1 > limit) await flush();
      chunk.push(line);
      size += line.length + 1;
    }
    await flush();
    batch.fraction = (i + 1) / Math.max(uids.length, 1);
  }
  return exportDetails(content);
}

/** Task details: the api key hidden, the payload size in the engine's `Both` unit display. */
export function exportDetails(content: ExportContent): Details {
  return {
    url: content.url,
    apiKey: content.apiKey === null ? null : hideSecret(content.apiKey),
    payloadSize: content.payloadSize === null ? null : `${content.payloadSize} B`,
    indexes: content.indexes,
  };
}
