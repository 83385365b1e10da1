// The plugin registry: one explicit array, no directory scanning, no import side effects.
import type { EnginePlugin } from '../src/engines/contract.ts';
import { magnetodbPlugin } from './magnetodb/index.ts';
import { meilisearchPlugin } from './meilisearch/index.ts';
import { milvusPlugin } from './milvus/index.ts';
import { typesensePlugin } from './typesense/index.ts';

export const plugins: readonly EnginePlugin[] = [meilisearchPlugin, typesensePlugin, milvusPlugin, magnetodbPlugin];

export function findPlugin(name: string): EnginePlugin | undefined {
  return plugins.find((plugin) => plugin.name === name);
}
