// Logical restore over the API. A target that holds live data (a collection, or an alias readers use) is
// filled under a staging name and switched in at the end with alias updates, so readers see the old data
// until then; a free target is filled under its own name. Cancel or failure drops what the restore created
// and leaves live collections and aliases untouched. Typesense cannot rename a collection, so the filled copy
// becomes live behind an alias: it is named `<target>__gwlive_<job>` (restore-kit), never like a staging leftover.
import type { ArchiveReader } from '../../src/storage/archive-types.ts';
import type { JobContext, LogicalRestoreRequest, LogicalRestoreResult, RestoreFacts, RestoreFactsRequest } from '../../src/engines/contract.ts';
import { archivedItems, compareVersions, dropEach, livePhysicalName, majorOf, restoreJobId, restoreJobOf, restoreProgress, totalOf, withRollback } from '../../src/plugin.ts';
import { GatewayError } from '../../src/errors.ts';
import { readEngineVersion, type TransferOptions } from './backup.ts';
import type { Json, TypesenseClient } from './client.ts';
import { fillCollection, importFailure, type FillContext, type FillReport, type RestoreProgress } from './fill.ts';
import { convertSatellites, type ConversionReport } from './v30.ts';
import { archivedAliases, readSatellites, restoreGlobals, restoreSets, type SatelliteContext, type Satellites } from './satellites.ts';
import { aliasList, collectionList, collectionSchemaFile, collectionSummary, createBody, majorVersion, namedSetList, parseResponse, type Alias } from './schema.ts';

/** Copies made by gateway versions before job-named ones: still recognised as the gateway's own. */
const OLD_STAGING = /__restore_[0-9a-f]{8}$/;

interface RestoreItem {
  source: string;
  target: string;
  expected: number;
  body: Json;
  /** fresh: target is free, filled under its own name. staged: filled aside, switched in. recreate: non-atomic, dropped then refilled. */
  placement: 'fresh' | 'staged' | 'recreate';
  /** What answers to the target name now. */
  live: { kind: 'collection' } | { kind: 'alias'; collection: string } | null;
  fillName: string;
  report?: FillReport;
}

export async function logicalRestore(
  client: TypesenseClient,
  options: TransferOptions,
  request: LogicalRestoreRequest,
  archive: ArchiveReader,
  ctx: JobContext,
): Promise<LogicalRestoreResult> {
  const { signal } = ctx;
  if (request.mode === 'apply') {
    throw new GatewayError('capability_not_supported', 'Typesense backups are always full: there is no incremental layer to apply');
  }
  const warnings: string[] = [];
  const v30 = (majorVersion(await readEngineVersion(client, signal)) ?? 0) >= 30;
  const liveAliases = parseResponse(aliasList, await client.listAliases(signal), 'aliases').aliases;
  const items = await planRestore(client, options, request, archive, liveAliases, v30, signal);
  // Across the v30 line, synonyms/overrides ⇄ sets and analytics rules are reshaped (v30.ts); what cannot be is a warning.
  const { satellites, report } = convertSatellites(await readSatellites(archive), items, v30);
  warnings.push(...report.losses.map((loss) => `not restored: ${loss}`));

  const progress: RestoreProgress = restoreProgress(
    ctx,
    totalOf(items, (item) => item.expected),
  );
  const satelliteContext: SatelliteContext = { client, signal, warnings, v30 };
  const fill: FillContext = { client, options, archive, ctx, progress, satellites, satelliteContext };
  progress.report('documents', `${items.length} collection(s) to restore`);

  const created: string[] = [];
  // Non-atomic restores keep what is already indexed; atomic ones never touched live data.
  await withRollback(
    ctx,
    async () => {
      await restoreSets(satelliteContext, satellites, referencedSets(items));
      for (const item of items) {
        if (item.placement === 'recreate') await client.dropCollection(item.target, signal);
        created.push(item.fillName);
        item.report = await fillCollection(fill, item.source, item.fillName, item.body);
      }
      const failure = importFailure(items.map((item) => ({ source: item.source, target: item.target, report: item.report! })));
      if (failure !== null) throw failure;
      // A backup set's members switch only when every one of them is filled (a refusal rolls this one back).
      await request.beforeSwap?.(signal);
    },
    async () => (request.atomic ? dropQuietly(client, ctx, created) : undefined),
  );

  // The switch runs to its end: the job signal is no longer honoured, only a timeout.
  ctx.progress({ phase: 'switch', completed: 0, total: items.length, unit: 'collections', message: 'switching aliases' });
  const commitSignal = AbortSignal.timeout(Math.max(options.importTimeoutMs, 60_000));
  await commit(client, items, satellites, liveAliases, { ...satelliteContext, signal: commitSignal }, ctx);
  ctx.progress({ phase: 'switch', completed: items.length, total: items.length, unit: 'collections', message: 'done' });
  return { collections: items.map((item) => ({ source: item.source, target: item.target, documentCount: item.report?.imported ?? 0 })), warnings };
}

async function planRestore(
  client: TypesenseClient,
  options: TransferOptions,
  request: LogicalRestoreRequest,
  archive: ArchiveReader,
  liveAliases: Alias[],
  v30: boolean,
  signal: AbortSignal,
): Promise<RestoreItem[]> {
  const jobId = restoreJobId(request);
  const items: RestoreItem[] = [];
  for (const { source, target, backupDocuments, schema } of await archivedItems(request, archive, collectionSchemaFile, 'Typesense collection schema')) {
    // Throws before anything is touched when a masked credential was not re-supplied.
    // The set references stay in the body: below v30 the conversion (v30.ts) turns them into synonyms/overrides.
    const body = createBody(schema, target, options.modelApiKeys);
    const summary = await client.getCollection(target, signal);
    const isCollection = summary !== null && parseResponse(collectionSummary, summary, 'collection').name === target;
    const aliased = liveAliases.find((alias) => alias.name === target)?.collection_name;
    const live = isCollection ? ({ kind: 'collection' } as const) : aliased !== undefined ? ({ kind: 'alias', collection: aliased } as const) : null;
    const placement = live === null ? 'fresh' : live.kind === 'collection' && !request.atomic ? 'recreate' : 'staged';
    const fillName = placement === 'staged' ? livePhysicalName(jobId, target) : target;
    items.push({ source, target, expected: backupDocuments, body, placement, live, fillName });
  }
  return items;
}

function referencedSets(items: RestoreItem[]): { synonym_sets: Set<string>; curation_sets: Set<string> } {
  const names = (key: string) => new Set(items.flatMap((item) => (Array.isArray(item.body[key]) ? (item.body[key] as unknown[]).map(String) : [])));
  return { synonym_sets: names('synonym_sets'), curation_sets: names('curation_sets') };
}

/**
 * Points every name readers use at the restored collections: a target alias with one PUT (atomic); a target
 * that is a real collection (Typesense cannot rename one) by moving its aliases over first, then replacing
 * the collection by an alias of the same name. Then the archived aliases and the global satellites.
 */
async function commit(client: TypesenseClient, items: RestoreItem[], satellites: Satellites, liveAliases: Alias[], sat: SatelliteContext, ctx: JobContext): Promise<void> {
  const { signal, warnings } = sat;
  const physical = new Map(items.map((item) => [item.source, item.fillName]));
  const replaced: string[] = [];
  try {
    for (const item of items) {
      if (item.placement !== 'staged' || item.live === null) continue;
      if (item.live.kind === 'alias') {
        await client.upsertAlias(item.target, item.fillName, signal);
        replaced.push(item.live.collection);
        continue;
      }
      for (const alias of liveAliases.filter((candidate) => candidate.collection_name === item.target)) {
        await client.upsertAlias(alias.name, item.fillName, signal);
      }
      await client.dropCollection(item.target, signal);
      await client.upsertAlias(item.target, item.fillName, signal);
    }
    const targets = new Set(items.map((item) => item.target));
    for (const alias of archivedAliases(satellites)) {
      const item = items.find((candidate) => candidate.source === alias.collection_name);
      if (item === undefined || targets.has(alias.name)) continue;
      if (item.target !== item.source) {
        warnings.push(`alias ${alias.name} left as it is: its collection ${item.source} was restored as ${item.target}`);
        continue;
      }
      const existing = await client.getCollection(alias.name, signal);
      if (existing !== null && parseResponse(collectionSummary, existing, 'collection').name === alias.name) {
        warnings.push(`alias ${alias.name} not restored: a collection has that name`);
        continue;
      }
      const previous = liveAliases.find((candidate) => candidate.name === alias.name)?.collection_name;
      await client.upsertAlias(alias.name, physical.get(item.source)!, signal);
      if (previous !== undefined && previous !== physical.get(item.source)) replaced.push(previous);
    }
    await restoreGlobals(sat, satellites);
  } catch (error) {
    ctx.logger.error('typesense restore: switching aliases failed part way', { error: error instanceof Error ? error.message : String(error) });
    throw new GatewayError('restore_failed', `Typesense restore: switching aliases failed part way: ${(error as Error).message}`, { cause: error });
  }
  await dropUnreferenced(client, ctx, replaced, [...physical.values()], warnings);
}

/** Collections an alias pointed at before the switch: dropped when the gateway made them and nothing points at them now. */
async function dropUnreferenced(client: TypesenseClient, ctx: JobContext, replaced: string[], restored: string[], warnings: string[]): Promise<void> {
  if (replaced.length === 0) return;
  const signal = AbortSignal.timeout(60_000);
  const aliases = parseResponse(aliasList, await client.listAliases(signal), 'aliases').aliases;
  for (const name of new Set(replaced)) {
    if (restored.includes(name) || aliases.some((alias) => alias.collection_name === name)) continue;
    if (restoreJobOf(name)?.kind === 'live' || OLD_STAGING.test(name)) await dropQuietly(client, ctx, [name]);
    else warnings.push(`collection ${name} is no longer behind any alias; drop it when it is not needed any more`);
  }
}

function dropQuietly(client: TypesenseClient, ctx: JobContext, collections: string[]): Promise<void> {
  return dropEach(ctx, collections, (name, signal) => client.dropCollection(name, signal));
}

/**
 * Restore plan facts: targets answering to their name (collections and aliases), version compatibility, and
 * across the v30 line every conversion and loss (read from the archive when the planner could open it).
 */
export async function restoreFacts(client: TypesenseClient, request: RestoreFactsRequest, signal: AbortSignal): Promise<RestoreFacts> {
  const engineVersion = await readEngineVersion(client, signal);
  const aliases = parseResponse(aliasList, await client.listAliases(signal), 'aliases').aliases;
  const existing = [];
  for (const name of request.targets) {
    const physical = aliases.find((alias) => alias.name === name)?.collection_name ?? name;
    const summary = await client.getCollection(physical, signal);
    if (summary !== null) existing.push({ name, documentCount: parseResponse(collectionSummary, summary, 'collection').num_documents ?? null });
  }
  const [source, target] = [majorOf(request.sourceEngineVersion), majorOf(engineVersion)];
  const conversions: string[] = [];
  const warnings: string[] = [];
  const crossing = source !== null && target !== null && source >= 30 !== target >= 30;
  if (crossing && request.strategy === 'LOGICAL') {
    const line = `Typesense ${request.sourceEngineVersion} → ${engineVersion}`;
    const planned = request.archive === undefined ? null : await plannedConversions(request, request.archive, target >= 30);
    const report = planned?.report ?? null;
    if (planned !== null && target >= 30) warnings.push(...(await replacedSets(client, planned.satellites, signal)));
    if (report === null) {
      conversions.push(
        target >= 30
          ? `${line}: per-collection synonyms and overrides become synonym/curation sets <collection>_synonyms_index / _curations_index attached to their collection; analytics rules take the v30 shape`
          : `${line}: the synonym/curation sets each collection references become its own synonyms and overrides; analytics rules take the v1 shape; sets no restored collection references are lost`,
      );
      warnings.push('the backup archive could not be read while planning: the conversions are listed by kind, not item by item');
    } else {
      conversions.push(
        `${line}: ${report.conversions.length === 0 ? 'nothing to convert (no synonyms, overrides, sets or analytics rules)' : 'converted as listed'}`,
        ...report.conversions,
      );
      warnings.push(...report.losses.map((loss) => `lost: ${loss}`));
    }
  } else if ((compareVersions(request.sourceEngineVersion, engineVersion) ?? 0) > 0) {
    warnings.push(`the backup comes from Typesense ${request.sourceEngineVersion}, newer than the target's ${engineVersion}`);
  }
  return { engineVersion, existing, conversions, refusals: [], warnings, canApply: false, atomicReplace: true };
}

/** The conversion a restore would make, run on the archive's schemas and satellites without touching the engine. */
async function plannedConversions(
  request: RestoreFactsRequest,
  archive: NonNullable<RestoreFactsRequest['archive']>,
  targetV30: boolean,
): Promise<{ report: ConversionReport; satellites: Satellites } | null> {
  try {
    const pairs = request.items ?? request.sources.map((source) => ({ source, target: source }));
    const items = [];
    for (const { source, target } of pairs) {
      const file = collectionSchemaFile.safeParse(await archive.readCollectionSchema(source));
      items.push({ source, target, body: file.success ? (structuredClone(file.data.schema) as Json) : {} });
    }
    return convertSatellites(await readSatellites(archive), items, targetV30);
  } catch {
    return null;
  }
}

/** Sets the restore upserts that already exist on the target (the upgrade would have kept them; a restore replaces them). */
async function replacedSets(client: TypesenseClient, satellites: Satellites, signal: AbortSignal): Promise<string[]> {
  const warnings: string[] = [];
  for (const kind of ['synonym_sets', 'curation_sets'] as const) {
    const wanted = (kind === 'synonym_sets' ? satellites.synonym_sets?.synonym_sets : satellites.curation_sets?.curation_sets) ?? [];
    if (wanted.length === 0) continue;
    const live = await (kind === 'synonym_sets' ? client.listSynonymSets(signal) : client.listCurationSets(signal)).then(
      (raw) => new Set(parseResponse(namedSetList, raw, kind).map((set) => set.name)),
      () => null,
    );
    if (live === null) continue; // not listable with this key: nothing to say
    for (const set of wanted.filter((candidate) => live.has(candidate.name))) {
      warnings.push(
        `${kind === 'synonym_sets' ? 'synonym set' : 'curation set'} ${set.name} exists on the target: replaced by the backup's (${Array.isArray(set['items']) ? set['items'].length : 0} item(s))`,
      );
    }
  }
  return warnings;
}

/** Working copies a killed restore left: job-named live copies no alias points at (and none is a target itself). */
export async function listStaging(client: TypesenseClient, prefix: string, signal: AbortSignal): Promise<string[]> {
  const aliases = parseResponse(aliasList, await client.listAliases(signal), 'aliases').aliases;
  const names = parseResponse(collectionList, await client.listCollections(signal), 'collections').map((c) => c.name);
  return names.filter((name) => name.startsWith(prefix) || (restoreJobOf(name)?.kind === 'live' && !aliases.some((alias) => alias.collection_name === name)));
}
