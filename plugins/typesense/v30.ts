// Conversions between the ≤ v29 and v30 shapes of what surrounds a collection, so a logical backup restores
// across the v30 line in both directions. Upward it does what Typesense itself does when a v30 server first
// loads a v29 data dir (typesense/typesense `src/collection_manager.cpp` `load_collection`: per-collection
// synonyms become the synonym set `<collection>_synonyms_index`, overrides the curation set
// `<collection>_curations_index`, each attached to its collection; `src/analytics_manager.cpp`
// `create_old_rule`: one v1 rule becomes one v30 rule per source collection and event, tagged with the old
// name). Downward it merges the sets a collection references back into its own synonyms and overrides and
// regroups v30 analytics rules by their tag; what v29 cannot hold is named as a loss.

import type { Json } from './client.ts';
import type { Satellites } from './satellites.ts';

export const synonymSetName = (collection: string): string => `${collection}_synonyms_index`;
export const curationSetName = (collection: string): string => `${collection}_curations_index`;

/** A collection being restored: the archive's name, the target, and the create body (changed in place). */
export interface ConvertedItem {
  source: string;
  target: string;
  body: Json;
}

/** What a conversion did and what it could not carry over, in words for the plan and the job's warnings. */
export interface ConversionReport {
  conversions: string[];
  losses: string[];
}

/** Fields of a v30 curation item that a ≤ v29 override has no place for (dropped going down). */
const CURATION_ONLY = ['diversity'];
const RULE_ONLY = ['stem', 'synonyms'];
const V1_TYPES = new Set(['popular_queries', 'nohits_queries', 'counter']);

/**
 * Reshapes the archived satellites for the target's side of the v30 line. Returns new satellites (the input
 * is left alone) and sets `synonym_sets` / `curation_sets` on the items' bodies when going up.
 */
export function convertSatellites(satellites: Satellites, items: ConvertedItem[], targetV30: boolean): { satellites: Satellites; report: ConversionReport } {
  const report: ConversionReport = { conversions: [], losses: [] };
  const converted: Satellites = { ...satellites };
  if (targetV30) upgradeCurations(converted, items, report);
  else downgradeSets(converted, items, report);
  const rules = satellites.analytics_rules;
  if (rules !== undefined && (rules.format === 'v30') !== targetV30) {
    const result = targetV30 ? analyticsRulesToV30(rules.rules) : analyticsRulesToV1(rules.rules);
    converted.analytics_rules = { format: targetV30 ? 'v30' : 'v1', rules: result.rules };
    report.conversions.push(...result.report.conversions);
    report.losses.push(...result.report.losses);
  }
  return { satellites: converted, report };
}

/** ≤ v29 → v30: each collection's synonyms and overrides become its own set, attached to it (as v30's upgrade does). */
function upgradeCurations(converted: Satellites, items: ConvertedItem[], report: ConversionReport): void {
  const synonymSets = [...(converted.synonym_sets?.synonym_sets ?? [])];
  const curationSets = [...(converted.curation_sets?.curation_sets ?? [])];
  for (const item of items) {
    const synonyms = converted.synonyms?.collections[item.source] ?? [];
    const overrides = converted.overrides?.collections[item.source] ?? [];
    if (synonyms.length > 0) {
      const name = synonymSetName(item.target);
      synonymSets.push({ name, items: synonyms.map(synonymItem) });
      attach(item.body, 'synonym_sets', name);
      report.conversions.push(`collection ${item.source}: ${synonyms.length} synonym(s) → synonym set ${name}, attached to ${item.target}`);
    }
    if (overrides.length > 0) {
      const name = curationSetName(item.target);
      curationSets.push({ name, items: overrides.map((override) => ({ ...override })) });
      attach(item.body, 'curation_sets', name);
      report.conversions.push(`collection ${item.source}: ${overrides.length} override(s) → curation set ${name}, attached to ${item.target}`);
    }
  }
  converted.synonyms = undefined;
  converted.overrides = undefined;
  converted.synonym_sets = { synonym_sets: synonymSets };
  converted.curation_sets = { curation_sets: curationSets };
}

/** v30 → ≤ v29: the items of the sets a collection references become its own synonyms and overrides. */
function downgradeSets(converted: Satellites, items: ConvertedItem[], report: ConversionReport): void {
  const synonyms: Record<string, Json[]> = { ...(converted.synonyms?.collections ?? {}) };
  const overrides: Record<string, Json[]> = { ...(converted.overrides?.collections ?? {}) };
  const used = { synonym_sets: new Set<string>(), curation_sets: new Set<string>() };
  for (const item of items) {
    for (const kind of ['synonym_sets', 'curation_sets'] as const) {
      const names = Array.isArray(item.body[kind]) ? (item.body[kind] as unknown[]).map(String) : [];
      delete item.body[kind];
      if (names.length === 0) continue;
      const sets = (kind === 'synonym_sets' ? converted.synonym_sets?.synonym_sets : converted.curation_sets?.curation_sets) ?? [];
      const merged = new Map<string, Json>();
      for (const name of names) {
        used[kind].add(name);
        const set = sets.find((candidate) => candidate.name === name);
        if (set === undefined) {
          report.losses.push(`collection ${item.source}: ${kind.replace('_', ' ')} ${name} is referenced but not in the backup`);
          continue;
        }
        for (const raw of Array.isArray(set['items']) ? (set['items'] as Json[]) : []) {
          const id = String(raw['id']);
          if (merged.has(id))
            report.losses.push(`collection ${item.source}: item ${id} of ${name} replaces the one of the same id from an earlier set (v29 ids are per collection)`);
          merged.set(id, kind === 'synonym_sets' ? { ...raw } : overrideItem(raw, item.source, name, report));
        }
      }
      if (kind === 'synonym_sets') synonyms[item.source] = [...merged.values()];
      else overrides[item.source] = [...merged.values()];
      report.conversions.push(
        `collection ${item.source}: ${kind.replace('_', ' ')} ${names.join(', ')} → ${merged.size} per-collection ${kind === 'synonym_sets' ? 'synonym' : 'override'}(s) of ${item.target}`,
      );
    }
  }
  for (const kind of ['synonym_sets', 'curation_sets'] as const) {
    const sets = (kind === 'synonym_sets' ? converted.synonym_sets?.synonym_sets : converted.curation_sets?.curation_sets) ?? [];
    const unused = sets.filter((set) => !used[kind].has(set.name)).map((set) => set.name);
    if (unused.length > 0) report.losses.push(`${kind.replace('_', ' ')} ${unused.join(', ')}: attached to no restored collection, v29 has no global sets`);
  }
  converted.synonym_sets = undefined;
  converted.curation_sets = undefined;
  converted.synonyms = { collections: synonyms };
  converted.overrides = { collections: overrides };
}

function attach(body: Json, key: 'synonym_sets' | 'curation_sets', name: string): void {
  const current = Array.isArray(body[key]) ? (body[key] as unknown[]).map(String) : [];
  if (!current.includes(name)) body[key] = [...current, name];
}

/** A listed synonym shows `root: ""` for a multi-way synonym; a set item leaves it out the same way. */
function synonymItem(synonym: Json): Json {
  const item = { ...synonym };
  if (item['root'] === '') delete item['root'];
  return item;
}

function overrideItem(item: Json, collection: string, set: string, report: ConversionReport): Json {
  const override = { ...item };
  for (const key of CURATION_ONLY.filter((candidate) => candidate in override)) {
    delete override[key];
    report.losses.push(`collection ${collection}: curation ${String(item['id'])} of ${set} loses \`${key}\` (no such override field before v30)`);
  }
  const rule = override['rule'];
  if (typeof rule === 'object' && rule !== null) {
    const copy = { ...(rule as Json) };
    for (const key of RULE_ONLY.filter((candidate) => candidate in copy)) {
      delete copy[key];
      report.losses.push(`collection ${collection}: curation ${String(item['id'])} of ${set} loses rule.${key} (no such rule field before v30)`);
    }
    override['rule'] = copy;
  }
  return override;
}

const asObject = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});

/** v1 (≤ v29) → v30 analytics rules, as `AnalyticsManager::create_old_rule` migrates them. */
export function analyticsRulesToV30(rules: Json[]): { rules: Array<Json & { name: string }>; report: ConversionReport } {
  const report: ConversionReport = { conversions: [], losses: [] };
  const out: Array<Json & { name: string }> = [];
  for (const rule of rules) {
    const name = String(rule['name']);
    const type = String(rule['type']);
    const params = asObject(rule['params']);
    const source = asObject(params['source']);
    const destination = asObject(params['destination']);
    const collections = Array.isArray(source['collections']) ? source['collections'].map(String) : [];
    const events = Array.isArray(source['events']) ? (source['events'] as unknown[]).map(asObject) : [];
    const destinationCollection = typeof destination['collection'] === 'string' ? destination['collection'] : '';
    if (!V1_TYPES.has(type) || collections.length === 0 || destinationCollection === '') {
      report.losses.push(`analytics rule ${name} (${type}): no source collections, destination or known type; not converted`);
      continue;
    }
    const several = collections.length !== 1;
    const made: string[] = [];
    if (type === 'counter') {
      if (events.length === 0 || typeof destination['counter_field'] !== 'string') {
        report.losses.push(`analytics rule ${name} (counter): no events or counter_field; not converted`);
        continue;
      }
      for (const event of events) {
        for (const collection of collections) {
          const ruleName = several ? `${String(event['name'])}_${collection}` : String(event['name']);
          out.push({
            name: ruleName,
            type,
            collection,
            event_type: String(event['type']),
            rule_tag: name,
            params: {
              destination_collection: destinationCollection,
              counter_field: destination['counter_field'],
              weight: typeof event['weight'] === 'number' ? event['weight'] : 1,
            },
          });
          made.push(ruleName);
        }
      }
    } else {
      if (events.length > 1) {
        report.losses.push(`analytics rule ${name} (${type}): ${events.length} events, v30 takes one per query rule; not converted`);
        continue;
      }
      const eventName = events.length === 1 ? String(events[0]!['name']) : name;
      for (const collection of collections) {
        const ruleName = several ? `${eventName}_${collection}` : eventName;
        out.push({
          name: ruleName,
          type,
          collection,
          event_type: 'search',
          rule_tag: name,
          params: {
            destination_collection: destinationCollection,
            limit: typeof params['limit'] === 'number' ? params['limit'] : 0,
            capture_search_requests: source['enable_auto_aggregation'] !== false,
            expand_query: params['expand_query'] === true,
            meta_fields: Array.isArray(params['meta_fields']) ? params['meta_fields'] : [],
          },
        });
        made.push(ruleName);
      }
    }
    report.conversions.push(`analytics rule ${name} (${type}) → v30 rule(s) ${made.join(', ')} tagged ${name}`);
  }
  return { rules: out, report };
}

/** v30 → v1 analytics rules: rules sharing a `rule_tag` (the upgrade made them from one v1 rule) become one again. */
export function analyticsRulesToV1(rules: Json[]): { rules: Array<Json & { name: string }>; report: ConversionReport } {
  const report: ConversionReport = { conversions: [], losses: [] };
  const groups = new Map<string, Json[]>();
  for (const rule of rules) {
    const type = String(rule['type']);
    if (!V1_TYPES.has(type)) {
      report.losses.push(`analytics rule ${String(rule['name'])} (${type}): no such rule type before v30; not restored`);
      continue;
    }
    const tag = typeof rule['rule_tag'] === 'string' && rule['rule_tag'] !== '' ? rule['rule_tag'] : String(rule['name']);
    groups.set(tag, [...(groups.get(tag) ?? []), rule]);
  }
  const out: Array<Json & { name: string }> = [];
  for (const [tag, members] of groups) {
    const first = members[0]!;
    const type = String(first['type']);
    const params = asObject(first['params']);
    const collections = [...new Set(members.map((member) => String(member['collection'])))];
    const destination: Json = { collection: params['destination_collection'] };
    const source: Json = { collections };
    const v1Params: Json = { source, destination };
    if (type === 'counter') {
      destination['counter_field'] = params['counter_field'];
      const events = new Map<string, Json>();
      for (const member of members) {
        const memberParams = asObject(member['params']);
        const eventName = collections.length > 1 ? String(member['name']).replace(new RegExp(`_${escapeRegExp(String(member['collection']))}$`), '') : String(member['name']);
        events.set(eventName, { type: member['event_type'], name: eventName, weight: memberParams['weight'] ?? 1 });
      }
      source['events'] = [...events.values()];
    } else {
      if (typeof params['limit'] === 'number' && params['limit'] > 0) v1Params['limit'] = params['limit'];
      if (params['expand_query'] === true) v1Params['expand_query'] = true;
      if (Array.isArray(params['meta_fields']) && params['meta_fields'].length > 0) v1Params['meta_fields'] = params['meta_fields'];
      if (params['capture_search_requests'] === false) source['enable_auto_aggregation'] = false;
      const eventName = collections.length > 1 ? String(first['name']).replace(new RegExp(`_${escapeRegExp(String(first['collection']))}$`), '') : String(first['name']);
      if (eventName !== tag) source['events'] = [{ type: 'search', name: eventName }];
    }
    out.push({ name: tag, type, params: v1Params });
    report.conversions.push(`analytics rule(s) ${members.map((member) => String(member['name'])).join(', ')} (v30) → v1 rule ${tag}`);
  }
  return { rules: out, report };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
