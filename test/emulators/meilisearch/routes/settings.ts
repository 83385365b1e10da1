// /indexes/:indexUid/settings and its per-setting sub-routes (routes/indexes/settings.rs). Updates
// are settingsUpdate tasks; they create the index when it is missing (deletions do not).

import { allowIndexCreation } from '../auth.ts';
import type { Engine } from '../engine.ts';
import { assertIndexUid, indexNotFound } from '../errors.ts';
import { json, readJsonBody, type EmulatorRequest, type Route } from '../http.ts';
import { checkSettingsPatch, checkSingleSetting } from '../settings-validation.ts';
import { SETTING_ROUTES, clearedSettings, defaultSettings, settingsDetails, settingsView, type Settings } from '../settings.ts';

export function settingsRoutes(engine: Engine): Route[] {
  const base = '/indexes/:indexUid/settings';

  const current = (indexUid: string): Settings => {
    const index = engine.indexes.get(assertIndexUid(indexUid));
    if (!index) throw indexNotFound(indexUid);
    return settingsView(index.settings);
  };

  const update = (req: EmulatorRequest, indexUid: string, patch: () => Settings, isDeletion: boolean) => {
    const filter = engine.auth(req.headers, 'settings.update', indexUid);
    const checked = patch();
    assertIndexUid(indexUid);
    const content = { type: 'settingsUpdate' as const, indexUid, patch: checked, isDeletion, allowIndexCreation: allowIndexCreation(filter, indexUid) };
    return json(202, engine.enqueue(content, settingsDetails(checked)));
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
    { method: 'PATCH', pattern: base, handler: (req, { indexUid = '' }) => update(req, indexUid, () => checkSettingsPatch(readJsonBody(req)), false) },
    { method: 'DELETE', pattern: base, handler: (req, { indexUid = '' }) => update(req, indexUid, clearedSettings, true) },
  ];

  for (const { route, name, verb } of SETTING_ROUTES) {
    const pattern = `${base}/${route}`;
    routes.push(
      {
        method: 'GET',
        pattern,
        handler: (req, { indexUid = '' }) => {
          engine.auth(req.headers, 'settings.get', indexUid);
          // `chat` is readable on its own route only with the experimental feature; show its default
          return json(200, name === 'chat' ? defaultSettings().chat : current(indexUid)[name]);
        },
      },
      { method: verb, pattern, handler: (req, { indexUid = '' }) => update(req, indexUid, () => checkSingleSetting(name, readJsonBody(req)), false) },
      { method: 'DELETE', pattern, handler: (req, { indexUid = '' }) => update(req, indexUid, () => ({ [name]: null }), true) },
    );
  }
  return routes;
}
