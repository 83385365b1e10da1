// Index settings of an old dump → a `PATCH /indexes/:uid/settings` body the target Meilisearch accepts.
// The rules follow Meilisearch's own dump import (crates/dump/src/reader/compat/v1_to_v2 … v5_to_v6):
//
//  dump V1   `attributesForFaceting` → `filterableAttributes` and `sortableAttributes` (both, as the engine does);
//            ranking rules `asc(f)`/`desc(f)` → `f:asc`/`f:desc`; `wordsPosition` dropped (no longer exists);
//            any other V1 key dropped.
//  dump V2   ranking rules `asc(f)`/`desc(f)` → `f:asc`/`f:desc` (0.21 syntax).
//  V1–V5     a ranking rule that is still not valid after that is dropped (v5→v6 does the same).
//  any       a setting the target's version predates (table below) is dropped; so is
//            `faceting.sortFacetValuesBy` before v1.3; before v1.36 the ranking rules `attributeRank` and
//            `wordPosition` become the one `attribute` they split from. Unknown target version: nothing dropped here (the
//            restore still drops a setting the server answers `Unknown field` for).
// Each drop or rename is reported in `warnings`.
import { isRecord } from '../../../src/plugin.ts';
import type { DumpVersion } from './layout.ts';

export interface ConvertedSettings {
  settings: Record<string, unknown>;
  warnings: string[];
}

/** The version each top-level setting first appeared in (stable or experimental). */
const INTRODUCED_IN: Record<string, [number, number]> = {
  displayedAttributes: [0, 0],
  searchableAttributes: [0, 0],
  rankingRules: [0, 0],
  stopWords: [0, 0],
  synonyms: [0, 0],
  distinctAttribute: [0, 0],
  filterableAttributes: [0, 21],
  sortableAttributes: [0, 23],
  typoTolerance: [0, 23],
  faceting: [0, 28],
  pagination: [0, 28],
  nonSeparatorTokens: [1, 4],
  separatorTokens: [1, 4],
  dictionary: [1, 4],
  proximityPrecision: [1, 5],
  embedders: [1, 6],
  searchCutoffMs: [1, 7],
  localizedAttributes: [1, 10],
  facetSearch: [1, 12],
  prefixSearch: [1, 12],
  chat: [1, 16],
  vectorStore: [1, 21],
  foreignKeys: [1, 39],
};

const V1_KEYS = new Set(['rankingRules', 'distinctAttribute', 'searchableAttributes', 'displayedAttributes', 'stopWords', 'synonyms', 'attributesForFaceting']);
const BUILTIN_RULES = new Set(['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness', 'attributeRank', 'wordPosition']);
const CUSTOM_RULE = /^[^:\s]+:(asc|desc)$/;

/** Settings that exist at `source` but not yet at `target` (what a restore into the older one drops if set). */
export function settingsNewerThan(source: string | null, target: string | null): string[] {
  const [from, to] = [parseVersion(source), parseVersion(target)];
  if (from === null || to === null) return [];
  return Object.entries(INTRODUCED_IN)
    .filter(([, introduced]) => before(to, introduced) && !before(from, introduced))
    .map(([name]) => name);
}

export function parseVersion(version: string | null): [number, number] | null {
  const match = version === null ? null : /^v?(\d+)\.(\d+)/.exec(version);
  return match === null ? null : [Number(match[1]), Number(match[2])];
}

function before(version: [number, number], [major, minor]: [number, number]): boolean {
  return version[0] < major || (version[0] === major && version[1] < minor);
}

/** `asc(field)` / `desc(field)` (dumps V1, V2 from 0.21) → `field:asc` / `field:desc`; other rules unchanged. */
function modernRule(rule: string): string {
  const match = /^(asc|desc)\((.+)\)$/.exec(rule.trim());
  return match === null ? rule : `${match[2]}:${match[1]}`;
}

export function settingsForTarget(settings: Record<string, unknown>, dumpVersion: DumpVersion, targetVersion: string | null): ConvertedSettings {
  const warnings: string[] = [];
  const out: Record<string, unknown> = { ...settings };

  if (dumpVersion === 'V1') {
    for (const key of Object.keys(out)) {
      if (V1_KEYS.has(key)) continue;
      delete out[key];
      warnings.push(`setting \`${key}\` of a v1 dump has no equivalent and was not restored`);
    }
    if ('attributesForFaceting' in out) {
      const faceted = out['attributesForFaceting'];
      delete out['attributesForFaceting'];
      if (faceted !== null && faceted !== undefined) {
        out['filterableAttributes'] = faceted;
        out['sortableAttributes'] = faceted;
        warnings.push('`attributesForFaceting` restored as `filterableAttributes` and `sortableAttributes`');
      }
    }
  }

  if (dumpVersion !== 'V6' && Array.isArray(out['rankingRules'])) {
    const rules: string[] = [];
    for (const rule of out['rankingRules'] as unknown[]) {
      if (typeof rule !== 'string') continue;
      const modern = modernRule(rule);
      if (BUILTIN_RULES.has(modern) || CUSTOM_RULE.test(modern)) rules.push(modern);
      else warnings.push(`ranking rule \`${rule}\` no longer exists and was not restored`);
    }
    out['rankingRules'] = rules;
  }

  const target = parseVersion(targetVersion);
  if (target !== null) {
    for (const key of Object.keys(out)) {
      const introduced = INTRODUCED_IN[key];
      if (introduced === undefined || !before(target, introduced)) continue;
      delete out[key];
      warnings.push(`setting \`${key}\` is newer than the target Meilisearch ${targetVersion} and was not restored`);
    }
    // v1.36 split `attribute` into `attributeRank` + `wordPosition`; an older engine knows only `attribute`
    if (before(target, [1, 36]) && Array.isArray(out['rankingRules'])) {
      const rules = out['rankingRules'] as unknown[];
      if (rules.includes('attributeRank') || rules.includes('wordPosition')) {
        const older: unknown[] = [];
        for (const rule of rules) {
          const mapped = rule === 'attributeRank' || rule === 'wordPosition' ? 'attribute' : rule;
          if (!older.includes(mapped) || mapped !== 'attribute') older.push(mapped);
        }
        out['rankingRules'] = older;
        warnings.push(`ranking rules \`attributeRank\` / \`wordPosition\` became \`attribute\` for the target Meilisearch ${targetVersion}`);
      }
    }
    const faceting = out['faceting'];
    if (before(target, [1, 3]) && isRecord(faceting) && 'sortFacetValuesBy' in faceting) {
      const rest = { ...faceting };
      delete rest['sortFacetValuesBy'];
      out['faceting'] = rest;
      warnings.push(`setting \`faceting.sortFacetValuesBy\` is newer than the target Meilisearch ${targetVersion} and was not restored`);
    }
  }
  return { settings: out, warnings };
}
