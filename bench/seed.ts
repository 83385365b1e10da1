// `tsx bench/seed.ts <engine> <url> <json [{name,count}]>`: creates and fills bench collections in their own
// process, in batches of 10,000 documents over the engines' plain HTTP APIs.
import { makeDocument, TYPESENSE_KEY } from './lib.ts';

const [engine, url, spec] = process.argv.slice(2) as [string, string, string];
const collections = JSON.parse(spec) as Array<{ name: string; count: number }>;
const BATCH = 10_000;

async function call(method: string, path: string, body: string, contentType = 'application/json'): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (engine === 'typesense') headers['x-typesense-api-key'] = TYPESENSE_KEY;
  // A keep-alive socket the emulator closed just then fails the write (EPIPE) before anything was read: retried.
  const response = await fetch(url + path, { method, headers, body }).catch(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return fetch(url + path, { method, headers, body });
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  if (contentType !== 'application/json') {
    const failed = text.split('\n').find((line) => !line.includes('"success":true'));
    if (failed !== undefined) throw new Error(`${path}: ${failed.slice(0, 300)}`);
    return text;
  }
  return JSON.parse(text) as unknown;
}

async function waitTask(taskUid: number): Promise<void> {
  for (;;) {
    const task = (await (await fetch(`${url}/tasks/${taskUid}`)).json()) as { status: string; error?: unknown };
    if (task.status === 'succeeded') return;
    if (task.status === 'failed' || task.status === 'canceled') throw new Error(`task ${taskUid}: ${JSON.stringify(task.error)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const { name, count } of collections) {
  if (engine === 'meilisearch') {
    await waitTask(((await call('POST', '/indexes', JSON.stringify({ uid: name, primaryKey: 'id' }))) as { taskUid: number }).taskUid);
  } else {
    const fields = [
      { name: 'title', type: 'string' },
      { name: 'body', type: 'string' },
      { name: 'tags', type: 'string[]', facet: true },
      { name: 'price', type: 'float' },
      { name: 'stock', type: 'int32' },
      { name: 'published', type: 'int64' },
      { name: '.*', type: 'auto' },
    ];
    await call('POST', '/collections', JSON.stringify({ name, fields, enable_nested_fields: true }));
  }
  for (let start = 0; start < count; start += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => makeDocument(start + i));
    if (engine === 'meilisearch') {
      const task = (await call('POST', `/indexes/${name}/documents`, JSON.stringify(docs))) as { taskUid: number };
      await waitTask(task.taskUid);
    } else {
      await call('POST', `/collections/${name}/documents/import?action=create`, docs.map((doc) => JSON.stringify(doc)).join('\n'), 'text/plain');
    }
  }
}
