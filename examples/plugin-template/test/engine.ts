// Test support: a TinyKV server for the contract suite, driven over its own HTTP API to seed and inspect
// buckets. All engine-specific knowledge the shared suite needs lives here.
import type { CollectionDump, ContractEngine, SeedCollection } from 'backup-gateway/testing';
import { startTinyKv, type TinyKvServer } from './tinykv-server.ts';

/** Non-default settings that must survive a round trip. */
export const SAMPLE_SETTINGS = { description: 'contract sample', ttlSeconds: 86_400, maxValueBytes: 65_536 };

export interface TinyKvTestEngine extends ContractEngine {
  server: TinyKvServer;
  /** Calls the engine's API directly (the plugin's client is what is under test). */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export async function startTinyKvEngine(options: { token?: string; config?: Record<string, unknown> } = {}): Promise<TinyKvTestEngine> {
  const token = options.token ?? 'template-test-token';
  const server = await startTinyKv({ token });
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };
  const expectOk = async (method: string, path: string, body?: unknown): Promise<any> => {
    const answer = await api(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const bucket = (name: string): string => `/v1/buckets/${encodeURIComponent(name)}`;

  return {
    server,
    api,
    // Small pages and batches, so a few hundred items already take many requests (and cancel can land mid-way).
    config: { url: server.url, token, pageSize: 50, batchSize: 50, ...options.config },
    async seed(collections: SeedCollection[]) {
      for (const collection of collections) {
        await api('DELETE', bucket(collection.name));
        await expectOk('PUT', bucket(collection.name), { settings: collection.settings ?? {} });
        const items = collection.documents.map((document) => ({ key: String(document['id']), value: document }));
        for (let i = 0; i < items.length; i += 1000) await expectOk('POST', `${bucket(collection.name)}/items`, { items: items.slice(i, i + 1000) });
      }
    },
    async dump(name: string): Promise<CollectionDump> {
      const documents: Record<string, unknown>[] = [];
      for (let after: string | null = null; ;) {
        const page: { items: { value: Record<string, unknown> }[]; next: string | null } = await expectOk(
          'GET',
          `${bucket(name)}/items?limit=1000${after === null ? '' : `&after=${encodeURIComponent(after)}`}`,
        );
        documents.push(...page.items.map((item) => item.value));
        if (page.next === null) break;
        after = page.next;
      }
      documents.sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
      return { documents, settings: (await expectOk('GET', bucket(name))).settings };
    },
    async drop(name: string) {
      await api('DELETE', bucket(name));
    },
    async list() {
      return ((await expectOk('GET', '/v1/buckets')) as { buckets: { name: string }[] }).buckets.map((b) => b.name);
    },
    setSlow(on: boolean) {
      server.setDelay(on ? 25 : 0);
    },
    stop: () => server.close(),
  };
}
