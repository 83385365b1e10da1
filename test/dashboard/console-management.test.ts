// The console's second round, in headless Chromium: a backup set of two engines seen in the catalog as one row
// holding its two members; the job history searched (id prefix, engine name, backup name) and sorted; a backup's
// own page, reached from the catalog and by a deep link (#backup/<id>); a webhook edited (URL, events, enabled);
// an S3 location tried with "Test connection" (a wrong key refused, the right one reached, nothing stored) before
// it is saved. Real Meilisearch emulators, a real S3 server (s3rver), PGlite.
import { Meilisearch } from 'meilisearch';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { CHROMIUM_BROWSER, describeWith } from '../helpers/requirements.ts';
import { S3_CREDENTIALS, startS3Server, type TestS3Server } from '../helpers/s3.ts';
import { launchChromium, recordPageProblems, screenshot } from './browser.ts';

const MASTER_KEY = 'console-management-master-key-0123';

describeWith(CHROMIUM_BROWSER)('backup console management in Chromium', () => {
  const emulators: MeilisearchEmulator[] = [];
  let s3: TestS3Server;
  let t: TestGateway;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const engineIds: Record<string, string> = {};

  const view = async (name: string) => {
    await page.evaluate(() => document.querySelectorAll('dialog[open]').forEach((d) => (d as HTMLDialogElement).close()));
    await page.click(`[data-nav=${name}]`);
    await page.locator(`body[data-view=${name}]`).waitFor({ state: 'attached' });
  };
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await t.gql(query, variables);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  beforeAll(async () => {
    for (const [name, count] of Object.entries({ 'meili-a': 30, 'meili-b': 20 })) {
      const emulator = await startMeilisearchEmulator({});
      emulators.push(emulator);
      const client = new Meilisearch({ host: emulator.url });
      await client
        .index('docs')
        .addDocuments(
          Array.from({ length: count }, (_, i) => ({ id: i, title: `${name} ${i}` })),
          { primaryKey: 'id' },
        )
        .waitTask();
    }
    s3 = await startS3Server();
    t = await startTestGateway({ masterKey: MASTER_KEY });
    for (const [i, name] of ['meili-a', 'meili-b'].entries()) {
      const data = await gql('mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }', { i: { name, plugin: 'meilisearch', config: { url: emulators[i]!.url } } });
      engineIds[name] = data.registerEngine.id;
    }
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    problems = recordPageProblems(page);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${server.url}/`);
    await page.locator('#key-dialog[open]').waitFor();
    await page.fill('#api-key', MASTER_KEY);
    await page.click('[data-testid=use-key]');
    await page.locator('body[data-ready=true]').waitFor();
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const file = await screenshot(page, `console-management-failed-${task.name}`).catch((error: Error) => `(no screenshot: ${error.message})`);
      console.error(`screenshot: ${file}\npage problems:\n${problems.join('\n')}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    await s3?.close();
    for (const emulator of emulators) await emulator.close();
  });

  it('shows a backup set of two engines, started through GraphQL, as one row holding its two members', async () => {
    await gql('mutation($i: StartBackupSetInput!) { startBackupSet(input: $i) { id } }', {
      i: { name: 'nightly-set', members: [{ engineId: engineIds['meili-a'] }, { engineId: engineIds['meili-b'] }] },
    });
    await expect
      .poll(async () => (await gql('{ backupSets(first: 5) { nodes { status } } }')).backupSets.nodes.map((s: { status: string }) => s.status), { timeout: 30_000 })
      .toEqual(['COMPLETE']);
    await view('catalog');
    await page.click('#refresh-catalog');
    const set = page.locator('[data-testid=backup-set]');
    await expect.poll(() => set.count()).toBe(1);
    expect(await set.getAttribute('data-status')).toBe('COMPLETE');
    expect(await set.locator('summary').first().textContent()).toContain('set of 2 engines');
    // Its two members sit inside it, not beside it: no backup row outside the set.
    expect(await set.locator('[data-testid=backup]').count()).toBe(2);
    expect(await page.locator('#catalog > [data-testid=backup]').count()).toBe(0);
    const engines = await set.locator('[data-testid=backup] > summary > span:nth-child(2)').allTextContents();
    expect(engines.sort()).toEqual(['meili-a', 'meili-b']);
    await set.locator('summary').first().click();
    await screenshot(page, 'console-backup-set');
  });

  it('searches the job history by engine name, backup name and id prefix, and sorts it', async () => {
    // One more job, later than the set's: a backup of meili-b alone.
    const started = await gql('mutation($i: StartBackupInput!) { startBackup(input: $i) { id } }', { i: { engineId: engineIds['meili-b'], name: 'lonely-b' } });
    const lonelyJobId: string = started.startBackup.id;
    await expect.poll(async () => (await gql('query($id: ID!) { job(id: $id) { status } }', { id: lonelyJobId })).job.status, { timeout: 30_000 }).toBe('SUCCEEDED');

    await view('jobs');
    const rows = page.locator('[data-testid=job-history-row]');
    const label = page.locator('[data-testid=jobs-page]');
    // The set's parent job and its two member jobs, then the lonely backup.
    await expect.poll(() => label.getAttribute('data-total')).toBe('4');
    expect(await rows.first().getAttribute('data-job-id')).toBe(lonelyJobId);

    await page.fill('[data-testid=jobs-search]', 'MEILI-B');
    await expect.poll(() => label.getAttribute('data-total')).toBe('2');
    for (const text of await rows.locator('td:nth-child(3)').allTextContents()) expect(text).toBe('meili-b');

    await page.fill('[data-testid=jobs-search]', 'lonely');
    await expect.poll(() => label.getAttribute('data-total')).toBe('1');
    expect(await rows.first().getAttribute('data-job-id')).toBe(lonelyJobId);

    await page.fill('[data-testid=jobs-search]', lonelyJobId.slice(0, 8));
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-job-id')).toBe(lonelyJobId);

    await page.fill('[data-testid=jobs-search]', '');
    await expect.poll(() => label.getAttribute('data-total')).toBe('4');
    await page.selectOption('[data-testid=jobs-sort]', 'OLDEST');
    await expect.poll(() => rows.last().getAttribute('data-job-id')).toBe(lonelyJobId);
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.jobId));
    const { jobs } = await gql('{ jobs(sort: OLDEST, first: 10) { nodes { id createdAt } } }');
    expect(ids).toEqual(jobs.nodes.map((j: { id: string }) => j.id));
    await screenshot(page, 'console-jobs-search');
  });

  it("opens a backup's own page from the catalog and by a deep link", async () => {
    const { searchBackups } = await gql('{ searchBackups(filter: { text: "lonely-b" }) { nodes { id name } } }');
    const backup = searchBackups.nodes[0] as { id: string; name: string };
    await view('catalog');
    await page.click('#refresh-catalog');
    const row = page.locator(`[data-testid=backup][data-backup-id="${backup.id}"]`);
    await row.locator('summary').click();
    await row.locator('[data-testid=backup-page-link]').click();
    await page.locator('body[data-view=backup]').waitFor({ state: 'attached' });
    expect(page.url()).toContain(`#backup/${backup.id}`);
    const detail = page.locator(`#backup-page [data-testid=backup][data-backup-id="${backup.id}"]`);
    await detail.waitFor();
    expect(await page.locator('[data-testid=backup-page-title]').textContent()).toBe(`Backup ${backup.name}`);
    await expect.poll(() => detail.locator('[data-testid=artifact]').count()).toBeGreaterThan(0);
    expect(await detail.locator('[data-testid=artifact] .sha').first().textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await detail.locator('[data-testid=backup-collection]').count()).toBe(1);

    // A fresh load of the link (the key is kept for the tab) lands on the same page.
    await page.goto(`${server.url}/#backup/${backup.id}`);
    await page.locator('body[data-ready=true]').waitFor();
    expect(await page.locator('body').getAttribute('data-view')).toBe('backup');
    await page.locator(`#backup-page [data-testid=backup][data-backup-id="${backup.id}"] [data-testid=artifact]`).first().waitFor();
    await screenshot(page, 'console-backup-page');

    // An unknown id says so; "← Catalog" goes back.
    await page.evaluate(() => (location.hash = '#backup/00000000-0000-4000-8000-000000000000'));
    await page.locator('[data-testid=backup-not-found]').waitFor();
    await page.click('[data-testid=back-to-catalog]');
    await page.locator('body[data-view=catalog]').waitFor({ state: 'attached' });
  });

  it('edits a webhook: URL, events and enabled', async () => {
    const created = await gql('mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }', {
      i: { url: 'https://hooks.example/before', events: ['JOB_FAILED', 'JOB_SUCCEEDED'], secret: 'webhook-secret-0123456789' },
    });
    const id: string = created.createWebhook.id;
    const sealedBefore = (await t.gateway.prisma.webhook.findUniqueOrThrow({ where: { id } })).secret;
    await view('settings');
    const item = page.locator(`[data-testid=webhook][data-webhook-id="${id}"]`);
    await item.waitFor();
    await item.locator('[data-testid=edit-webhook]').click();
    const form = page.locator('#form-dialog[open]');
    await form.waitFor();
    expect(await form.locator('[name=url]').inputValue()).toBe('https://hooks.example/before');
    expect(await form.locator('input[name=event][value=JOB_FAILED]').isChecked()).toBe(true);
    expect(await form.locator('input[name=event][value=JOB_STARTED]').isChecked()).toBe(false);
    expect(await form.locator('[name=enabled]').isChecked()).toBe(true);
    await form.locator('[name=url]').fill('https://hooks.example/after');
    await form.locator('input[name=event][value=JOB_SUCCEEDED]').uncheck();
    await form.locator('input[name=event][value=BACKUP_DAMAGED]').check();
    await form.locator('[name=enabled]').uncheck();
    await form.locator('[data-testid=save-webhook]').click();
    await page.locator('#form-dialog:not([open])').waitFor({ state: 'attached' });
    await expect.poll(() => item.locator('summary').textContent()).toContain('https://hooks.example/after');
    expect(await item.locator('summary').textContent()).toContain('disabled');
    const { webhooks } = await gql('{ webhooks { id url events enabled } }');
    expect(webhooks).toEqual([{ id, url: 'https://hooks.example/after', events: ['JOB_FAILED', 'BACKUP_DAMAGED'], enabled: false }]);
    // The secret was not retyped, so the stored (sealed) one stays as it was.
    expect((await t.gateway.prisma.webhook.findUniqueOrThrow({ where: { id } })).secret).toBe(sealedBefore);
  });

  it('tests an S3 location before saving it: a wrong key is refused in the form, the right one reached, nothing stored until saved', async () => {
    await view('settings');
    await page.click('#add-storage');
    const form = page.locator('#form-dialog[open]');
    await form.waitFor();
    await form.locator('[name=name]').fill('offsite');
    await form.locator('[name=url]').fill(`s3://${s3.bucket}/gateway`);
    await form.locator('[name=endpoint]').fill(s3.endpoint);
    await form.locator('[name=region]').fill('us-east-1');
    await form.locator('[name=forcePathStyle]').check();
    await form.locator('[name=accessKeyId]').fill('NOT-THE-KEY');
    await form.locator('[name=secretAccessKey]').fill('not-the-secret-0123');
    await form.locator('[data-testid=test-storage]').click();
    const result = form.locator('[data-testid=storage-test-result]');
    await expect.poll(() => result.getAttribute('data-ok')).toBe('false');
    expect(await result.getAttribute('data-code')).not.toBe('');
    expect(await result.textContent()).not.toContain('not-the-secret-0123');

    await form.locator('[name=accessKeyId]').fill(S3_CREDENTIALS.accessKeyId);
    await form.locator('[name=secretAccessKey]').fill(S3_CREDENTIALS.secretAccessKey);
    await form.locator('[data-testid=test-storage]').click();
    await expect.poll(() => result.getAttribute('data-ok')).toBe('true');
    await screenshot(page, 'console-storage-test');
    // Tested, not saved.
    expect((await gql('{ storages { name } }')).storages).toEqual([{ name: expect.any(String) }]);

    await form.locator('[data-testid=save-storage]').click();
    await page.locator('#form-dialog:not([open])').waitFor({ state: 'attached' });
    await page.locator('[data-testid=storage][data-storage-name=offsite]').waitFor();
    expect((await gql('{ storages { name kind } }')).storages).toContainEqual({ name: 'offsite', kind: 'S3' });
  });
});
