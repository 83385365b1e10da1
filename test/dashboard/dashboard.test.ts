// Acceptance, in headless Chromium: the dashboard served at / with auth on (master key) — the key asked once
// per session, a backup started from the page whose progress bar reaches 100 %, a restore canceled from the
// page, coded errors in the error panel. A screenshot lands in test-output/ when a test fails.
import { Meilisearch } from 'meilisearch';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';
import { CHROMIUM_BROWSER, describeWith } from '../helpers/requirements.ts';
import { launchChromium, recordPageProblems, screenshot } from './browser.ts';

const MASTER_KEY = 'dashboard-master-key-0123456789';
const MEILI_KEY = 'dashboard-meili-key-0123456789';
const SEED = { movies: 3000, books: 1000 };

describeWith(CHROMIUM_BROWSER)('web dashboard in Chromium, auth on', () => {
  let emulator: MeilisearchEmulator;
  let meili: Meilisearch;
  let t: TestGateway;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let backupId: string;

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    meili = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    for (const [uid, count] of Object.entries(SEED)) {
      const docs = Array.from({ length: count }, (_, i) => ({ id: i, title: `${uid} ${i}` }));
      await meili.index(uid).addDocuments(docs, { primaryKey: 'id' }).waitTask();
    }
    t = await startTestGateway({ masterKey: MASTER_KEY });
    const registered = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name: 'meili', plugin: 'meilisearch', config: { url: emulator.url, apiKey: MEILI_KEY, pageSize: 100, batchSize: 250 } },
    });
    expect(registered.errors).toBeUndefined();
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    // One context for the whole file: one browser session, so the key is asked once.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    problems = recordPageProblems(page);
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const file = await screenshot(page, `dashboard-${task.name}`).catch((error: Error) => `(no screenshot: ${error.message})`);
      console.error(`screenshot: ${file}\npage problems:\n${problems.join('\n')}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    await emulator?.close();
  });

  it('serves the page from disk, with no third-party origin', async () => {
    const html = await fetch(`${server.url}/`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await html.text()).not.toMatch(/https?:\/\//);
    expect((await fetch(`${server.url}/dashboard/app.js`)).headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${server.url}/dashboard/..%2Fserve.ts`)).status).toBe(404);
    expect((await fetch(`${server.url}/dashboard/serve.ts`)).status).toBe(404);
    // GraphiQL stays on /graphql.
    const graphiql = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('GraphiQL');
  });

  it('asks for the API key once per browser session and shows a wrong one with its code', async () => {
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${server.url}/`);
    await page.locator('#key-dialog[open]').waitFor();
    await page.fill('#api-key', 'not-the-key');
    await page.click('[data-testid=use-key]');
    await expect.poll(() => page.locator('#key-problem').textContent()).toContain('invalid_api_key');
    await page.fill('#api-key', MASTER_KEY);
    await page.click('[data-testid=use-key]');
    await page.locator('body[data-ready=true]').waitFor();
    await expect.poll(() => page.locator('#feed-status').getAttribute('data-state')).toBe('live');
    const engine = page.locator('[data-testid=engine][data-engine-name=meili]');
    await expect.poll(() => engine.locator('[data-testid=health]').textContent()).toContain('healthy');
    await expect.poll(() => engine.locator('[data-testid=collection]').count()).toBe(2);
    expect(await engine.locator('[data-testid=collection][data-name=movies]').textContent()).toContain('3,000');

    // A reload in the same session does not ask again.
    await page.reload();
    await page.locator('body[data-ready=true]').waitFor();
    expect(await page.locator('#key-dialog').getAttribute('open')).toBeNull();
    expect(await page.evaluate(() => sessionStorage.getItem('backup-gateway.apiKey'))).toBe(MASTER_KEY);
    expect(requests.every((url) => url.startsWith(server.url))).toBe(true);
  });

  it('starts a backup from the page and watches its progress bar reach 100 %', async () => {
    emulator.setOptions({ documentsDelayMs: 40 });
    await recordProgressBars(page);
    await page.click('[data-nav=engines]');
    const engine = page.locator('[data-testid=engine][data-engine-name=meili]');
    await engine.locator('[data-testid=backup-button]').click();
    await page.locator('#backup-dialog[open]').waitFor();
    await page.selectOption('#backup-strategy', 'LOGICAL');
    await page.fill('#backup-name', 'from-the-dashboard');
    await page.click('[data-testid=start-backup]');
    await page.locator('#backup-dialog:not([open])').waitFor({ state: 'attached' });

    const row = page.locator('[data-testid=job]').first();
    const jobId = (await row.getAttribute('data-job-id'))!;
    const done = page.locator(`[data-testid=job][data-job-id="${jobId}"][data-status=SUCCEEDED]`);
    await done.waitFor({ timeout: 30_000 });
    emulator.setOptions({ documentsDelayMs: 0 });
    const bar = done.locator('[data-testid=progress]');
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    expect(await done.locator('[data-testid=job-line]').textContent()).toContain('100.0 %');

    // The bar moved through real values on the way, and was honestly indeterminate before the total was known.
    const seen = await page.evaluate((id) => (window as unknown as { __bars: Record<string, string[]> }).__bars[id] ?? [], jobId);
    const percents = seen.filter((s) => s !== 'indeterminate').map(Number);
    expect(seen[0], seen.join(' ')).toBe('indeterminate');
    expect(
      percents.some((p) => p > 0 && p < 100),
      seen.join(' '),
    ).toBe(true);
    for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]!);
    expect(percents.at(-1)).toBe(100);

    // The catalog shows it with per-collection counts and its files.
    const job = await waitForJob(t, jobId);
    const info = await t.gql(`query($id: ID!) { job(id: $id) { backup { id } } }`, { id: job.id });
    backupId = info.data!.job.backup.id;
    await page.click('[data-nav=catalog]');
    const item = page.locator(`[data-testid=backup][data-backup-id="${backupId}"]`);
    await expect.poll(() => item.getAttribute('data-status')).toBe('COMPLETE');
    await item.locator('summary').click();
    await expect
      .poll(() => item.locator('[data-testid=backup-collection]').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining('3,000'), expect.stringContaining('1,000')]));
    await expect.poll(() => item.locator('[data-testid=artifact]').count()).toBeGreaterThanOrEqual(3);
    expect(await item.locator('[data-testid=verify-status]').textContent()).toBe('never verified');

    // Verify, where the gateway offers it: a VERIFY job, then the catalog shows when it was verified.
    const mutations = await t.gql(`{ __type(name: "Mutation") { fields { name } } }`);
    const canVerify = mutations.data!.__type.fields.some((f: { name: string }) => f.name === 'verifyBackup');
    expect(await item.locator('[data-testid=verify-button]').count()).toBe(canVerify ? 1 : 0);
    if (canVerify) {
      await item.locator('[data-testid=verify-button]').click();
      await expect.poll(() => page.locator('[data-testid=job]').first().textContent()).toContain('Verify');
      await page.locator('[data-testid=job][data-status=SUCCEEDED]').first().waitFor();
      await expect.poll(() => item.locator('[data-testid=verify-status]').textContent(), { timeout: 15_000 }).toMatch(/^verified /);
      // The opened backup's verification history lists that run.
      await expect.poll(() => item.locator('[data-testid=verification][data-status=SUCCEEDED]').count(), { timeout: 15_000 }).toBe(1);
    }
    expect(await page.locator('[data-testid=error]').allTextContents()).toEqual([]);
  });

  it('cancels a restore from the page; a refused job shows its code in the error panel', async () => {
    const live = await meili.index('movies').getDocuments({ limit: 5 });
    emulator.setOptions({ taskDelayMs: 300 });
    const item = page.locator(`[data-testid=backup][data-backup-id="${backupId}"]`);
    await item.locator('[data-testid=restore-button]').click();
    await page.locator('#restore-dialog[open]').waitFor();
    await page.uncheck('#restore-dialog input[name=collection][value=books]');
    expect(await page.isChecked('#restore-atomic')).toBe(true);
    // The plan comes first: movies exists, so without overwrite it is REFUSED and Start stays disabled.
    const plan = page.locator('[data-testid=restore-plan][data-verdict=REFUSED]');
    await plan.waitFor();
    expect(await plan.textContent()).toMatch(/movies.*movies.*REPLACE/s);
    expect(await plan.textContent()).toContain('target_exists');
    expect(await page.isDisabled('[data-testid=start-restore]')).toBe(true);
    await page.check('#restore-overwrite');
    await page.locator('[data-testid=restore-plan][data-verdict=OK]').waitFor();
    // It replaces live data: Start waits for the engine name, typed.
    expect(await page.isDisabled('[data-testid=start-restore]')).toBe(true);
    await page.fill('[data-testid=restore-confirm-name]', 'meili');
    expect(await page.isEnabled('[data-testid=start-restore]')).toBe(true);
    await page.click('[data-testid=start-restore]');
    await page.locator('#restore-dialog:not([open])').waitFor({ state: 'attached' });

    const row = page.locator('[data-testid=job]').first();
    expect(await row.textContent()).toContain('Restore');
    const jobId = (await row.getAttribute('data-job-id'))!;
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('RUNNING');
    await expect.poll(() => row.locator('[data-testid=job-line]').textContent(), { timeout: 15_000 }).toMatch(/documents/);

    // A backup of the collection being restored is refused (MAINTENANCE lock): the open form shows the code.
    await page.click('[data-nav=engines]');
    await page.locator('[data-testid=engine][data-engine-name=meili] [data-testid=backup-button]').click();
    await page.click('[data-testid=start-backup]');
    const error = page.locator('#backup-dialog [data-testid=error][data-code=table_locked]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/table_locked.*"movies".*being restored/s);
    expect(await page.locator('#backup-dialog').getAttribute('open')).not.toBeNull();
    await page.click('#backup-dialog [data-close]');

    await row.locator('[data-testid=cancel-job]').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('CANCELED');
    emulator.setOptions({ taskDelayMs: 0 });
    expect((await waitForJob(t, jobId)).status).toBe('CANCELED');
    expect(await row.locator('[data-testid=cancel-job]').isHidden()).toBe(true);
    // Atomic restore: the live index is untouched and no staging index is left.
    expect(await meili.index('movies').getDocuments({ limit: 5 })).toEqual(live);
    const { results } = await meili.getIndexes({ limit: 100 });
    expect(results.map((index) => index.uid).sort()).toEqual(['books', 'movies']);
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
    expect(await page.locator('[data-testid=error]').count()).toBe(1); // the table_locked refusal, nothing else
    await screenshot(page, 'dashboard-after-cancel'); // for people: what the page looks like now
  });
});

/** Records, per job row, every state its progress bar shows: a percent, or "indeterminate". */
async function recordProgressBars(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __bars: Record<string, string[]>; __barsObserver?: MutationObserver };
    w.__bars = {};
    const note = (bar: Element) => {
      const row = bar.closest('[data-job-id]') as HTMLElement | null;
      if (!row) return;
      const id = row.dataset.jobId!;
      const state = bar.hasAttribute('data-indeterminate') ? 'indeterminate' : bar.getAttribute('aria-valuenow');
      if (state === null) return;
      const list = (w.__bars[id] ??= []);
      if (list.at(-1) !== state) list.push(state);
    };
    w.__barsObserver?.disconnect();
    w.__barsObserver = new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.type === 'attributes') note(m.target as Element);
        for (const node of m.addedNodes) if (node instanceof Element) node.querySelectorAll('[role=progressbar]').forEach(note);
      }
    });
    w.__barsObserver.observe(document.getElementById('jobs')!, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow', 'data-indeterminate'] });
  });
}
