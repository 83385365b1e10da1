// API keys (core_api.cpp `post_create_key`, `get_keys`; auth_manager.h `api_key_t`): the full value is
// returned only by POST /keys, listings show a 4-character `value_prefix`.

import { randomBytes } from 'node:crypto';
import { TypesenseError, json, readObject, type Route } from '../http.ts';
import { FAR_FUTURE_TIMESTAMP, type ApiKey, type TypesenseState } from '../state.ts';

const PREFIX_LEN = 4;

export function keyRoutes(state: TypesenseState): Route[] {
  const find = (raw: string): ApiKey => {
    const key = state.keys.find((candidate) => String(candidate.id) === raw);
    if (key === undefined) throw new TypesenseError(404, 'Not found.');
    return key;
  };
  const listed = (key: ApiKey) => {
    const { value, ...rest } = key;
    return { ...rest, value_prefix: value.slice(0, PREFIX_LEN) };
  };
  return [
    { method: 'GET', pattern: '/keys', action: 'keys:list', handler: () => json(200, { keys: state.keys.map(listed) }) },
    { method: 'GET', pattern: '/keys/:id', action: 'keys:get', handler: (_req, { id }) => json(200, listed(find(id!))) },
    {
      method: 'POST',
      pattern: '/keys',
      action: 'keys:create',
      handler: (req) => {
        const body = readObject(req);
        validateKey(body);
        const value = typeof body['value'] === 'string' ? body['value'] : randomBytes(24).toString('base64url').slice(0, 32);
        if (state.keys.some((key) => key.value === value) || value === state.settings.adminKey) {
          throw new TypesenseError(409, 'API key generation conflict.');
        }
        const key: ApiKey = {
          id: state.nextKeyId++,
          value,
          description: body['description'] as string,
          actions: body['actions'] as string[],
          collections: body['collections'] as string[],
          expires_at: typeof body['expires_at'] === 'number' ? body['expires_at'] : FAR_FUTURE_TIMESTAMP,
          autodelete: body['autodelete'] === true,
        };
        state.keys.push(key);
        state.writes++;
        return json(201, key);
      },
    },
    {
      method: 'DELETE',
      pattern: '/keys/:id',
      action: 'keys:delete',
      handler: (_req, { id }) => {
        const key = find(id!);
        state.keys.splice(state.keys.indexOf(key), 1);
        state.writes++;
        return json(200, { id: key.id });
      },
    },
  ];
}

function validateKey(body: Record<string, unknown>): void {
  for (const required of ['description', 'actions', 'collections']) {
    if (!(required in body)) throw new TypesenseError(400, `Could not find a \`${required}\` key.`);
  }
  if ('value' in body && typeof body['value'] !== 'string') throw new TypesenseError(400, 'Key value must be a string.');
  if (typeof body['description'] !== 'string') throw new TypesenseError(400, 'Key description must be a string.');
  for (const list of ['actions', 'collections']) {
    const value = body[list];
    if (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string')) {
      throw new TypesenseError(400, `Wrong format for \`${list}\`. It should be an array of string.`);
    }
  }
  if ('expires_at' in body && (!Number.isInteger(body['expires_at']) || (body['expires_at'] as number) < 0)) {
    throw new TypesenseError(400, 'Wrong format for `expires_at`. It should be an unsigned integer.');
  }
}

/** Whether a request with this key may run `action` (on `collection`, for collection-scoped routes). */
export function keyAllows(state: TypesenseState, sent: string | undefined, action: string, collection: string | undefined): boolean {
  if (sent === undefined || sent === '') return false;
  if (sent === state.settings.adminKey) return true;
  const key = state.keys.find((candidate) => candidate.value === sent);
  if (key === undefined || key.expires_at < Date.now() / 1000) return false;
  const resource = action.slice(0, action.lastIndexOf(':'));
  const actionOk = key.actions.some((allowed) => allowed === '*' || allowed === action || allowed === `${resource}:*`);
  if (!actionOk) return false;
  if (collection === undefined) return true;
  return key.collections.some((pattern) => pattern === '*' || new RegExp(`^(?:${pattern})$`).test(collection));
}
