// /keys routes (routes/api_key.rs). They need the master key (or a key with keys.* actions); without
// a master key configured the engine answers `missing_master_key`.

import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine.ts';
import { MeiliError } from '../errors.ts';
import { json, readJsonBody, type Route } from '../http.ts';
import { ACTIONS, type Action, type ApiKey } from '../keys.ts';
import { expectObject, invalidValue, missingField, optionalString, parseQuery, typeError, unknownField, unknownValue, usizeParam } from '../params.ts';

const CREATE_FIELDS = ['description', 'name', 'uid', 'actions', 'indexes', 'expiresAt'];
const PATCH_FIELDS = ['description', 'name'];
const IMMUTABLE: Record<string, Parameters<typeof invalidValue>[2]> = {
  uid: 'immutable_api_key_uid',
  actions: 'immutable_api_key_actions',
  indexes: 'immutable_api_key_indexes',
  expiresAt: 'immutable_api_key_expires_at',
  createdAt: 'immutable_api_key_created_at',
  updatedAt: 'immutable_api_key_updated_at',
};

const UUID = /^(urn:uuid:)?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** `Uuid::from_str` accepts the hyphenated, simple and urn forms; the key stores it hyphenated. */
function parseUid(raw: string): string | null {
  if (!UUID.test(raw)) return null;
  const hex = raw
    .replace(/^urn:uuid:/, '')
    .replace(/-/g, '')
    .toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `parse_expiration_date`: RFC 3339, `YYYY-MM-DDTHH:MM:SS`, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`, in the future. */
function parseExpiration(value: unknown): Date | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw typeError('.expiresAt', 'a string', value, 'invalid_api_key_expires_at');
  const formats = [/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i, /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}$/, /^\d{4}-\d{2}-\d{2}$/];
  const iso = formats[0]!.test(value) ? value : formats[1]!.test(value) ? `${value.replace(' ', 'T')}Z` : formats[2]!.test(value) ? `${value}T00:00:00Z` : null;
  const date = iso === null ? null : new Date(iso);
  if (date === null || Number.isNaN(date.getTime()) || date.getTime() <= Date.now()) {
    throw invalidValue(
      '.expiresAt',
      `\`${value}\` is not a valid date. It should follow the RFC 3339 format to represents a date or datetime in the future or specified as a null value. e.g. 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'.\n`,
      'invalid_api_key_expires_at',
    );
  }
  return date;
}

function createKey(body: unknown): ApiKey {
  const obj = expectObject(body, '', 'bad_request');
  const now = new Date();
  const key: Partial<ApiKey> & { uid: string } = { uid: randomUUID(), name: null, description: null, createdAt: now, updatedAt: now };
  for (const [field, value] of Object.entries(obj)) {
    switch (field) {
      case 'description':
        key.description = optionalString(value, '.description', 'invalid_api_key_description');
        break;
      case 'name':
        key.name = optionalString(value, '.name', 'invalid_api_key_name');
        break;
      case 'uid': {
        if (typeof value !== 'string') throw typeError('.uid', 'a string', value, 'invalid_api_key_uid');
        const uid = parseUid(value);
        if (uid === null)
          throw invalidValue(
            '.uid',
            `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${[...value].find((c) => !/[0-9a-fA-F-]/.test(c)) ?? value}\``,
            'invalid_api_key_uid',
          );
        key.uid = uid;
        break;
      }
      case 'actions':
        if (!Array.isArray(value)) throw typeError('.actions', 'an array', value, 'invalid_api_key_actions');
        key.actions = value.map((a, i) => {
          if (typeof a !== 'string') throw typeError(`.actions[${i}]`, 'a string', a, 'invalid_api_key_actions');
          if (!(ACTIONS as readonly string[]).includes(a)) throw unknownValue(a, ACTIONS, `.actions[${i}]`, 'invalid_api_key_actions');
          return a as Action;
        });
        break;
      case 'indexes':
        if (!Array.isArray(value)) throw typeError('.indexes', 'an array', value, 'invalid_api_key_indexes');
        key.indexes = value.map((p, i) => {
          if (typeof p !== 'string') throw typeError(`.indexes[${i}]`, 'a string', p, 'invalid_api_key_indexes');
          const prefix = p.endsWith('*') ? p.slice(0, -1) : p;
          if ((prefix !== '' || p !== '*') && !/^[A-Za-z0-9_-]{1,400}$/.test(prefix)) {
            throw invalidValue(
              `.indexes[${i}]`,
              `\`${p}\` is not a valid index uid pattern. Index uid patterns can be an integer or a string containing only alphanumeric characters, hyphens (-), underscores (_), and optionally end with a star (*).`,
              'invalid_api_key_indexes',
            );
          }
          return p;
        });
        break;
      case 'expiresAt':
        key.expiresAt = parseExpiration(value);
        break;
      default:
        throw unknownField(field, CREATE_FIELDS);
    }
  }
  if (key.actions === undefined) throw missingField('actions', 'missing_api_key_actions');
  if (key.indexes === undefined) throw missingField('indexes', 'missing_api_key_indexes');
  if (key.expiresAt === undefined) throw missingField('expiresAt', 'missing_api_key_expires_at');
  return key as ApiKey;
}

export function keyRoutes(engine: Engine): Route[] {
  /** `{uidOrKey}`: a UUID, else the key's secret. */
  const find = (uidOrKey: string): ApiKey => {
    const uid = parseUid(uidOrKey) ?? engine.keys.uidFromSecret(uidOrKey);
    const key = uid === undefined ? undefined : engine.keys.get(uid);
    if (!key) throw new MeiliError('api_key_not_found', `API key \`${uid ?? uidOrKey}\` not found.`);
    return key;
  };

  return [
    {
      method: 'POST',
      pattern: '/keys',
      handler: (req) => {
        engine.auth(req.headers, 'keys.create');
        const key = createKey(readJsonBody(req));
        if (engine.keys.get(key.uid)) throw new MeiliError('api_key_already_exists', `\`uid\` field value \`${key.uid}\` is already an existing API key.`);
        return json(201, engine.keys.view(engine.keys.put(key)));
      },
    },
    {
      method: 'GET',
      pattern: '/keys',
      handler: (req) => {
        engine.auth(req.headers, 'keys.get');
        const params = parseQuery(req.search, ['offset', 'limit']);
        const offset = usizeParam(params, 'offset', 'invalid_api_key_offset') ?? 0;
        const limit = usizeParam(params, 'limit', 'invalid_api_key_limit') ?? 20;
        const keys = engine.keys.list();
        return json(200, { results: keys.slice(offset, offset + limit).map((k) => engine.keys.view(k)), offset, limit, total: keys.length });
      },
    },
    {
      method: 'GET',
      pattern: '/keys/:key',
      handler: (req, { key = '' }) => {
        engine.auth(req.headers, 'keys.get');
        return json(200, engine.keys.view(find(key)));
      },
    },
    {
      method: 'PATCH',
      pattern: '/keys/:key',
      handler: (req, { key = '' }) => {
        engine.auth(req.headers, 'keys.update');
        const body = expectObject(readJsonBody(req), '', 'bad_request');
        const patch: { name?: string | null; description?: string | null } = {};
        for (const [field, value] of Object.entries(body)) {
          if (field === 'name') patch.name = optionalString(value, '.name', 'invalid_api_key_name');
          else if (field === 'description') patch.description = optionalString(value, '.description', 'invalid_api_key_description');
          else if (field in IMMUTABLE) throw new MeiliError(IMMUTABLE[field]!, `Immutable field \`${field}\`: expected one of \`description\`, \`name\``);
          else throw unknownField(field, PATCH_FIELDS);
        }
        const existing = find(key);
        const updated = engine.keys.put({ ...existing, ...patch, updatedAt: new Date() });
        return json(200, engine.keys.view(updated));
      },
    },
    {
      method: 'DELETE',
      pattern: '/keys/:key',
      handler: (req, { key = '' }) => {
        engine.auth(req.headers, 'keys.delete');
        engine.keys.delete(find(key).uid);
        return { status: 204 };
      },
    },
  ];
}
