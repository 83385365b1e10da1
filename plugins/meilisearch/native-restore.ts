// Native restore = the copied `.dump` replayed over the API into a running Meilisearch, no restart: per
// index the settings (converted from the dump's format for the target's version), then the documents, with
// the same atomic staging + swap and rollback as the logical restore; then the dump's API keys with their uid
// (restore-keys.ts). Tasks and instance-wide settings (network, webhooks, experimental features) are listed as
// skipped with the reason (`--import-dump` restores them).
import type { InspectedBackupFile, JobContext, LogicalRestoreRequest, LogicalRestoreResult, NativeBackupHandle } from '../../src/engines/contract.ts';
import { GatewayError } from '../../src/errors.ts';
import { restoreItems as restoreItems_ } from '../../src/plugin.ts';
import type { TransferOptions } from './backup.ts';
import type { MeilisearchClient } from './client.ts';
import { readDumpSummary, visitDumpDocuments, type DumpSource, type DumpSummary } from './dump/reader.ts';
import { settingsForTarget } from './dump/settings.ts';
import { fillIndex } from './fill.ts';
import { restoreItems, type RestoreItem } from './restore.ts';
import { restoreDumpInstance, skippedInstanceSettings, wantsKeys } from './restore-keys.ts';
import { readVersion } from './versions.ts';

export async function nativeRestore(
  client: MeilisearchClient,
  options: TransferOptions,
  request: LogicalRestoreRequest,
  backup: NativeBackupHandle,
  ctx: JobContext,
): Promise<LogicalRestoreResult> {
  const file = backup.files.find((candidate) => candidate.path.endsWith('.dump'));
  if (file === undefined && [...backup.files, ...backup.external].some((artifact) => artifact.path.endsWith('.snapshot'))) {
    throw new GatewayError(
      'capability_not_supported',
      'A Meilisearch snapshot is not restored over the API: start Meilisearch of the same version with --import-snapshot <file> (the copied data.ms.snapshot)',
    );
  }
  if (file === undefined) {
    const where = backup.external.map((artifact) => artifact.location).join(', ') || 'the Meilisearch server';
    throw new GatewayError(
      'capability_not_supported',
      `This backup's dump is not in gateway storage (it stayed at ${where}): restart Meilisearch with --import-dump, or configure dumpsDir so the gateway copies dumps`,
    );
  }
  const source: DumpSource = () => backup.openFile(file.path);
  ctx.progress({ phase: 'reading dump', completed: 0, total: null, unit: 'documents', message: file.path });
  const summary = await readDumpSummary(source, ctx.signal);
  const warnings: string[] = [];
  const engineVersion = await readVersion(client, ctx.signal, warnings);
  const items = planDumpRestore(summary, request, engineVersion, warnings);
  if (summary.tasksCount > 0) warnings.push(`the dump's ${summary.tasksCount} task(s) are history of the source: not restored`);

  const restored = await restoreItems({ client, options, ctx, engineVersion, warnings }, items, request, async (fill, indexOf, mode, enqueued) => {
    const bySource = new Map(items.map((item) => [item.source, item]));
    const visited = await visitDumpDocuments(source, summary, [...bySource.keys()], { batchSize: options.batchSize, signal: ctx.signal }, async (index, batches) => {
      const item = bySource.get(index.uid)!;
      item.documentCount = await fillIndex(fill, item, indexOf(item), mode, enqueued, batches);
    });
    // An index without a documents file (an empty index in some dumps) is still created with its settings.
    for (const item of items) {
      if (!visited.has(item.source)) item.documentCount = await fillIndex(fill, item, indexOf(item), mode, enqueued, []);
    }
  });
  // Instance-level, after the indexes are in place, as a logical restore does: keys (same uid → same value under
  // the same master key); network, webhooks and experimental features are listed as skipped with the reason.
  if (wantsKeys(request.options)) restored.warnings.push(...(await restoreDumpInstance(client, summary, ctx.signal)));
  else restored.warnings.push(...skippedInstanceSettings(summary.instance));
  return restored;
}

function planDumpRestore(summary: DumpSummary, request: LogicalRestoreRequest, engineVersion: string | null, warnings: string[]): RestoreItem[] {
  return restoreItems_(request).map(({ source, target, backupDocuments }) => {
    const index = summary.indexes.find((candidate) => candidate.uid === source);
    if (index === undefined) throw new GatewayError('collection_not_found', `Index ${source} is not in the dump`, { details: { collections: [source] } });
    const converted = settingsForTarget(index.settings, summary.dumpVersion, engineVersion);
    for (const warning of converted.warnings) warnings.push(`index ${target}: ${warning}`);
    return { source, target, primaryKey: index.primaryKey, settings: converted.settings, expectedDocuments: backupDocuments ?? index.documentCount };
  });
}

/** importBackup: what a dump file on the gateway host holds, read without any engine. */
export async function inspectDumpFile(file: string, signal: AbortSignal): Promise<InspectedBackupFile> {
  const summary = await readDumpSummary(file, signal);
  const version = summary.dumpVersion.slice(1);
  const warnings = [`holds ${summary.keysCount} API key(s) and ${summary.tasksCount} task(s); a restore recreates the indexes and the keys with a uid, not the tasks`];
  if (summary.dumpVersion !== 'V6') {
    warnings.push(`dump format v${version} (Meilisearch ${summary.dbVersion ?? 'unknown'}): settings are converted to the target's format on restore`);
  }
  if (summary.dumpDate === null) warnings.push('this dump format records no creation date');
  warnings.push(...skippedInstanceSettings(summary.instance));
  return {
    engineVersion: summary.dbVersion,
    format: `meilisearch dump v${version}`,
    createdAt: summary.dumpDate,
    collections: summary.indexes.map((index) => ({ name: index.uid, documentCount: index.documentCount, bytes: index.documentBytes })),
    warnings,
  };
}
