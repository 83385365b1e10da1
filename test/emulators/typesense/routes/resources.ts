// Aliases, per-collection synonyms and overrides (≤ v29), stopwords, presets and analytics rules, with
// core_api.cpp's response shapes and messages.

import { TypesenseError, isObject, json, pageParams, paginate, readObject, sortKeys, type Route } from '../http.ts';
import type { TypesenseState } from '../state.ts';

export function aliasRoutes(state: TypesenseState): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/aliases',
      action: 'aliases:list',
      handler: () => json(200, { aliases: [...state.aliases].map(([name, target]) => ({ name, collection_name: target })) }),
    },
    {
      method: 'GET',
      pattern: '/aliases/:alias',
      action: 'aliases:get',
      handler: (_req, { alias }) => {
        const target = state.aliases.get(alias!);
        if (target === undefined) throw new TypesenseError(404, 'Collection not found');
        return json(200, { name: alias, collection_name: target });
      },
    },
    {
      method: 'PUT',
      pattern: '/aliases/:alias',
      action: 'aliases:create',
      handler: (req, { alias }) => {
        const body = readObject(req);
        if (!('collection_name' in body)) throw new TypesenseError(400, 'Parameter `collection_name` is required.');
        if (state.collections.has(alias!)) throw new TypesenseError(500, `Name \`${alias}\` conflicts with an existing collection name.`);
        state.aliases.set(alias!, String(body['collection_name']));
        state.writes++;
        return json(200, { ...body, name: alias });
      },
    },
    {
      method: 'DELETE',
      pattern: '/aliases/:alias',
      action: 'aliases:delete',
      handler: (_req, { alias }) => {
        const target = state.aliases.get(alias!);
        if (target === undefined) throw new TypesenseError(404, 'Collection not found');
        state.aliases.delete(alias!);
        state.writes++;
        return json(200, { name: alias, collection_name: target });
      },
    },
  ];
}

/** `/collections/:c/synonyms` and `/collections/:c/overrides`: removed in v30 (synonym/curation sets). */
export function curationRoutes(state: TypesenseState): Route[] {
  if (state.major >= 30) return [];
  const routes: Route[] = [];
  for (const kind of ['synonyms', 'overrides'] as const) {
    const store = (name: string) => state.collection(name)[kind];
    const parse = kind === 'synonyms' ? parseSynonym : parseOverride;
    routes.push(
      {
        method: 'GET',
        pattern: `/collections/:collection/${kind}`,
        action: `${kind}:list`,
        handler: (req, { collection }) => {
          const items = store(collection!);
          return json(200, { [kind]: paginate([...items.values()], pageParams(req)) });
        },
      },
      {
        method: 'GET',
        pattern: `/collections/:collection/${kind}/:id`,
        action: `${kind}:get`,
        handler: (_req, { collection, id }) => {
          const item = store(collection!).get(id!);
          if (item === undefined) throw new TypesenseError(404, 'Not Found');
          return json(200, item);
        },
      },
      {
        method: 'PUT',
        pattern: `/collections/:collection/${kind}/:id`,
        action: `${kind}:upsert`,
        handler: (req, { collection, id }) => {
          const items = store(collection!);
          const body = readObject(req);
          items.set(id!, parse(id!, body));
          state.writes++;
          return json(200, { ...body, id });
        },
      },
      {
        method: 'DELETE',
        pattern: `/collections/:collection/${kind}/:id`,
        action: `${kind}:delete`,
        handler: (_req, { collection, id }) => {
          if (!store(collection!).delete(id!)) throw new TypesenseError(404, 'Could not find that `id`.');
          state.writes++;
          return json(200, { id });
        },
      },
    );
  }
  return routes;
}

/** synonym_t::parse + to_view_json. */
export function parseSynonym(id: string, body: Record<string, unknown>): Record<string, unknown> {
  if ('root' in body && typeof body['root'] !== 'string') throw new TypesenseError(400, 'Key `root` should be a string.');
  const synonyms = body['synonyms'];
  if (!Array.isArray(synonyms) || synonyms.length === 0 || synonyms.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypesenseError(400, 'Could not find a valid string array of `synonyms`');
  }
  const view: Record<string, unknown> = { id, root: body['root'] ?? '', synonyms };
  if (typeof body['locale'] === 'string' && body['locale'] !== '') view['locale'] = body['locale'];
  if (Array.isArray(body['symbols_to_index']) && body['symbols_to_index'].length > 0) view['symbols_to_index'] = body['symbols_to_index'];
  return sortKeys(view) as Record<string, unknown>;
}

/** override_t::parse + to_json (defaults: remove_matched_tokens follows filter_by, stop_processing true). */
export function parseOverride(id: string, body: Record<string, unknown>): Record<string, unknown> {
  const rule = body['rule'];
  if (!isObject(rule)) throw new TypesenseError(400, 'Missing `rule` definition.');
  if (!('filter_by' in rule) && !('tags' in rule) && !('query' in rule && 'match' in rule)) {
    throw new TypesenseError(400, 'The `rule` definition must contain either a `tags` or a `query` and `match`.');
  }
  const actions = ['includes', 'excludes', 'filter_by', 'sort_by', 'remove_matched_tokens', 'metadata', 'replace_query'];
  if (!actions.some((key) => key in body)) {
    throw new TypesenseError(400, 'Must contain one of: `includes`, `excludes`, `metadata`, `filter_by`, `sort_by`, `remove_matched_tokens`, `replace_query`.');
  }
  for (const key of ['includes', 'excludes']) {
    if (key in body && !Array.isArray(body[key])) throw new TypesenseError(400, `The \`${key}\` value must be an array.`);
  }
  const view: Record<string, unknown> = {
    id,
    rule: Object.fromEntries(['query', 'match', 'filter_by', 'tags'].filter((key) => key in rule).map((key) => [key, rule[key]])),
    includes: ((body['includes'] as unknown[]) ?? []).map((inc) => ({ id: (inc as { id: unknown }).id, position: (inc as { position: unknown }).position })),
    excludes: ((body['excludes'] as unknown[]) ?? []).map((exc) => ({ id: (exc as { id: unknown }).id })),
    remove_matched_tokens: body['remove_matched_tokens'] ?? 'filter_by' in body,
    filter_curated_hits: body['filter_curated_hits'] ?? false,
    stop_processing: body['stop_processing'] ?? true,
  };
  for (const key of ['filter_by', 'sort_by', 'replace_query', 'effective_from_ts', 'effective_to_ts', 'metadata']) {
    if (key in body) view[key] = body[key];
  }
  return sortKeys(view) as Record<string, unknown>;
}

export function globalRoutes(state: TypesenseState): Route[] {
  return [
    { method: 'GET', pattern: '/stopwords', action: 'stopwords:list', handler: () => json(200, { stopwords: [...state.stopwords.values()] }) },
    {
      method: 'GET',
      pattern: '/stopwords/:name',
      action: 'stopwords:get',
      handler: (_req, { name }) => {
        const set = state.stopwords.get(name!);
        if (set === undefined) throw new TypesenseError(404, `Stopword \`${name}\` not found.`);
        return json(200, { stopwords: set });
      },
    },
    {
      method: 'PUT',
      pattern: '/stopwords/:name',
      action: 'stopwords:upsert',
      handler: (req, { name }) => {
        const body = readObject(req);
        const words = body['stopwords'];
        if (!('stopwords' in body)) throw new TypesenseError(400, 'Parameter `stopwords` is required');
        if (!Array.isArray(words) || words.some((word) => typeof word !== 'string')) {
          throw new TypesenseError(400, 'Parameter `stopwords` is required as string array value');
        }
        if (words.length === 0) throw new TypesenseError(400, 'Parameter `stopwords` is empty');
        if ('locale' in body && typeof body['locale'] !== 'string') throw new TypesenseError(400, 'Parameter `locale` is required as string value');
        const tokens = [...new Set((words as string[]).map((word) => word.toLowerCase()))];
        const locale = typeof body['locale'] === 'string' && body['locale'] !== '' ? { locale: body['locale'] } : {};
        state.stopwords.set(name!, { id: name!, stopwords: tokens, ...locale });
        state.writes++;
        return json(200, { ...body, id: name });
      },
    },
    {
      method: 'DELETE',
      pattern: '/stopwords/:name',
      action: 'stopwords:delete',
      handler: (_req, { name }) => {
        if (!state.stopwords.delete(name!)) throw new TypesenseError(404, `Stopword \`${name}\` not found.`);
        state.writes++;
        return json(200, { id: name });
      },
    },
    {
      method: 'GET',
      pattern: '/presets',
      action: 'presets:list',
      handler: () => json(200, { presets: [...state.presets].map(([name, value]) => ({ name, value })) }),
    },
    {
      method: 'GET',
      pattern: '/presets/:name',
      action: 'presets:get',
      handler: (_req, { name }) => {
        if (!state.presets.has(name!)) throw new TypesenseError(404, 'Not found.');
        return json(200, { name, value: state.presets.get(name!) });
      },
    },
    {
      method: 'PUT',
      pattern: '/presets/:name',
      action: 'presets:upsert',
      handler: (req, { name }) => {
        const body = readObject(req);
        if (!('value' in body)) throw new TypesenseError(400, 'Parameter `value` is required.');
        state.presets.set(name!, body['value']);
        state.writes++;
        return json(200, { ...body, name });
      },
    },
    {
      method: 'DELETE',
      pattern: '/presets/:name',
      action: 'presets:delete',
      handler: (_req, { name }) => {
        if (!state.presets.has(name!)) throw new TypesenseError(404, 'Not found.');
        const value = state.presets.get(name!);
        state.presets.delete(name!);
        state.writes++;
        return json(200, { name, value });
      },
    },
    ...analyticsRoutes(state),
  ];
}

/** Rule definitions only (the collected events live in the analytics store). ≤ v29 lists `{rules}`, v30 a bare array. */
function analyticsRoutes(state: TypesenseState): Route[] {
  const upsert = (name: string, body: Record<string, unknown>) => {
    if (state.major >= 30 && !state.analyticsRules.has(name)) validateV30Rule(state, body);
    if (typeof body['type'] !== 'string') throw new TypesenseError(400, 'Request payload contains invalid type.');
    if (!isObject(body['params'])) throw new TypesenseError(400, 'Bad or missing params.');
    const rule = sortKeys({ ...body, name }) as Record<string, unknown>;
    state.analyticsRules.set(name, rule);
    state.writes++;
    return rule;
  };
  return [
    {
      method: 'GET',
      pattern: '/analytics/rules',
      action: 'analytics/rules:list',
      handler: () => {
        const rules = [...state.analyticsRules.values()];
        return json(200, state.major >= 30 ? rules : { rules });
      },
    },
    {
      method: 'POST',
      pattern: '/analytics/rules',
      action: 'analytics/rules:create',
      handler: (req) => {
        const body = readObject(req);
        if (typeof body['name'] !== 'string') throw new TypesenseError(400, 'Bad or missing name.');
        if (state.analyticsRules.has(body['name'])) throw new TypesenseError(400, "There's already another configuration with this name.");
        return json(201, upsert(body['name'], body));
      },
    },
    {
      method: 'PUT',
      pattern: '/analytics/rules/:name',
      action: 'analytics/rules:upsert',
      handler: (req, { name }) => json(200, upsert(name!, readObject(req))),
    },
    {
      method: 'DELETE',
      pattern: '/analytics/rules/:name',
      action: 'analytics/rules:delete',
      handler: (_req, { name }) => {
        if (!state.analyticsRules.delete(name!)) throw new TypesenseError(404, 'Rule not found.');
        state.writes++;
        return json(200, { name });
      },
    },
  ];
}

const SEARCH_TYPES = ['log', 'nohits_queries', 'popular_queries'];
const DOC_EVENTS = ['click', 'conversion', 'visit', 'custom'];

/**
 * A new v30 rule (`analytics_manager.cpp` `create_rule`, `search_analytics.cpp` / `doc_analytics.cpp`
 * `create_rule`): one collection and event type per rule, both collections must exist.
 */
function validateV30Rule(state: TypesenseState, body: Record<string, unknown>): void {
  const { event_type: eventType, type, collection } = body;
  if (typeof eventType !== 'string') throw new TypesenseError(400, 'Event type is required when creating a new analytics rule');
  if (typeof type !== 'string') throw new TypesenseError(400, 'Type is required when creating a new analytics rule');
  if (typeof collection !== 'string') throw new TypesenseError(400, 'Collection is required when creating a new analytics rule');
  if (state.resolve(collection) === undefined) throw new TypesenseError(400, `Collection ${collection} does not exist`);
  if ('rule_tag' in body && typeof body['rule_tag'] !== 'string') throw new TypesenseError(400, 'Rule tag should be a string');
  const search = eventType === 'search' && SEARCH_TYPES.includes(type);
  const doc = DOC_EVENTS.includes(eventType) && (type === 'counter' || type === 'log');
  if (!search && !doc) throw new TypesenseError(400, 'Event type or type is invalid (or) combination of both is invalid');
  const params = isObject(body['params']) ? body['params'] : {};
  const destination = params['destination_collection'];
  if (type === 'popular_queries' || type === 'nohits_queries') {
    if (typeof destination !== 'string' || destination === '') {
      throw new TypesenseError(400, 'Destination collection is required when creating a no hit queries or popular queries type rule');
    }
  }
  if (type === 'counter') {
    if (typeof params['counter_field'] !== 'string' || params['counter_field'] === '') throw new TypesenseError(400, 'Counter field is required when creating a counter type rule');
    const weight = params['weight'];
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight <= 0) throw new TypesenseError(400, 'Weight should be a number greater than 0');
  }
  if (typeof destination === 'string' && destination !== '' && state.resolve(destination) === undefined) {
    throw new TypesenseError(400, 'Destination collection does not exist');
  }
}
