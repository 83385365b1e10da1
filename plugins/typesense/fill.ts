// Fills one collection from the archive: create it, import the documents in JSONL batches, count the lines
// Typesense refused (the import answers HTTP 200 with one result per line), recreate its synonyms/overrides.

import { z } from 'zod';
import type { ArchiveReader } from '../../src/storage/archive-types.ts';
import type { JobContext } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { type DocumentProgress, totalOf } from '../../src/plugin.ts';
import { throwIfCanceled, type Json, type TypesenseClient } from './client.ts';
import type { TransferOptions } from './backup.ts';
import { restoreCurations, type SatelliteContext, type Satellites } from './satellites.ts';
import { importLine, parseResponse } from './schema.ts';

const importResults = z.array(importLine);

/**
 * Import requests in flight per collection: with 2-3 the gateway reads and serialises the next batch while
 * Typesense indexes the last ones (a restore is otherwise a strict ping-pong); more only queue on the engine.
 */
const IMPORTS_IN_FLIGHT = 3;

/** How many refused lines a failure report quotes. */
export const FIRST_ERRORS = 5;

export interface ImportFailure {
  /** 1-based position of the document in the collection's archived order. */
  line: number;
  id: string | null;
  code: number | null;
  error: string;
}

export interface FillReport {
  imported: number;
  failed: number;
  firstErrors: ImportFailure[];
}

/** The kit's restore progress (restoreProgress): running count against the planned total. */
export type RestoreProgress = DocumentProgress;

export interface FillContext {
  client: TypesenseClient;
  options: TransferOptions;
  archive: ArchiveReader;
  ctx: JobContext;
  progress: RestoreProgress;
  satellites: Satellites;
  satelliteContext: SatelliteContext;
}

/** Creates `collection` from `body` and fills it with the documents of archive collection `source`. */
export async function fillCollection(fill: FillContext, source: string, collection: string, body: Json): Promise<FillReport> {
  const { client, options, ctx } = fill;
  const { signal } = ctx;
  await client.createCollection({ ...body, name: collection }, signal);
  fill.progress.report('documents', `collection ${collection}`);

  const report: FillReport = { imported: 0, failed: 0, firstErrors: [] };
  let position = 0;
  // Up to IMPORTS_IN_FLIGHT batches travel at once (the next is read and serialised while Typesense indexes
  // the earlier ones); their results are counted in archive order, so line numbers and firstErrors stay exact.
  const inFlight: { documents: readonly unknown[]; results: Promise<unknown> }[] = [];
  const settleOldest = async (): Promise<void> => {
    const batch = inFlight.shift()!;
    const results = parseResponse(importResults, await batch.results, 'import');
    countResults(collection, batch.documents, results, position, report);
    position += batch.documents.length;
    fill.progress.completed += batch.documents.length;
    fill.progress.report('documents', `collection ${collection}`);
  };
  try {
    for await (const documents of fill.archive.readDocuments(source, options.batchSize)) {
      throwIfCanceled(signal);
      if (documents.length === 0) continue;
      const jsonl = documents.map((document) => JSON.stringify(document)).join('\n');
      const results = client.importDocuments(collection, jsonl, options.importAction, options.importTimeoutMs, signal);
      results.catch(() => undefined); // awaited in settleOldest; an earlier failure must not leave it unhandled
      inFlight.push({ documents, results });
      if (inFlight.length >= IMPORTS_IN_FLIGHT) await settleOldest();
    }
    while (inFlight.length > 0) await settleOldest();
  } finally {
    inFlight.length = 0;
  }
  await restoreCurations({ ...fill.satelliteContext, signal }, fill.satellites, source, collection);
  return report;
}

/** Counts one batch's per-line results; quotes the first refused lines. */
function countResults(collection: string, documents: readonly unknown[], results: z.infer<typeof importResults>, position: number, report: FillReport): void {
  if (results.length !== documents.length) {
    throw new GatewayError('engine_error', `Typesense import into ${collection} answered ${results.length} result(s) for ${documents.length} document(s)`);
  }
  results.forEach((result, i) => {
    if (result.success) {
      report.imported++;
      return;
    }
    report.failed++;
    if (report.firstErrors.length < FIRST_ERRORS) {
      const id = result.id ?? (documents[i] as Json | undefined)?.['id'];
      report.firstErrors.push({ line: position + i + 1, id: typeof id === 'string' ? id : null, code: result.code ?? null, error: result.error ?? 'unknown error' });
    }
  });
}

/** A restore with refused documents fails with the exact counts and the first errors. */
export function importFailure(reports: { source: string; target: string; report: FillReport }[]): GatewayError | null {
  const failing = reports.filter(({ report }) => report.failed > 0);
  if (failing.length === 0) return null;
  const failed = totalOf(failing, ({ report }) => report.failed);
  const imported = totalOf(reports, ({ report }) => report.imported);
  const firstErrors = failing.flatMap(({ target, report }) => report.firstErrors.map((error) => ({ collection: target, ...error }))).slice(0, FIRST_ERRORS);
  const quoted = firstErrors
    .map((error) => `${error.collection} document #${error.line}${error.id === null ? '' : ` (id ${error.id})`}: ${error.error}${error.code === null ? '' : ` [${error.code}]`}`)
    .join('; ');
  const perCollection = failing.map(({ target, report }) => `${target}: ${report.failed} of ${report.failed + report.imported}`).join(', ');
  return new GatewayError('restore_failed', `${failed} document(s) failed to import (${perCollection}); first errors: ${quoted}`, {
    details: {
      failed,
      imported,
      collections: failing.map(({ source, target, report }) => ({ source, target, failed: report.failed, imported: report.imported })),
      firstErrors,
    },
  });
}
