// Instance configuration outside the task queue: `/experimental-features` (v1.3+, routes/features.rs),
// `/webhooks` (v1.17+, routes/webhooks.rs) and `/network` (v1.13+, routes/network, community edition).
// All three answer synchronously. Before their release the routes do not exist (a bare 404).

import { randomUUID } from 'node:crypto';
import type { Engine, NetworkState } from '../engine.ts';
import { MeiliError } from '../errors.ts';
import { json, readJsonBody, type EmulatorResponse, type Route } from '../http.ts';
import { expectObject, isObject, typeError, unknownField } from '../params.ts';
import { hideSecret } from '../settings.ts';

const MAX_WEBHOOKS = 20;
const MAX_HEADERS = 200;
const notFound = (): EmulatorResponse => ({ status: 404 });

function featureRoutes(engine: Engine): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/experimental-features',
      handler: (req) => {
        if (!engine.has('experimentalFeatures')) return notFound();
        engine.auth(req.headers, 'experimental.get');
        return json(200, { ...engine.features });
      },
    },
    {
      method: 'PATCH',
      pattern: '/experimental-features',
      handler: (req) => {
        if (!engine.has('experimentalFeatures')) return notFound();
        engine.auth(req.headers, 'experimental.update');
        const body = expectObject(readJsonBody(req), '', 'bad_request');
        const names = Object.keys(engine.features);
        for (const [name, value] of Object.entries(body)) {
          if (!names.includes(name)) throw unknownField(name, names);
          if (value !== null && typeof value !== 'boolean') throw typeError(`.${name}`, 'a boolean', value, 'bad_request');
        }
        // `None` keeps the old value, except `legacySearch` whose null is a value of its own
        for (const [name, value] of Object.entries(body)) if (value !== null || name === 'legacySearch') engine.features[name] = value as boolean | null;
        return json(200, { ...engine.features });
      },
    },
  ];
}

/** `redact_authorization_header`: the Authorization value (any case) is hidden after a `Bearer ` prefix. */
function webhookView(uuid: string, webhook: { url: string; headers: Record<string, string> }): Record<string, unknown> {
  const headers = Object.fromEntries(
    Object.entries(webhook.headers).map(([k, v]) => [k, k.toLowerCase() === 'authorization' ? hideSecret(v, v.startsWith('Bearer ') ? 'Bearer '.length : 0) : v]),
  );
  return { uuid, isEditable: true, url: webhook.url, headers };
}

function checkWebhookBody(raw: unknown): { url?: string | null; headers?: Record<string, string | null> | null } {
  const body = expectObject(raw, '', 'bad_request');
  const out: { url?: string | null; headers?: Record<string, string | null> | null } = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'uuid') throw new MeiliError('immutable_webhook_uuid', 'Immutable field `uuid`: expected one of `url`, `headers`');
    if (key === 'isEditable') throw new MeiliError('immutable_webhook_is_editable', 'Immutable field `isEditable`: expected one of `url`, `headers`');
    if (key === 'url') {
      if (value !== null && typeof value !== 'string') throw typeError('.url', 'a string', value, 'invalid_webhook_url');
      out.url = value;
    } else if (key === 'headers') {
      if (value !== null && !isObject(value)) throw typeError('.headers', 'an object', value, 'invalid_webhook_headers');
      if (isObject(value)) {
        for (const [name, v] of Object.entries(value)) if (v !== null && typeof v !== 'string') throw typeError(`.headers.${name}`, 'a string', v, 'invalid_webhook_headers');
      }
      out.headers = value as Record<string, string | null> | null;
    } else throw unknownField(key, ['url', 'headers']);
  }
  return out;
}

function checkWebhook(uuid: string, webhook: { url: string; headers: Record<string, string> }): void {
  if (webhook.url === '') throw new MeiliError('invalid_webhook_url', `The URL for the webhook \`${uuid}\` is missing.`);
  if (Object.keys(webhook.headers).length > MAX_HEADERS) {
    throw new MeiliError(
      'invalid_webhook_headers',
      `Too many headers for the webhook \`${uuid}\`. Please limit the number of headers to 200. Hint: To remove an already defined header set its value to \`null\``,
    );
  }
  try {
    new URL(webhook.url);
  } catch {
    throw new MeiliError('invalid_webhook_url', `Invalid URL \`${webhook.url}\`: relative URL without a base`);
  }
}

function uuidParam(raw: string): string {
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(raw)) {
    throw new MeiliError(
      'invalid_webhook_uuid',
      `Invalid UUID: invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${raw.slice(0, 1)}\` at 1`,
    );
  }
  return raw.toLowerCase();
}

function webhookRoutes(engine: Engine): Route[] {
  const find = (raw: string) => {
    const uuid = uuidParam(raw);
    const webhook = engine.webhooks.get(uuid);
    if (!webhook) throw new MeiliError('webhook_not_found', `Webhook \`${uuid}\` not found.`);
    return { uuid, webhook };
  };
  const gate = (): boolean => engine.has('webhooks');
  return [
    {
      method: 'GET',
      pattern: '/webhooks',
      handler: (req) => {
        if (!gate()) return notFound();
        engine.auth(req.headers, 'webhooks.get');
        return json(200, { results: [...engine.webhooks].map(([uuid, w]) => webhookView(uuid, w)) });
      },
    },
    {
      method: 'POST',
      pattern: '/webhooks',
      handler: (req) => {
        if (!gate()) return notFound();
        engine.auth(req.headers, 'webhooks.create');
        const body = checkWebhookBody(readJsonBody(req));
        const uuid = randomUUID();
        if (typeof body.url !== 'string') throw new MeiliError('invalid_webhook_url', `The URL for the webhook \`${uuid}\` is missing.`);
        const headers = Object.fromEntries(Object.entries(body.headers ?? {}).filter((e): e is [string, string] => e[1] !== null));
        const webhook = { url: body.url, headers };
        checkWebhook(uuid, webhook);
        if (engine.webhooks.size >= MAX_WEBHOOKS)
          throw new MeiliError(
            'invalid_webhooks',
            'Defining too many webhooks would crush the server. Please limit the number of webhooks to 20. You may use a third-party proxy server to dispatch events to more than 20 endpoints.',
          );
        engine.webhooks.set(uuid, webhook);
        return json(201, webhookView(uuid, webhook));
      },
    },
    {
      method: 'GET',
      pattern: '/webhooks/:uuid',
      handler: (req, { uuid = '' }) => {
        if (!gate()) return notFound();
        engine.auth(req.headers, 'webhooks.get');
        const found = find(uuid);
        return json(200, webhookView(found.uuid, found.webhook));
      },
    },
    {
      method: 'PATCH',
      pattern: '/webhooks/:uuid',
      handler: (req, { uuid = '' }) => {
        if (!gate()) return notFound();
        engine.auth(req.headers, 'webhooks.update');
        const body = checkWebhookBody(readJsonBody(req));
        const found = find(uuid);
        if (body.url === null) throw new MeiliError('invalid_webhook_url', `The URL for the webhook \`${found.uuid}\` is missing.`);
        const headers = body.headers === null ? {} : { ...found.webhook.headers };
        for (const [name, value] of Object.entries(body.headers ?? {})) {
          if (value === null) delete headers[name];
          else headers[name] = value;
        }
        const webhook = { url: body.url ?? found.webhook.url, headers };
        checkWebhook(found.uuid, webhook);
        engine.webhooks.set(found.uuid, webhook);
        return json(200, webhookView(found.uuid, webhook));
      },
    },
    {
      method: 'DELETE',
      pattern: '/webhooks/:uuid',
      handler: (req, { uuid = '' }) => {
        if (!gate()) return notFound();
        engine.auth(req.headers, 'webhooks.delete');
        const found = find(uuid);
        engine.webhooks.delete(found.uuid);
        return { status: 204 };
      },
    },
  ];
}

/** GET/PATCH answer: v1.13 `{self, remotes}`, v1.19 `+ sharding` and write keys, v1.30 shards/leader/version. */
function networkView(engine: Engine): Record<string, unknown> {
  const network = engine.network;
  const writeKeys = engine.has('networkSharding');
  const topology = engine.has('networkTopologyChange');
  const remotes = Object.fromEntries(
    Object.entries(network.remotes).map(([name, r]) => [
      name,
      { url: r.url, searchApiKey: r.searchApiKey, ...(writeKeys ? { writeApiKey: r.writeApiKey } : {}), ...(topology ? { status: 'available' } : {}) },
    ]),
  );
  if (topology) return { self: network.self, remotes, shards: network.shards, leader: null, version: '00000000-0000-0000-0000-000000000000' };
  return writeKeys ? { self: network.self, remotes, sharding: false } : { self: network.self, remotes };
}

/** `merge_networks`: `self` replaced, remotes merged by name (`null` removes), shards likewise. */
function patchNetwork(engine: Engine, raw: unknown): NetworkState {
  const body = expectObject(raw, '', 'bad_request');
  const sharded = engine.has('networkTopologyChange');
  const accepted = sharded
    ? ['remotes', 'shards', 'previousShards', 'self', 'leader', 'previousRemotes']
    : engine.has('networkSharding')
      ? ['remotes', 'self', 'sharding']
      : ['remotes', 'self'];
  const next: NetworkState = { self: engine.network.self, remotes: { ...engine.network.remotes }, shards: { ...engine.network.shards } };
  for (const [key, value] of Object.entries(body)) {
    if (!accepted.includes(key)) throw unknownField(key, accepted);
    if (key === 'leader' && value !== null) throw new MeiliError('requires_enterprise_edition', 'Meilisearch Enterprise Edition is required to set `network.leader`');
    if (key === 'self') {
      if (value !== null && typeof value !== 'string') throw typeError('.self', 'a string', value, 'invalid_network_self');
      next.self = value;
    } else if (key === 'remotes' && value !== null) {
      if (!isObject(value)) throw typeError('.remotes', 'an object', value, 'invalid_network_remotes');
      for (const [name, remote] of Object.entries(value)) {
        if (remote === null) {
          delete next.remotes[name];
          continue;
        }
        if (!isObject(remote)) throw typeError(`.remotes.${name}`, 'an object', remote, 'invalid_network_remotes');
        const old = next.remotes[name];
        const url = remote.url === undefined ? old?.url : remote.url;
        if (typeof url !== 'string') throw new MeiliError('missing_network_url', `Missing field \`.remotes.${name}.url\``);
        const key = (field: 'searchApiKey' | 'writeApiKey') => (remote[field] === undefined ? (old?.[field] ?? null) : (remote[field] as string | null));
        next.remotes[name] = { url, searchApiKey: key('searchApiKey'), writeApiKey: key('writeApiKey') };
      }
    } else if (key === 'remotes') next.remotes = {};
    else if (key === 'shards' && isObject(value)) {
      for (const [name, shard] of Object.entries(value)) {
        if (shard === null) delete next.shards[name];
        else if (isObject(shard) && Array.isArray(shard.remotes)) next.shards[name] = { remotes: shard.remotes.filter((r): r is string => typeof r === 'string').sort() };
        else throw typeError(`.shards.${name}`, 'an object', shard, 'invalid_network_shards');
      }
    } else if (key === 'shards') next.shards = {};
  }
  return next;
}

function networkRoutes(engine: Engine): Route[] {
  const check = (): void => {
    if (!engine.enabled('network')) {
      throw new MeiliError(
        'feature_not_enabled',
        'Using the /network route requires enabling the `network` experimental feature. See https://github.com/orgs/meilisearch/discussions/805',
      );
    }
  };
  return [
    {
      method: 'GET',
      pattern: '/network',
      handler: (req) => {
        if (!engine.has('network')) return notFound();
        engine.auth(req.headers, 'network.get');
        check();
        return json(200, networkView(engine));
      },
    },
    {
      method: 'PATCH',
      pattern: '/network',
      handler: (req) => {
        if (!engine.has('network')) return notFound();
        engine.auth(req.headers, 'network.update');
        check();
        engine.network = patchNetwork(engine, readJsonBody(req));
        return json(200, networkView(engine));
      },
    },
  ];
}

export function experimentalRoutes(engine: Engine): Route[] {
  return [...featureRoutes(engine), ...webhookRoutes(engine), ...networkRoutes(engine)];
}
