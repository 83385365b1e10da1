// What processing a task does to the indexes (process_batch.rs / process_index_operation.rs). Each
// function returns the task's finished details or throws the MeiliError that fails the task; index
// state only changes here, when the task is processed.

import { applyDocuments, deleteDocuments } from './documents.ts';
import { MeiliError, indexNotFound } from './errors.ts';
import { compileFilter } from './filter.ts';
import { applySettingsPatch, settingsDetails } from './settings.ts';
import type { IndexState, IndexStore } from './state.ts';
import type { Details, TaskContent } from './tasks.ts';

type IndexContent = Exclude<TaskContent, { type: 'indexSwap' | 'taskCancelation' | 'taskDeletion' | 'dumpCreation' | 'snapshotCreation' | 'upgradeDatabase' | 'export' }>;

function existing(indexes: IndexStore, uid: string): IndexState {
  const index = indexes.get(uid);
  if (!index) throw indexNotFound(uid);
  return index;
}

/** Runs an index-scoped task. Index creation by a document/settings task is kept even if it fails. */
export function runIndexTask(indexes: IndexStore, content: IndexContent, details: Details | null): Details | null {
  switch (content.type) {
    case 'documentAdditionOrUpdate': {
      let index = indexes.get(content.indexUid);
      if (!index) {
        if (!content.allowIndexCreation) throw indexNotFound(content.indexUid);
        index = indexes.create(content.indexUid);
      }
      const incoming = content.documents ?? [];
      // skipCreation: documents the index does not hold yet are ignored (MissingDocumentPolicy::Skip)
      const docs = content.skipCreation === true && index.primaryKey !== null ? incoming.filter((d) => index.documents.get(String(d[index.primaryKey!])) !== undefined) : incoming;
      const indexed = applyDocuments(index, docs, content.method, content.primaryKey);
      return { ...details, indexedDocuments: indexed };
    }
    case 'documentDeletion': {
      const index = existing(indexes, content.indexUid);
      if (content.op === 'clear') {
        const deleted = index.documents.clear();
        index.touch();
        return { deletedDocuments: deleted };
      }
      if (content.op === 'ids') return { ...details, deletedDocuments: deleteDocuments(index, content.ids) };
      let predicate;
      try {
        predicate = compileFilter(content.filter, index.settings.filterableAttributes);
      } catch (error) {
        // milli errors raised while processing carry the index name
        if (error instanceof MeiliError) throw new MeiliError(error.code, `Index \`${content.indexUid}\`: ${error.message}`);
        throw error;
      }
      const ids: string[] = [];
      const primaryKey = index.primaryKey;
      if (predicate && primaryKey !== null) {
        for (const doc of index.documents.list()) if (predicate(doc)) ids.push(String(doc[primaryKey]));
      }
      return { ...details, deletedDocuments: deleteDocuments(index, ids) };
    }
    case 'settingsUpdate': {
      let index = indexes.get(content.indexUid);
      if (!index) {
        if (!content.allowIndexCreation || content.isDeletion) throw indexNotFound(content.indexUid);
        index = indexes.create(content.indexUid);
      }
      index.settings = applySettingsPatch(index.settings, content.patch, index.defaults);
      index.touch();
      return settingsDetails(content.patch);
    }
    case 'indexCreation': {
      if (indexes.has(content.indexUid)) throw new MeiliError('index_already_exists', `Index \`${content.indexUid}\` already exists.`);
      indexes.create(content.indexUid, content.primaryKey);
      return { primaryKey: content.primaryKey };
    }
    case 'indexUpdate': {
      const index = existing(indexes, content.indexUid);
      if (content.primaryKey !== null && content.primaryKey !== index.primaryKey) {
        // milli only lets the primary key change while the index is empty
        if (index.documents.count > 0 && index.primaryKey !== null) {
          throw new MeiliError('index_primary_key_already_exists', `Index \`${content.indexUid}\`: Index already has a primary key: \`${index.primaryKey}\`.`);
        }
        index.primaryKey = content.primaryKey;
      }
      index.touch();
      if (content.newIndexUid === undefined) return { primaryKey: content.primaryKey };
      if (indexes.has(content.newIndexUid)) throw new MeiliError('index_already_exists', `Index \`${content.newIndexUid}\` already exists.`);
      indexes.rename(content.indexUid, content.newIndexUid);
      return { primaryKey: content.primaryKey, oldIndexUid: content.indexUid, newIndexUid: content.newIndexUid };
    }
    case 'indexCompaction': {
      // compaction rewrites the index file: same content, the sizes as the engine would report them
      const index = existing(indexes, content.indexUid);
      const size = `${index.documents.rawSize()} B`;
      return { preCompactionSize: size, postCompactionSize: size };
    }
    case 'indexDeletion': {
      const index = existing(indexes, content.indexUid);
      const count = index.documents.count;
      indexes.delete(content.indexUid);
      return { deletedDocuments: count };
    }
  }
}

/** `Batch::IndexSwap`: every side must exist (or, for a rename, the target must not). */
export function runSwap(indexes: IndexStore, swaps: ReadonlyArray<{ indexes: [string, string]; rename?: boolean }>): void {
  const notFound = new Set<string>();
  const foundButShouldNot: Array<[string, string]> = [];
  for (const {
    indexes: [lhs, rhs],
    rename,
  } of swaps) {
    if (!indexes.has(lhs)) notFound.add(lhs);
    const rhsExists = indexes.has(rhs);
    if (rename && rhsExists) foundButShouldNot.push([lhs, rhs]);
    if (!rename && !rhsExists) notFound.add(rhs);
  }
  const missing = [...notFound].sort();
  if (missing.length === 1) throw indexNotFound(missing[0]!);
  if (missing.length > 1) throw new MeiliError('index_not_found', `Indexes ${missing.map((m) => `\`${m}\``).join(', ')} not found.`);
  if (foundButShouldNot.length === 1) {
    const [lhs, rhs] = foundButShouldNot[0]!;
    throw new MeiliError(
      'index_already_exists',
      `Cannot rename \`${lhs}\` to \`${rhs}\` as the index already exists. Hint: You can remove \`${rhs}\` first and then do your remove.`,
    );
  }
  if (foundButShouldNot.length > 1) {
    throw new MeiliError(
      'index_already_exists',
      `The following indexes are being renamed but cannot because their new name conflicts with an already existing index: ${foundButShouldNot.map(([, r]) => `\`${r}\``).join(', ')}. Renaming doesn't overwrite the other index name.`,
    );
  }
  for (const {
    indexes: [lhs, rhs],
    rename,
  } of swaps) {
    if (rename) indexes.rename(lhs, rhs);
    else indexes.swap(lhs, rhs);
  }
}
