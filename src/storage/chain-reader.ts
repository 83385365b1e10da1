// An incremental chain read as one archive: a FULL backup then each INCREMENTAL layer, oldest first. Documents
// of a collection stream layer after layer, so a restore that writes by key ends at the newest state, and the
// plugin's own staging and swap keep the whole chain atomic. Deletions are not carried by increments.
import type { ArchiveReader, BackupManifest, ManifestCollection } from './archive-types.ts';
import { openArchiveReader } from './archive-reader.ts';
import type { StorageDriver } from './driver.ts';
import { GatewayError } from '../errors.ts';

export async function openChainReader(storage: StorageDriver, backupIds: string[]): Promise<ArchiveReader> {
  if (backupIds.length === 0) throw new GatewayError('internal', 'an incremental chain needs at least one backup');
  const layers: ArchiveReader[] = [];
  for (const backupId of backupIds) layers.push(await openArchiveReader({ storage, backupId }));
  if (layers.length === 1) return layers[0]!;
  const newest = layers.at(-1)!;
  const has = (layer: ArchiveReader, name: string) => layer.manifest.collections.some((c) => c.name === name);

  return {
    manifest: mergeManifests(layers.map((layer) => layer.manifest)),
    async readCollectionSchema(collection) {
      const layer = [...layers].reverse().find((candidate) => has(candidate, collection));
      if (!layer) throw new GatewayError('collection_not_found', `no layer of the chain holds collection ${JSON.stringify(collection)}`);
      return layer.readCollectionSchema(collection);
    },
    async readExtra(name) {
      return newest.readExtra(name);
    },
    async *readDocuments(collection, batchSize) {
      let found = false;
      for (const layer of layers) {
        if (!has(layer, collection)) continue;
        found = true;
        yield* layer.readDocuments(collection, batchSize);
      }
      if (!found) throw new GatewayError('collection_not_found', `no layer of the chain holds collection ${JSON.stringify(collection)}`);
    },
  };
}

/** The newest layer's manifest, with each collection's document count summed over the layers (an upper bound). */
function mergeManifests(manifests: BackupManifest[]): BackupManifest {
  const newest = manifests.at(-1)!;
  const collections = new Map<string, ManifestCollection>();
  for (const manifest of manifests) {
    for (const collection of manifest.collections) {
      const seen = collections.get(collection.name);
      collections.set(collection.name, {
        ...collection,
        documentCount: (seen?.documentCount ?? 0) + collection.documentCount,
        documentBytes: (seen?.documentBytes ?? 0) + collection.documentBytes,
        files: [...(seen?.files ?? []), ...collection.files],
      });
    }
  }
  return { ...newest, collections: [...collections.values()] };
}
