// API keys as meilisearch-auth stores them: a key's secret is never stored, it is derived as
// HMAC-SHA256(master key, hyphenated lower-case uid) in hex (store.rs `generate_key_as_hexa`).

import { rfc3339, rfc3339OrNull } from './rfc3339.ts';
import { createHmac, randomUUID } from 'node:crypto';

/** Every action name, in the engine's enum order (used verbatim in "expected one of" messages). */
export const ACTIONS = [
  '*',
  'search',
  'documents.*',
  'documents.add',
  'documents.get',
  'documents.delete',
  'indexes.*',
  'indexes.create',
  'indexes.get',
  'indexes.update',
  'indexes.delete',
  'indexes.swap',
  'tasks.*',
  'tasks.cancel',
  'tasks.delete',
  'tasks.get',
  'settings.*',
  'settings.get',
  'settings.update',
  'stats.*',
  'stats.get',
  'metrics.*',
  'metrics.get',
  'dumps.*',
  'dumps.create',
  'snapshots.*',
  'snapshots.create',
  'version',
  'keys.create',
  'keys.get',
  'keys.update',
  'keys.delete',
  'experimental.get',
  'experimental.update',
  'export',
  'network.get',
  'network.update',
  'chatCompletions',
  'chats.*',
  'chats.get',
  'chats.delete',
  'chatsSettings.*',
  'chatsSettings.get',
  'chatsSettings.update',
  '*.get',
  'webhooks.get',
  'webhooks.update',
  'webhooks.delete',
  'webhooks.create',
  'webhooks.*',
  'indexes.compact',
  'fields.post',
  'tasks.compact',
] as const;

export type Action = (typeof ACTIONS)[number];

/** Actions a route can require (never a wildcard). */
export type RouteAction = Exclude<Action, `${string}*` | '*' | '*.get'>;

const READ_ACTIONS: readonly RouteAction[] = [
  'documents.get',
  'indexes.get',
  'tasks.get',
  'settings.get',
  'stats.get',
  'metrics.get',
  'version',
  'keys.get',
  'experimental.get',
  'network.get',
  'chats.get',
  'chatsSettings.get',
  'webhooks.get',
];

/** The wildcard expansion of `put_api_key` (store.rs): which concrete actions a listed action grants. */
export function expandActions(actions: readonly Action[]): Set<string> {
  const granted = new Set<string>();
  for (const action of actions) {
    switch (action) {
      case '*':
        for (const a of ACTIONS) if (a !== '*.get') granted.add(a);
        break;
      case '*.get':
        for (const a of READ_ACTIONS) granted.add(a);
        break;
      case 'documents.*':
        ['documents.get', 'documents.delete', 'documents.add'].forEach((a) => granted.add(a));
        break;
      case 'indexes.*':
        ['indexes.create', 'indexes.delete', 'indexes.get', 'indexes.update', 'indexes.swap', 'indexes.compact'].forEach((a) => granted.add(a));
        break;
      case 'settings.*':
        ['settings.get', 'settings.update'].forEach((a) => granted.add(a));
        break;
      case 'tasks.*':
        ['tasks.get', 'tasks.delete', 'tasks.cancel', 'tasks.compact'].forEach((a) => granted.add(a));
        break;
      case 'dumps.*':
        granted.add('dumps.create');
        break;
      case 'snapshots.*':
        granted.add('snapshots.create');
        break;
      case 'stats.*':
        granted.add('stats.get');
        break;
      case 'metrics.*':
        granted.add('metrics.get');
        break;
      case 'chats.*':
        ['chats.get', 'chats.delete'].forEach((a) => granted.add(a));
        break;
      case 'webhooks.*':
        ['webhooks.get', 'webhooks.update', 'webhooks.delete', 'webhooks.create'].forEach((a) => granted.add(a));
        break;
      case 'chatsSettings.*':
        ['chatsSettings.get', 'chatsSettings.update'].forEach((a) => granted.add(a));
        break;
      default:
        granted.add(action);
    }
  }
  return granted;
}

export interface ApiKey {
  uid: string;
  name: string | null;
  description: string | null;
  actions: Action[];
  /** Index uid patterns: `*`, an exact uid, or a prefix ending in `*`. */
  indexes: string[];
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function indexPatternMatches(pattern: string, uid: string): boolean {
  return pattern.endsWith('*') ? uid.startsWith(pattern.slice(0, -1)) : pattern === uid;
}

export class KeyStore {
  private readonly keys = new Map<string, ApiKey>();
  /** derived secret → uid, so authentication is one lookup. */
  private readonly bySecret = new Map<string, string>();

  constructor(readonly masterKey: string | undefined) {
    // meilisearch-auth `generate_default_keys`, in its insertion order, only when a master key is set.
    if (masterKey !== undefined) {
      const defaults: Array<Pick<ApiKey, 'name' | 'description' | 'actions'>> = [
        { name: 'Default Chat API Key', description: 'Use it to chat and search from the frontend', actions: ['chatCompletions', 'search'] },
        {
          name: 'Default Read-Only Admin API Key',
          description: 'Use it to read information across the whole database. Caution! Do not expose this key on a public frontend',
          actions: ['*.get', 'keys.get'],
        },
        { name: 'Default Admin API Key', description: 'Use it for anything that is not a search operation. Caution! Do not expose it on a public frontend', actions: ['*'] },
        { name: 'Default Search API Key', description: 'Use it to search from the frontend', actions: ['search'] },
      ];
      const base = Date.now();
      defaults.forEach((d, i) => {
        const at = new Date(base + i);
        this.put({ ...d, uid: randomUUID(), indexes: ['*'], expiresAt: null, createdAt: at, updatedAt: at });
      });
    }
  }

  /** The secret of a key, or '' without a master key (KeyView's `unwrap_or_default`). */
  secretOf(uid: string): string {
    if (this.masterKey === undefined) return '';
    return createHmac('sha256', this.masterKey).update(uid.toLowerCase()).digest('hex');
  }

  put(key: ApiKey): ApiKey {
    this.keys.set(key.uid, key);
    if (this.masterKey !== undefined) this.bySecret.set(this.secretOf(key.uid), key.uid);
    return key;
  }

  get(uid: string): ApiKey | undefined {
    return this.keys.get(uid.toLowerCase());
  }

  uidFromSecret(secret: string): string | undefined {
    return this.bySecret.get(secret);
  }

  delete(uid: string): boolean {
    const key = this.keys.get(uid);
    if (!key) return false;
    this.keys.delete(uid);
    this.bySecret.delete(this.secretOf(uid));
    return true;
  }

  /** Newest first (store.rs `list_api_keys` sorts by `created_at` descending). */
  list(): ApiKey[] {
    return [...this.keys.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /** `is_key_authorized`: action granted for all indexes or for this index, and not expired. */
  isAuthorized(key: ApiKey, action: RouteAction, indexUid: string | undefined): boolean {
    if (!expandActions(key.actions).has(action)) return false;
    const allIndexes = key.indexes.includes('*');
    if (!allIndexes && indexUid !== undefined && !key.indexes.some((p) => indexPatternMatches(p, indexUid))) return false;
    return key.expiresAt === null || Date.now() < key.expiresAt.getTime();
  }

  view(key: ApiKey): Record<string, unknown> {
    return {
      name: key.name,
      description: key.description,
      key: this.secretOf(key.uid),
      uid: key.uid,
      actions: key.actions,
      indexes: key.indexes,
      expiresAt: rfc3339OrNull(key.expiresAt),
      createdAt: rfc3339(key.createdAt),
      updatedAt: rfc3339(key.updatedAt),
    };
  }
}
