// Restore into a different engine (issue 20 §2): the source plugin reads each archived collection into the neutral
// description, the target plugin writes it in its own format, and documents are converted while they stream. The
// target's logicalRestore reads the result as an ordinary archive of its own, so no plugin knows any other.
import type { ArchiveReader, BackupManifest } from '../storage/archive-types.ts';
import { GatewayError } from '../errors.ts';
import { fitsType, type NeutralCollection, type NeutralConversion, type NeutralField } from './neutral.ts';

/** Documents sampled per collection to infer the types of fields the source does not declare. */
export const SAMPLE_SIZE = 1000;

/** One collection's mapping, as the plan shows it. */
export interface CollectionMapping {
  source: string;
  target: string;
  primaryKey: string | null;
  fields: NeutralField[];
  conversions: string[];
  notCarried: string[];
}

/** What converting the documents found: how many did not fit, and why (never dropped silently). */
export class ConversionReport {
  converted = 0;
  readonly rejected = new Map<string, number>();
  /** Documents whose field did not have the type inferred or declared (they are still written when the target takes them). */
  readonly misfits = new Map<string, number>();

  warnings(): string[] {
    const lines: string[] = [];
    for (const [reason, count] of this.rejected) lines.push(`${count} document(s) not written: ${reason}`);
    for (const [field, count] of this.misfits) lines.push(`${count} document(s) had field ${field} of another type than planned`);
    return lines;
  }
}

export interface ConvertedArchive {
  archive: ArchiveReader;
  mappings: CollectionMapping[];
  report: ConversionReport;
}

/** Reads the neutral description of every planned collection (a sample of its documents included) and maps it. */
export async function convertArchive(
  archive: ArchiveReader,
  plugins: { source: string; from: NeutralConversion; target: string; to: NeutralConversion },
  items: Array<{ source: string; target: string }>,
): Promise<ConvertedArchive> {
  const { from, to } = plugins;
  const neutral = new Map<string, NeutralCollection>();
  const schemas = new Map<string, unknown>();
  const extras = new Map<string, unknown>();
  const mappings: CollectionMapping[] = [];
  for (const item of items) {
    const schemaFile = await archive.readCollectionSchema(item.source);
    const sample: Record<string, unknown>[] = [];
    const rawSample: unknown[] = [];
    for await (const batch of archive.readDocuments(item.source, SAMPLE_SIZE)) {
      for (const document of batch) {
        rawSample.push(document);
        sample.push(readDocument(from, document, null));
      }
      if (sample.length >= SAMPLE_SIZE) break;
    }
    const collection = await from.read({ collection: item.source, schemaFile, extra: (name) => archive.readExtra(name), sample, rawSample });
    if (!to.write) throw new GatewayError('plugin_mismatch', `the ${plugins.target} plugin cannot take a neutral description`);
    const written = to.write(collection, item.target);
    neutral.set(item.source, collection);
    schemas.set(item.source, written.schemaFile);
    for (const [name, value] of Object.entries(written.extras)) extras.set(name, mergeExtra(extras.get(name), value));
    mappings.push({
      source: item.source,
      target: item.target,
      primaryKey: collection.compositeKey ? collection.compositeKey.join(':') : collection.primaryKey,
      fields: collection.fields,
      conversions: [...(collection.sourceConversions ?? []), ...written.conversions],
      notCarried: [...collection.notCarried, ...written.notCarried],
    });
  }
  const report = new ConversionReport();
  const manifest: BackupManifest = { ...archive.manifest, plugin: plugins.target };
  const converted: ArchiveReader = {
    manifest,
    readCollectionSchema: async (name) => {
      if (!schemas.has(name)) throw new GatewayError('collection_not_found', `Collection ${name} was not planned for this cross-engine restore`);
      return schemas.get(name);
    },
    readExtra: async (name) => extras.get(name),
    async *readDocuments(name, batchSize) {
      const collection = neutral.get(name);
      if (!collection) throw new GatewayError('collection_not_found', `Collection ${name} was not planned for this cross-engine restore`);
      for await (const batch of archive.readDocuments(name, batchSize)) {
        const out: unknown[] = [];
        for (const document of batch) {
          const plain = readDocument(from, document, collection);
          for (const field of collection.fields) {
            if (plain[field.name] !== undefined && !fitsType(plain[field.name], field)) report.misfits.set(field.name, (report.misfits.get(field.name) ?? 0) + 1);
          }
          const result = to.writeDocument ? to.writeDocument(plain, collection) : { document: plain };
          if ('rejected' in result) report.rejected.set(result.rejected, (report.rejected.get(result.rejected) ?? 0) + 1);
          else {
            report.converted++;
            out.push(result.document);
          }
        }
        if (out.length > 0) yield out;
      }
    },
  };
  return { archive: converted, mappings, report };
}

function readDocument(from: NeutralConversion, document: unknown, collection: NeutralCollection | null): Record<string, unknown> {
  if (from.readDocument) return from.readDocument(document, collection ?? EMPTY);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new GatewayError('archive_invalid', 'an archived document is not a JSON object');
  return document as Record<string, unknown>;
}

const EMPTY: NeutralCollection = { name: '', primaryKey: null, fields: [], relevance: { synonyms: [], stopWords: [], rankingRules: null, typoTolerance: null }, notCarried: [] };

/** Extras of several collections into one file: objects merged key by key, lists appended. */
function mergeExtra(existing: unknown, added: unknown): unknown {
  if (existing === undefined) return added;
  if (Array.isArray(existing) && Array.isArray(added)) return [...existing, ...added];
  if (typeof existing === 'object' && existing !== null && typeof added === 'object' && added !== null) {
    const merged: Record<string, unknown> = { ...(existing as Record<string, unknown>) };
    for (const [key, value] of Object.entries(added as Record<string, unknown>)) merged[key] = mergeExtra(merged[key], value);
    return merged;
  }
  return added;
}
