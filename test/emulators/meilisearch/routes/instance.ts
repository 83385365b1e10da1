// Instance-wide routes: /health (no auth), /version, /snapshots, /swap-indexes (/dumps: ../dumps.ts).

import { isIndexAuthorized } from '../auth.ts';
import type { Engine } from '../engine.ts';
import { MeiliError, invalidApiKey, invalidIndexUid, isValidIndexUid } from '../errors.ts';
import { json, readJsonBody, type Route } from '../http.ts';
import { boolean, expectObject, missingField, typeError, unknownField } from '../params.ts';
import type { IndexSwap } from '../tasks.ts';
import { exportDetails, type ExportContent } from '../export.ts';

/** `Vec<SwapIndexesPayload>`; `rename` exists from v1.18 only (an unknown field before). */
function parseSwaps(body: unknown, renameSupported: boolean): IndexSwap[] {
  if (!Array.isArray(body)) throw typeError('', 'an array', body, 'bad_request');
  const accepted = renameSupported ? ['indexes', 'rename'] : ['indexes'];
  return body.map((item, i) => {
    const obj = expectObject(item, `[${i}]`, 'bad_request');
    let indexes: string[] | undefined;
    let rename = false;
    for (const [key, value] of Object.entries(obj)) {
      if (key === 'indexes') {
        if (!Array.isArray(value)) throw typeError(`[${i}].indexes`, 'an array', value, 'invalid_swap_indexes');
        indexes = value.map((uid, j) => {
          if (typeof uid !== 'string') throw typeError(`[${i}].indexes[${j}]`, 'a string', uid, 'invalid_swap_indexes');
          if (!isValidIndexUid(uid)) throw invalidIndexUid(uid, 'invalid_swap_indexes', `Invalid value at \`[${i}].indexes[${j}]\`: `);
          return uid;
        });
      } else if (key === 'rename' && renameSupported) rename = boolean(value, `[${i}].rename`, 'invalid_swap_rename');
      else throw unknownField(key, accepted, `[${i}]`);
    }
    if (indexes === undefined) throw missingField('indexes', 'missing_swap_indexes', `[${i}]`);
    if (indexes.length !== 2) {
      throw new MeiliError(
        'invalid_swap_indexes',
        `Two indexes must be given for each swap. The list \`[${indexes.map((u) => `"${u}"`).join(', ')}]\` contains ${indexes.length} indexes.`,
      );
    }
    const swap: IndexSwap = { indexes: [indexes[0]!, indexes[1]!] };
    if (renameSupported) swap.rename = rename;
    return swap;
  });
}

/** `check_index_swap_validity`: an index may appear in only one swap. */
function checkDuplicates(swaps: readonly IndexSwap[]): void {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const name of swaps.flatMap((s) => s.indexes)) (seen.has(name) ? duplicates : seen).add(name);
  const list = [...duplicates].sort();
  if (list.length === 1)
    throw new MeiliError('invalid_swap_duplicate_index_found', `Indexes must be declared only once during a swap. \`${list[0]}\` was specified several times.`);
  if (list.length > 1)
    throw new MeiliError(
      'invalid_swap_duplicate_index_found',
      `Indexes must be declared only once during a swap. ${list.map((n) => `\`${n}\``).join(', ')} were specified several times.`,
    );
}

/** `Export` (routes/export.rs): url, apiKey, payloadSize (bytes or a unit string), indexes patterns. */
function parseExport(raw: unknown): ExportContent {
  const body = expectObject(raw, '', 'bad_request');
  const accepted = ['url', 'apiKey', 'payloadSize', 'indexes'];
  for (const key of Object.keys(body)) if (!accepted.includes(key)) throw unknownField(key, accepted);
  if (body.url === undefined) throw missingField('url', 'invalid_export_url');
  if (typeof body.url !== 'string') throw typeError('.url', 'a string', body.url, 'invalid_export_url');
  if (body.apiKey !== undefined && body.apiKey !== null && typeof body.apiKey !== 'string') throw typeError('.apiKey', 'a string', body.apiKey, 'invalid_export_api_key');
  let payloadSize: number | null = null;
  if (typeof body.payloadSize === 'number') payloadSize = body.payloadSize;
  else if (typeof body.payloadSize === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$/i.exec(body.payloadSize);
    if (!m) throw new MeiliError('invalid_export_payload_size', `Invalid value at \`.payloadSize\`: the value \`${body.payloadSize}\` is not a valid byte size`);
    const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
    payloadSize = Math.round(Number(m[1]) * (units[(m[2] ?? 'b').toLowerCase()] ?? 1));
  } else if (body.payloadSize !== undefined && body.payloadSize !== null) throw typeError('.payloadSize', 'a string', body.payloadSize, 'invalid_export_payload_size');
  const indexes: ExportContent['indexes'] = {};
  if (body.indexes === undefined || body.indexes === null) indexes['*'] = { filter: null, overrideSettings: false };
  else {
    const patterns = expectObject(body.indexes, '.indexes', 'invalid_export_indexes_patterns');
    for (const [pattern, value] of Object.entries(patterns)) {
      const settings = value === null ? {} : expectObject(value, `.indexes.${pattern}`, 'invalid_export_indexes_patterns');
      indexes[pattern] = { filter: settings.filter ?? null, overrideSettings: settings.overrideSettings === true };
    }
  }
  return { type: 'export', url: body.url, apiKey: typeof body.apiKey === 'string' ? body.apiKey : null, payloadSize, indexes };
}

export function instanceRoutes(engine: Engine): Route[] {
  return [
    { method: 'GET', pattern: '/health', handler: () => json(200, { status: 'available' }) },
    {
      method: 'GET',
      pattern: '/version',
      handler: (req) => {
        engine.auth(req.headers, 'version');
        return json(200, { commitSha: 'unknown', commitDate: 'unknown', pkgVersion: engine.options.version });
      },
    },
    {
      method: 'POST',
      pattern: '/snapshots',
      handler: (req) => {
        if (!engine.has('snapshots')) return { status: 404 };
        engine.auth(req.headers, 'snapshots.create');
        return json(202, engine.enqueue({ type: 'snapshotCreation' }, null));
      },
    },
    {
      method: 'POST',
      pattern: '/export',
      handler: (req) => {
        if (!engine.has('export')) return { status: 404 };
        engine.auth(req.headers, 'export');
        const content = parseExport(readJsonBody(req));
        // the engine answers 200 (not 202) with the summarized task
        return json(200, engine.enqueue(content, exportDetails(content)));
      },
    },
    {
      method: 'POST',
      pattern: '/swap-indexes',
      handler: (req) => {
        const auth = engine.auth(req.headers, 'indexes.swap');
        const swaps = parseSwaps(readJsonBody(req), engine.versionAtLeast(1, 18));
        for (const { indexes } of swaps) if (!indexes.every((uid) => isIndexAuthorized(auth, uid))) throw invalidApiKey();
        checkDuplicates(swaps);
        return json(202, engine.enqueue({ type: 'indexSwap', swaps }, { swaps }));
      },
    },
  ];
}
