// Acceptance, in headless Chromium with every non-loopback request blocked: GraphiQL at /graphql renders from
// the gateway alone, runs a query with the master key typed into its headers editor, and runs a subscription
// (over SSE, the key sent as a header) that shows a job event.
import { Meilisearch } from 'meilisearch';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { WALKTHROUGH_OPERATIONS } from '../../src/graphql/graphiql.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { CHROMIUM_BROWSER, describeWith } from '../helpers/requirements.ts';
import { launchChromium, recordPageProblems, screenshot } from './browser.ts';

const MASTER_KEY = 'graphiql-master-key-0123456789';
describeWith(CHROMIUM_BROWSER)('GraphiQL in Chromium, offline, auth on', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let engineId: string;
  const blocked: string[] = [];

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({});
    const docs = Array.from({ length: 2000 }, (_, i) => ({ id: i, title: `movie ${i}` }));
    await new Meilisearch({ host: emulator.url }).index('movies').addDocuments(docs, { primaryKey: 'id' }).waitTask();
    t = await startTestGateway({ masterKey: MASTER_KEY });
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, pageSize: 100 } },
    });
    expect(registered.errors).toBeUndefined();
    engineId = registered.data!.registerEngine.id;
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Nothing may leave the host: every request to another origin is refused and recorded.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== '127.0.0.1') {
        blocked.push(url.href);
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    page = await context.newPage();
    problems = recordPageProblems(page);
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const file = await screenshot(page, `graphiql-${task.name}`).catch((error: Error) => `(no screenshot: ${error.message})`);
      console.error(`screenshot: ${file}\nblocked: ${blocked.join(' ')}\npage problems:\n${problems.join('\n')}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    await emulator?.close();
  });

  /** Replaces the text of a Monaco editor (the query or the headers editor). */
  async function typeInto(selector: string, text: string): Promise<void> {
    const editor = page.locator(selector).first().locator('.monaco-editor:visible').first();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  async function run(): Promise<void> {
    await page.locator('.graphiql-execute-button').first().click();
  }

  // Monaco renders spaces as no-break spaces.
  const responseText = async () => (await page.locator('.graphiql-response').first().innerText()).replace(/\u00a0/g, ' ');

  it('renders with the walk-through tab, from this host only', async () => {
    await page.goto(`${server.url}/graphql`);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('.graphiql-query-editor').first().innerText(), { timeout: 15_000 }).toContain('RegisterEngine');
    expect(WALKTHROUGH_OPERATIONS).toMatch(/registerEngine[\s\S]*startBackup[\s\S]*jobUpdated[\s\S]*backups[\s\S]*startRestore[\s\S]*rename/);
    expect(blocked).toEqual([]);
  });

  it('runs a query with the master key typed into the headers editor', async () => {
    await page.getByText('Headers', { exact: true }).first().click();
    await typeInto('.graphiql-editor-tool', JSON.stringify({ Authorization: `Bearer ${MASTER_KEY}` }));
    await typeInto('.graphiql-query-editor', '{ engines { name plugin } }');
    // GraphiQL takes editor changes in after a short debounce: run until the answer is the query's.
    await expect
      .poll(
        async () => {
          await run();
          await new Promise((resolve) => setTimeout(resolve, 500));
          return responseText();
        },
        { timeout: 20_000 },
      )
      .toContain('"plugin": "meilisearch"');
    expect(blocked).toEqual([]);
  });

  it('runs a subscription with the master key and shows its events', async () => {
    // A backup slow enough to be followed: jobUpdated sends its current state, each change, and completes at the end.
    emulator.setOptions({ documentsDelayMs: 20 });
    const started = await t.gql(`mutation($e: ID!) { startBackup(input: {engineId: $e}) { id } }`, { e: engineId });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.startBackup.id as string;
    await typeInto('.graphiql-query-editor', `subscription { jobUpdated(id: "${jobId}") { id kind status } }`);
    await run();
    await expect.poll(responseText, { timeout: 30_000 }).toContain('"status": "SUCCEEDED"');
    expect(await responseText()).toContain(jobId);
    await waitForJob(t, jobId);
    expect(blocked).toEqual([]);
  });
});
