// /indexes/:indexUid/settings and its per-setting sub-routes (routes/indexes/settings.rs). Updates
// are settingsUpdate tasks; they create the index when it is missing (deletions do not).

import { allowIndexCreation } from '../auth.ts';
import type { Engine } from '../engine.ts';
import { assertIndexUid, indexNotFound } from '../errors.ts';
import { json, readJsonBody, type EmulatorRequest, type Route } from '../http.ts';
import { checkSettingsPatch, checkSingleSetting } from '../settings-validation.ts';
import { MeiliError } from '../errors.ts';
import { clearedSettings, settingNamesOf, settingRoutesOf, settingsDetails, settingsView, type Settings } from '../settings.ts';

export function settingsRoutes(engine: Engine): Route[] {
  const base = '/indexes/:indexUid/settings';

  const current = (indexUid: string): Settings => {
    const index = engine.indexes.get(assertIndexUid(indexUid));
    if (!index) throw indexNotFound(indexUid);
    return settingsView(index.settings, { chat: engine.enabled('chatCompletions'), foreignKeys: engine.enabled('foreignKeys') }, engine.options.version);
  };

  /** `validate_settings`: `chat` and `foreignKeys` can only be set with their experimental feature. */
  const gated = (patch: Settings): Settings => {
    if (patch.chat !== undefined && patch.chat !== null && !engine.enabled('chatCompletions')) {
      throw new MeiliError(
        'feature_not_enabled',
        'setting `chat` in the index settings requires enabling the `chat completions` experimental feature. See https://github.com/orgs/meilisearch/discussions/835',
      );
    }
    if (patch.foreignKeys !== undefined && patch.foreignKeys !== null && !engine.enabled('foreignKeys')) {
      throw new MeiliError(
        'feature_not_enabled',
        'setting `foreignKeys` in the index settings requires enabling the `foreign_keys` experimental feature. See https://github.com/orgs/meilisearch/discussions/873',
      );
    }
    return patch;
  };
  const version = engine.options.version;

  const update = (req: EmulatorRequest, indexUid: string, patch: () => Settings, isDeletion: boolean) => {
    const filter = engine.auth(req.headers, 'settings.update', indexUid);
    const checked = gated(patch());
    assertIndexUid(indexUid);
    const content = { type: 'settingsUpdate' as const, indexUid, patch: checked, isDeletion, allowIndexCreation: allowIndexCreation(filter, indexUid) };
    return json(202, engine.enqueue(content, settingsDetails(checked), engine.customMetadata(req.search)));
  };

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: base,
      handler: (req, { indexUid = '' }) => {
        engine.auth(req.headers, 'settings.get', indexUid);
        return json(200, current(indexUid));
      },
    },
    { method: 'PATCH', pattern: base, handler: (req, { indexUid = '' }) => update(req, indexUid, () => checkSettingsPatch(readJsonBody(req), settingNamesOf(version)), false) },
    { method: 'DELETE', pattern: base, handler: (req, { indexUid = '' }) => update(req, indexUid, () => clearedSettings(version), true) },
  ];

  for (const { route, name, verb } of settingRoutesOf(version)) {
    const pattern = `${base}/${route}`;
    routes.push(
      {
        method: 'GET',
        pattern,
        handler: (req, { indexUid = '' }) => {
          engine.auth(req.headers, 'settings.get', indexUid);
          const index = engine.indexes.get(assertIndexUid(indexUid));
          if (!index) throw indexNotFound(indexUid);
          return json(200, name === 'embedders' ? settingsView(index.settings, undefined, version).embedders : index.settings[name]);
        },
      },
      { method: verb, pattern, handler: (req, { indexUid = '' }) => update(req, indexUid, () => checkSingleSetting(name, readJsonBody(req)), false) },
      { method: 'DELETE', pattern, handler: (req, { indexUid = '' }) => update(req, indexUid, () => ({ [name]: null }), true) },
    );
  }
  return routes;
}
