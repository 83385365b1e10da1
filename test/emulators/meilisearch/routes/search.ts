// Search routes (`/indexes/:uid/search`, `/facet-search`, `/similar`, `/multi-search`): this emulator is a
// backup target and does not search. The routes exist, check the key and the index as the engine does,
// then answer like an engine whose search feature is missing: Meilisearch's `feature_not_enabled` error,
// not a bare 404. A multi-search with no query needs no search and answers `{results: []}` like the engine.

import type { Engine } from '../engine.ts';
import { MeiliError, assertIndexUid, indexNotFound } from '../errors.ts';
import { json, readJsonBody, type EmulatorRequest, type Route } from '../http.ts';
import { expectObject } from '../params.ts';

const notSearching = (): MeiliError =>
  new MeiliError(
    'feature_not_enabled',
    'Searching requires a search engine: this Meilisearch emulator is a backup target and does not search. See test/emulators/meilisearch/README.md',
  );

export function searchRoutes(engine: Engine): Route[] {
  const indexSearch = (req: EmulatorRequest, indexUid: string) => {
    engine.auth(req.headers, 'search', indexUid);
    if (!engine.indexes.has(assertIndexUid(indexUid))) throw indexNotFound(indexUid);
    throw notSearching();
  };
  const routes: Route[] = [];
  for (const path of ['search', 'facet-search', 'similar']) {
    const pattern = `/indexes/:indexUid/${path}`;
    routes.push({ method: 'POST', pattern, handler: (req, { indexUid = '' }) => indexSearch(req, indexUid) });
    if (path !== 'facet-search') routes.push({ method: 'GET', pattern, handler: (req, { indexUid = '' }) => indexSearch(req, indexUid) });
  }
  routes.push({
    method: 'POST',
    pattern: '/multi-search',
    handler: (req) => {
      engine.auth(req.headers, 'search');
      const body = expectObject(readJsonBody(req), '', 'bad_request');
      const queries = Array.isArray(body.queries) ? body.queries : [];
      if (queries.length === 0 && body.federation == null) return json(200, { results: [] });
      throw notSearching();
    },
  });
  return routes;
}
