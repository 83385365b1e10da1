// v30 synonym sets and curation sets: global, named, referenced from a collection's `synonym_sets` /
// `curation_sets` (they replace the per-collection synonyms and overrides routes).

import { TypesenseError, isObject, json, readObject, type Route } from '../http.ts';
import type { TypesenseState } from '../state.ts';
import { parseOverride, parseSynonym } from './resources.ts';

type SetStore = Map<string, { name: string; items: Record<string, unknown>[]; description?: string }>;

export function setRoutes(state: TypesenseState): Route[] {
  if (state.major < 30) return [];
  return [
    ...routesFor(state, 'synonym_sets', state.synonymSets, parseSynonym, 'Synonym index not found'),
    ...routesFor(state, 'curation_sets', state.curationSets, parseOverride, 'Curation index not found'),
  ];
}

function routesFor(
  state: TypesenseState,
  base: string,
  store: SetStore,
  parseItem: (id: string, body: Record<string, unknown>) => Record<string, unknown>,
  notFound: string,
): Route[] {
  const get = (name: string) => {
    const set = store.get(name);
    if (set === undefined) throw new TypesenseError(404, notFound);
    return set;
  };
  const parseItems = (items: unknown): Record<string, unknown>[] => {
    if (!Array.isArray(items)) throw new TypesenseError(400, 'Parameter `items` is required and must be an array.');
    return items.map((item, i) => {
      if (!isObject(item)) throw new TypesenseError(400, 'Bad JSON.');
      return parseItem(typeof item['id'] === 'string' ? item['id'] : String(i), item);
    });
  };
  return [
    { method: 'GET', pattern: `/${base}`, action: `${base}:list`, handler: () => json(200, [...store.values()]) },
    { method: 'GET', pattern: `/${base}/:name`, action: `${base}:get`, handler: (_req, { name }) => json(200, get(name!)) },
    {
      method: 'PUT',
      pattern: `/${base}/:name`,
      action: `${base}:upsert`,
      handler: (req, { name }) => {
        const body = readObject(req);
        const set = { name: name!, items: parseItems(body['items']), ...(typeof body['description'] === 'string' ? { description: body['description'] } : {}) };
        store.set(name!, set);
        state.writes++;
        return json(200, set);
      },
    },
    {
      method: 'DELETE',
      pattern: `/${base}/:name`,
      action: `${base}:delete`,
      handler: (_req, { name }) => {
        get(name!);
        store.delete(name!);
        state.writes++;
        return json(200, { name });
      },
    },
    { method: 'GET', pattern: `/${base}/:name/items`, action: `${base}:get`, handler: (_req, { name }) => json(200, get(name!).items) },
    {
      method: 'GET',
      pattern: `/${base}/:name/items/:id`,
      action: `${base}:get`,
      handler: (_req, { name, id }) => {
        const item = get(name!).items.find((candidate) => candidate['id'] === id);
        if (item === undefined) throw new TypesenseError(404, 'Not Found');
        return json(200, item);
      },
    },
    {
      method: 'PUT',
      pattern: `/${base}/:name/items/:id`,
      action: `${base}:upsert`,
      handler: (req, { name, id }) => {
        const set = get(name!);
        const item = parseItem(id!, readObject(req));
        set.items = [...set.items.filter((candidate) => candidate['id'] !== id), item];
        state.writes++;
        return json(200, item);
      },
    },
    {
      method: 'DELETE',
      pattern: `/${base}/:name/items/:id`,
      action: `${base}:delete`,
      handler: (_req, { name, id }) => {
        const set = get(name!);
        if (!set.items.some((candidate) => candidate['id'] === id)) throw new TypesenseError(404, 'Could not find that `id`.');
        set.items = set.items.filter((candidate) => candidate['id'] !== id);
        state.writes++;
        return json(200, { id });
      },
    },
  ];
}
