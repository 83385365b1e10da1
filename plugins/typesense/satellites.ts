// The things around collections: aliases, synonyms and overrides (per collection up to v29, synonym and
// curation sets on v30), stopwords, presets, analytics rule definitions, and API key metadata (never values).

import { z } from 'zod';
import type { ArchiveReader, ArchiveWriter } from '../../src/storage/archive-types.ts';
import { engineStatus, type Json, type TypesenseClient } from './client.ts';
import {
  aliasList,
  analyticsRulesV1,
  keyList,
  namedSetList,
  overrideList,
  parseResponse,
  presetList,
  stopwordList,
  synonymList,
  type Alias,
  type CollectionSummary,
} from './schema.ts';

export interface SatelliteContext {
  client: TypesenseClient;
  signal: AbortSignal;
  warnings: string[];
  /** v30+: synonym/curation sets instead of per-collection synonyms/overrides; analytics rules reshaped. */
  v30: boolean;
}

const items = z.array(z.looseObject({}));
const namedItems = z.array(z.looseObject({ name: z.string() }));
const satellitesFile = {
  aliases: z.object({ aliases: aliasList.shape.aliases }),
  synonyms: z.object({ collections: z.record(z.string(), items) }),
  overrides: z.object({ collections: z.record(z.string(), items) }),
  synonym_sets: z.object({ synonym_sets: namedItems }),
  curation_sets: z.object({ curation_sets: namedItems }),
  stopwords: z.object({ stopwords: z.array(z.looseObject({ id: z.string() })) }),
  presets: z.object({ presets: presetList.shape.presets }),
  analytics_rules: z.object({ format: z.enum(['v1', 'v30']), rules: namedItems }),
  keys: z.object({ keys: items }),
};

export type Satellites = { [K in keyof typeof satellitesFile]: z.infer<(typeof satellitesFile)[K]> | undefined };

const KEY_METADATA = ['id', 'description', 'actions', 'collections', 'expires_at', 'autodelete', 'value_prefix'];

/** Runs an optional read: a route this server lacks (404) or a key may not use (401/403) becomes a warning. */
async function optional<T>(ctx: SatelliteContext, what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    const status = engineStatus(error);
    if (status !== 404 && status !== 401 && status !== 403) throw error;
    ctx.warnings.push(`${what} not backed up: ${(error as Error).message}`);
    return undefined;
  }
}

export async function backupSatellites(ctx: SatelliteContext, archive: ArchiveWriter, collections: CollectionSummary[], everything: boolean): Promise<void> {
  const { client, signal } = ctx;
  const names = new Set(collections.map((collection) => collection.name));
  const aliases = parseResponse(aliasList, await client.listAliases(signal), 'aliases').aliases;
  await archive.writeExtra('aliases', { aliases: aliases.filter((alias) => names.has(alias.collection_name)) });

  if (ctx.v30) {
    for (const kind of ['synonym_sets', 'curation_sets'] as const) {
      const list = kind === 'synonym_sets' ? client.listSynonymSets : client.listCurationSets;
      const sets = await optional(ctx, kind, async () => parseResponse(namedSetList, await list(signal), kind));
      if (sets === undefined) continue;
      const referenced = new Set(collections.flatMap((collection) => collection[kind] ?? []));
      await archive.writeExtra(kind, { [kind]: sets.filter((set) => everything || referenced.has(set.name)) });
    }
  } else {
    const synonyms: Record<string, Json[]> = {};
    const overrides: Record<string, Json[]> = {};
    for (const name of names) {
      synonyms[name] = parseResponse(synonymList, await client.listSynonyms(name, signal), 'synonyms').synonyms;
      overrides[name] = parseResponse(overrideList, await client.listOverrides(name, signal), 'overrides').overrides;
    }
    await archive.writeExtra('synonyms', { collections: synonyms });
    await archive.writeExtra('overrides', { collections: overrides });
  }

  const stopwords = await optional(ctx, 'stopwords', async () => parseResponse(stopwordList, await client.listStopwords(signal), 'stopwords'));
  if (stopwords !== undefined) await archive.writeExtra('stopwords', stopwords);
  const presets = await optional(ctx, 'presets', async () => parseResponse(presetList, await client.listPresets(signal), 'presets'));
  if (presets !== undefined) await archive.writeExtra('presets', presets);
  const rules = await optional(ctx, 'analytics rules', async () => {
    const raw = await client.listAnalyticsRules(ctx.v30, signal);
    return ctx.v30 ? parseResponse(namedSetList, raw, 'analytics rules') : parseResponse(analyticsRulesV1, raw, 'analytics rules').rules;
  });
  if (rules !== undefined) await archive.writeExtra('analytics_rules', { format: ctx.v30 ? 'v30' : 'v1', rules });

  const keys = await optional(ctx, 'API keys metadata', async () => parseResponse(keyList, await client.listKeys(signal), 'keys').keys);
  if (keys !== undefined) {
    // Typesense returns only a 4-character prefix of a key's value; nothing else is kept either.
    const metadata = keys.map((key) => Object.fromEntries(KEY_METADATA.filter((field) => field in key).map((field) => [field, key[field]])));
    await archive.writeExtra('keys', { keys: metadata });
  }
}

export async function readSatellites(archive: Pick<ArchiveReader, 'readExtra'>): Promise<Satellites> {
  const read = async <K extends keyof typeof satellitesFile>(name: K): Promise<Satellites[K]> => {
    const raw = await archive.readExtra(name);
    return raw === undefined ? undefined : parseResponse(satellitesFile[name] as unknown as z.ZodType<NonNullable<Satellites[K]>>, raw, `archived ${name}`);
  };
  return {
    aliases: await read('aliases'),
    synonyms: await read('synonyms'),
    overrides: await read('overrides'),
    synonym_sets: await read('synonym_sets'),
    curation_sets: await read('curation_sets'),
    stopwords: await read('stopwords'),
    presets: await read('presets'),
    analytics_rules: await read('analytics_rules'),
    keys: await read('keys'),
  };
}

export function archivedAliases(satellites: Satellites): Alias[] {
  return satellites.aliases?.aliases ?? [];
}

/** Synonyms and overrides of `source` (≤ v29), recreated on the collection being filled. */
export async function restoreCurations(ctx: SatelliteContext, satellites: Satellites, source: string, collection: string): Promise<void> {
  const synonyms = satellites.synonyms?.collections[source] ?? [];
  const overrides = satellites.overrides?.collections[source] ?? [];
  if (ctx.v30) {
    if (synonyms.length + overrides.length > 0) {
      ctx.warnings.push(
        `collection ${collection}: ${synonyms.length} synonym(s) and ${overrides.length} override(s) from a ≤ v29 backup were not restored: v30 keeps them in synonym/curation sets`,
      );
    }
    return;
  }
  for (const { id, ...body } of synonyms) {
    // Listings show `root: ""` for a multi-way synonym; it is sent back only when it names a root.
    if (body['root'] === '') delete body['root'];
    await ctx.client.upsertSynonym(collection, String(id), body, ctx.signal);
  }
  for (const { id, ...body } of overrides) await ctx.client.upsertOverride(collection, String(id), body, ctx.signal);
}

/** v30 sets the restored schemas reference: upserted before the collections are created. */
export async function restoreSets(ctx: SatelliteContext, satellites: Satellites, referenced: { synonym_sets: Set<string>; curation_sets: Set<string> }): Promise<void> {
  for (const kind of ['synonym_sets', 'curation_sets'] as const) {
    const sets = (satellites[kind]?.[kind as never] as Json[] | undefined) ?? [];
    const wanted = sets.filter((set) => referenced[kind].has(String(set['name'])));
    if (!ctx.v30) {
      if (wanted.length > 0) ctx.warnings.push(`${wanted.length} ${kind.replace('_', ' ')} not restored: this Typesense is older than v30`);
      continue;
    }
    for (const { name, ...body } of wanted) {
      if (kind === 'synonym_sets') await ctx.client.upsertSynonymSet(String(name), body, ctx.signal);
      else await ctx.client.upsertCurationSet(String(name), body, ctx.signal);
    }
  }
}

/** Stopwords, presets and analytics rules are global: upserted (never deleted) at the end of a restore. */
export async function restoreGlobals(ctx: SatelliteContext, satellites: Satellites): Promise<void> {
  const keys = satellites.keys?.keys.length ?? 0;
  if (keys > 0) ctx.warnings.push(`${keys} API key(s) not restored: Typesense never returns key values, so the backup holds their metadata only; recreate them`);
  for (const { id, ...body } of satellites.stopwords?.stopwords ?? []) await ctx.client.upsertStopwords(id, body, ctx.signal);
  for (const preset of satellites.presets?.presets ?? []) await ctx.client.upsertPreset(preset.name, preset.value, ctx.signal);
  const rules = satellites.analytics_rules;
  if (rules === undefined) return;
  if ((rules.format === 'v30') !== ctx.v30) {
    ctx.warnings.push(`${rules.rules.length} analytics rule(s) not restored: they were saved in the ${rules.format} format, which this Typesense does not take`);
    return;
  }
  for (const { name, ...body } of rules.rules) {
    try {
      await ctx.client.upsertAnalyticsRule(ctx.v30, name, body, ctx.signal);
    } catch (error) {
      if (engineStatus(error) === null) throw error;
      ctx.warnings.push(`analytics rule ${name} not restored: ${(error as Error).message}`);
    }
  }
}
