// Validation of settings updates (`Settings<Unchecked>` deserialisation): the engine's per-setting
// error codes and deserr messages, and the normalisation it applies (sets sorted and deduplicated).

import { boolean, checkKeys, expectObject, invalidValue, optionalString, stringArray, typeError, unknownValue, unsignedInteger, type JsonObject } from './params.ts';
import { SETTING_NAMES, type SettingName, type Settings } from './settings.ts';

const code = (name: SettingName) => {
  const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return (name === 'chat' ? 'invalid_settings_index_chat' : `invalid_settings_${snake}`) as Parameters<typeof typeError>[3];
};

const sortedSet = (values: string[]): string[] => [...new Set(values)].sort();

const RANKING_RULES = ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness', 'attributeRank', 'wordPosition'];

/** Validates one setting's new value (not null) and returns it normalised as the engine stores it. */
function checkSetting(name: SettingName, value: unknown, loc: string): unknown {
  const c = code(name);
  switch (name) {
    case 'displayedAttributes':
    case 'searchableAttributes': {
      const attrs = stringArray(value, loc, c);
      return attrs.includes('*') ? ['*'] : attrs;
    }
    case 'sortableAttributes':
    case 'stopWords':
    case 'nonSeparatorTokens':
    case 'separatorTokens':
    case 'dictionary':
      return sortedSet(stringArray(value, loc, c));
    case 'filterableAttributes': {
      if (!Array.isArray(value)) throw typeError(loc, 'an array', value, c);
      return value.map((rule, i) => {
        if (typeof rule === 'string') return rule;
        const obj = expectObject(rule, `${loc}[${i}]`, c);
        checkKeys(obj, ['attributePatterns', 'features'], `${loc}[${i}]`);
        stringArray(obj.attributePatterns, `${loc}[${i}].attributePatterns`, c);
        return rule;
      });
    }
    case 'rankingRules':
      return stringArray(value, loc, c).map((rule, i) => {
        if (!RANKING_RULES.includes(rule) && !/^[^:]+:(asc|desc)$/.test(rule)) {
          throw invalidValue(
            `${loc}[${i}]`,
            `\`${rule}\` ranking rule is invalid. Valid ranking rules are words, typo, sort, proximity, attribute, exactness and custom ranking rules.`,
            c,
          );
        }
        return rule;
      });
    case 'synonyms': {
      const obj = expectObject(value, loc, c);
      const out: JsonObject = {};
      for (const key of Object.keys(obj).sort()) out[key] = stringArray(obj[key], `${loc}.${key}`, c);
      return out;
    }
    case 'distinctAttribute':
      return optionalString(value, loc, c);
    case 'proximityPrecision':
      if (typeof value !== 'string') throw typeError(loc, 'a string', value, c);
      if (value !== 'byWord' && value !== 'byAttribute') throw unknownValue(value, ['byWord', 'byAttribute'], loc, c);
      return value;
    case 'prefixSearch':
      if (typeof value !== 'string') throw typeError(loc, 'a string', value, c);
      if (value !== 'indexingTime' && value !== 'disabled') throw unknownValue(value, ['indexingTime', 'disabled'], loc, c);
      return value;
    case 'typoTolerance':
      return checkTypoTolerance(expectObject(value, loc, c), loc);
    case 'faceting': {
      const obj = expectObject(value, loc, c);
      checkKeys(obj, ['maxValuesPerFacet', 'sortFacetValuesBy'], loc);
      if (obj.maxValuesPerFacet != null) unsignedInteger(obj.maxValuesPerFacet, `${loc}.maxValuesPerFacet`, c);
      if (obj.sortFacetValuesBy != null) {
        const by = expectObject(obj.sortFacetValuesBy, `${loc}.sortFacetValuesBy`, c);
        for (const [k, v] of Object.entries(by)) {
          if (v !== 'alpha' && v !== 'count') throw unknownValue(String(v), ['alpha', 'count'], `${loc}.sortFacetValuesBy.${k}`, c);
        }
      }
      return obj;
    }
    case 'pagination': {
      const obj = expectObject(value, loc, c);
      checkKeys(obj, ['maxTotalHits'], loc);
      if (obj.maxTotalHits != null) {
        const hits = unsignedInteger(obj.maxTotalHits, `${loc}.maxTotalHits`, c);
        if (hits === 0) throw invalidValue(`${loc}.maxTotalHits`, 'a non-zero integer value lower than `18446744073709551615` was expected, but found a zero', c);
      }
      return obj;
    }
    case 'embedders': {
      const obj = expectObject(value, loc, c);
      for (const [embedder, config] of Object.entries(obj)) {
        if (config === null) continue;
        const cfg = expectObject(config, `${loc}.${embedder}`, c);
        const sources = ['openAi', 'huggingFace', 'ollama', 'userProvided', 'rest', 'composite'];
        if (cfg.source !== undefined && (typeof cfg.source !== 'string' || !sources.includes(cfg.source))) {
          throw unknownValue(String(cfg.source), sources, `${loc}.${embedder}.source`, c);
        }
        if (cfg.apiKey != null) optionalString(cfg.apiKey, `${loc}.${embedder}.apiKey`, c);
        if (cfg.dimensions != null) unsignedInteger(cfg.dimensions, `${loc}.${embedder}.dimensions`, c);
      }
      return obj;
    }
    case 'searchCutoffMs':
      return unsignedInteger(value, loc, c);
    case 'localizedAttributes': {
      if (!Array.isArray(value)) throw typeError(loc, 'an array', value, c);
      value.forEach((rule, i) => {
        const obj = expectObject(rule, `${loc}[${i}]`, c);
        checkKeys(obj, ['attributePatterns', 'locales'], `${loc}[${i}]`);
        stringArray(obj.attributePatterns, `${loc}[${i}].attributePatterns`, c);
        stringArray(obj.locales, `${loc}[${i}].locales`, c);
      });
      return value;
    }
    case 'facetSearch':
      return boolean(value, loc, c);
    case 'chat':
      return expectObject(value, loc, c);
    case 'foreignKeys': {
      if (!Array.isArray(value)) throw typeError(loc, 'an array', value, c);
      value.forEach((fk, i) => {
        const obj = expectObject(fk, `${loc}[${i}]`, c);
        checkKeys(obj, ['foreignIndexUid', 'fieldName'], `${loc}[${i}]`);
        if (typeof obj.foreignIndexUid !== 'string') throw typeError(`${loc}[${i}].foreignIndexUid`, 'a string', obj.foreignIndexUid, c);
        if (typeof obj.fieldName !== 'string') throw typeError(`${loc}[${i}].fieldName`, 'a string', obj.fieldName, c);
      });
      return value;
    }
  }
}

function checkTypoTolerance(obj: JsonObject, loc: string): JsonObject {
  const c = 'invalid_settings_typo_tolerance';
  checkKeys(obj, ['enabled', 'minWordSizeForTypos', 'disableOnWords', 'disableOnAttributes', 'disableOnNumbers'], loc);
  const out: JsonObject = { ...obj };
  if (obj.enabled != null) boolean(obj.enabled, `${loc}.enabled`, c);
  if (obj.disableOnNumbers != null) boolean(obj.disableOnNumbers, `${loc}.disableOnNumbers`, c);
  if (obj.disableOnWords != null) out.disableOnWords = sortedSet(stringArray(obj.disableOnWords, `${loc}.disableOnWords`, c));
  if (obj.disableOnAttributes != null) out.disableOnAttributes = sortedSet(stringArray(obj.disableOnAttributes, `${loc}.disableOnAttributes`, c));
  if (obj.minWordSizeForTypos != null) {
    const sizes = expectObject(obj.minWordSizeForTypos, `${loc}.minWordSizeForTypos`, c);
    checkKeys(sizes, ['oneTypo', 'twoTypos'], `${loc}.minWordSizeForTypos`);
    for (const k of ['oneTypo', 'twoTypos'] as const) if (sizes[k] != null) unsignedInteger(sizes[k], `${loc}.minWordSizeForTypos.${k}`, c);
  }
  return out;
}

/** Validates a whole `PATCH /settings` body; returns the normalised patch (null = reset). */
export function checkSettingsPatch(body: unknown, names: readonly SettingName[] = SETTING_NAMES): Settings {
  const obj = expectObject(body, '', 'bad_request');
  checkKeys(obj, names);
  const patch: Settings = {};
  for (const [key, value] of Object.entries(obj)) {
    const name = key as SettingName;
    patch[name] = value === null ? null : checkSetting(name, value, `.${name}`);
  }
  return patch;
}

/** Validates the body of a `/settings/<name>` sub-route (the bare value, located at the root). */
export function checkSingleSetting(name: SettingName, body: unknown): Settings {
  return { [name]: body === null ? null : checkSetting(name, body, '') };
}
