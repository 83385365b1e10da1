// Acceptance for the backup console, in headless Chromium against the Meilisearch emulator: an engine registered
// through the form generated from configSchema (tested before it is saved), a schedule with its next runs and a
// retention dry run, a backup that turns the protection overview green, 500 backups paged with a filter, a
// restore through the wizard that refuses an overwrite until the engine name is typed, and a VIEWER key that
// sees no write control. Each view's screenshot lands in test-output/ (`npm run screenshots` keeps three).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Meilisearch } from 'meilisearch';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { CHROMIUM_BROWSER, describeWith } from '../helpers/requirements.ts';
import { launchChromium, recordPageProblems, screenshot } from './browser.ts';

const MASTER_KEY = 'console-master-key-0123456789';
const MEILI_KEY = 'console-meili-key-0123456789';

describeWith(CHROMIUM_BROWSER)('backup console in Chromium', () => {
  let emulator: MeilisearchEmulator;
  let t: TestGateway;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  const view = async (name: string) => {
    // A dialog a failed step left open would cover the page.
    await page.evaluate(() => document.querySelectorAll('dialog[open]').forEach((d) => (d as HTMLDialogElement).close()));
    await page.click(`[data-nav=${name}]`);
    await page.locator(`body[data-view=${name}]`).waitFor({ state: 'attached' });
  };

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    const meili = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    for (const [uid, count] of Object.entries({ movies: 1200, books: 400 })) {
      await meili
        .index(uid)
        .addDocuments(
          Array.from({ length: count }, (_, i) => ({ id: i, title: `${uid} ${i}` })),
          { primaryKey: 'id' },
        )
        .waitTask();
    }
    t = await startTestGateway({ masterKey: MASTER_KEY });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
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
      const file = await screenshot(page, `console-failed-${task.name}`).catch((error: Error) => `(no screenshot: ${error.message})`);
      console.error(`screenshot: ${file}\npage problems:\n${problems.join('\n')}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    await emulator?.close();
  });

  it('registers an engine through the form: a wrong key is refused in the dialog, the right one is tested and saved healthy', async () => {
    expect(await page.locator('[data-testid=scope]').textContent()).toBe('admin');
    await view('engines');
    await page.click('[data-testid=add-engine]');
    const form = page.locator('#form-dialog[open]');
    await form.waitFor();
    await page.selectOption('[data-testid=engine-plugin]', 'meilisearch');
    await page.fill('[data-testid=engine-name]', 'meili');
    await page.fill('[data-testid=config-url]', emulator.url);
    // apiKey is a secret key of the plugin: a password field.
    expect(await page.getAttribute('[data-testid=config-apiKey]', 'type')).toBe('password');
    await page.fill('[data-testid=config-apiKey]', 'not-the-key-0123456789');
    await page.click('[data-testid=save-engine]');
    // The refusal shows inside the open dialog (not behind its backdrop), and nothing was registered.
    const refusal = form.locator('[data-testid=error][data-code=engine_unreachable]');
    await refusal.waitFor();
    expect(await form.locator('[data-testid=connection-result]').getAttribute('data-ok')).toBe('false');
    expect((await t.gql('{ engines { id } }')).data!.engines).toEqual([]);

    await page.fill('[data-testid=config-apiKey]', MEILI_KEY);
    await page.click('[data-testid=test-connection]');
    await expect.poll(() => form.locator('[data-testid=connection-result]').getAttribute('data-ok')).toBe('true');
    expect(await form.locator('[data-testid=connection-result]').textContent()).toMatch(/healthy, version \d/);
    await screenshot(page, 'console-engine-form');
    await page.click('[data-testid=save-engine]');
    await page.locator('#form-dialog:not([open])').waitFor({ state: 'attached' });
    const card = page.locator('[data-testid=engine][data-engine-name=meili]');
    await expect.poll(() => card.locator('[data-testid=health]').textContent()).toContain('healthy');
    await expect.poll(() => card.locator('[data-testid=collection]').count()).toBe(2);
    // The key was stored sealed and is never shown back.
    const stored = await t.gql('{ engines { config } }');
    expect(JSON.stringify(stored.data!.engines[0].config)).not.toContain(MEILI_KEY);

    // Editing without retyping the secret keeps it (write-only): the engine stays healthy.
    await card.locator('[data-testid=edit-engine]').click();
    await form.waitFor();
    expect(await page.inputValue('[data-testid=config-apiKey]')).toBe('');
    await page.click('[data-testid=save-engine]');
    await page.locator('#form-dialog:not([open])').waitFor({ state: 'attached' });
    await expect.poll(() => card.locator('[data-testid=health]').textContent()).toContain('healthy');
    await screenshot(page, 'console-engines');
  });

  it('creates a schedule after previewing its next runs and what its retention would delete', async () => {
    await view('schedules');
    await page.click('[data-testid=add-schedule]');
    await page.locator('#form-dialog[open]').waitFor();
    await page.fill('[data-testid=schedule-cron]', 'not a cron');
    await expect.poll(() => page.locator('[data-testid=next-runs-preview]').textContent()).toContain('invalid_cron');
    await page.fill('[data-testid=schedule-cron]', '0 3 * * *');
    await page.fill('[data-testid=schedule-timezone]', 'Europe/Paris');
    await expect.poll(() => page.locator('[data-testid=next-run]').count()).toBe(5);
    expect(await page.locator('[data-testid=next-run]').first().textContent()).toMatch(/3:00|03:00/);
    await page.fill('[data-testid=retention-keepLast]', '2');
    await expect.poll(() => page.locator('[data-testid=retention-summary]').textContent()).toMatch(/Dry run now: keeps \d+, deletes \d+/);
    await screenshot(page, 'console-schedule-form');
    await page.click('[data-testid=create-schedule]');
    await page.locator('#form-dialog:not([open])').waitFor({ state: 'attached' });
    const row = page.locator('[data-testid=schedule]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('[data-testid=schedule-next-runs] div').count()).toBe(3);
    expect(await row.textContent()).toContain('keep last 2');
    const schedules = await t.gql('{ schedules { cron timezone retention { keepLast } } }');
    expect(schedules.data!.schedules).toEqual([{ cron: '0 3 * * *', timezone: 'Europe/Paris', retention: { keepLast: 2 } }]);

    // Edit: the form comes back filled in; a new keepLast is saved.
    await row.locator('[data-testid=edit-schedule]').click();
    await page.locator('#form-dialog[open]').waitFor();
    expect(await page.inputValue('[data-testid=schedule-timezone]')).toBe('Europe/Paris');
    expect(await page.inputValue('[data-testid=retention-keepLast]')).toBe('2');
    await page.fill('[data-testid=retention-keepLast]', '3');
    await page.click('[data-testid=create-schedule]');
    await page.locator('#form-dialog:not([open])').waitFor({ state: 'attached' });
    await expect.poll(() => row.textContent()).toContain('keep last 3');
  });

  it('runs a backup and watches the protection overview turn green, with its charts', async () => {
    await view('overview');
    const row = page.locator('[data-testid=protection-row][data-engine-name=meili]');
    await page.click('#refresh-overview');
    await expect.poll(() => row.getAttribute('data-state')).toBe('PENDING');
    await view('engines');
    await page.locator('[data-testid=engine][data-engine-name=meili] [data-testid=backup-button]').click();
    await page.locator('#backup-dialog[open]').waitFor();
    await page.fill('#backup-name', 'console-first');
    await page.click('[data-testid=start-backup]');
    await page.locator('#backup-dialog:not([open])').waitFor({ state: 'attached' });
    await page.locator('[data-testid=job][data-status=SUCCEEDED]').first().waitFor({ timeout: 30_000 });
    // The finished line says how many documents moved.
    expect(await page.locator('[data-testid=job][data-status=SUCCEEDED] [data-testid=job-line]').first().textContent()).toMatch(/1,600/);
    await view('overview');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('PROTECTED');
    expect(await page.locator('[data-testid=rpo-banner]').getAttribute('data-state')).toBe('ok');
    await expect.poll(() => page.locator('[data-testid=chart-size] rect').count()).toBe(1);
    expect(await page.locator('[data-testid=job-timeline] rect').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-testid=job-timeline] svg').getAttribute('aria-label')).toMatch(/1 jobs, 0 failed/);

    // The engine's own retention: a dry run as it is typed (one backup, kept as the newest), then saved.
    await view('engines');
    await page.locator('[data-testid=engine][data-engine-name=meili] [data-testid=engine-retention]').click();
    await page.locator('#form-dialog[open]').waitFor();
    await page.fill('[data-testid=engine-retention-keepLast]', '1');
    await expect.poll(() => page.locator('[data-testid=engine-retention-preview]').textContent()).toMatch(/keeps 1, deletes 0/);
    await page.click('[data-testid=save-retention]');
    await page.locator('#form-dialog:not([open])').waitFor({ state: 'attached' });
    expect((await t.gql('{ engines { retention { keepLast } } }')).data!.engines[0].retention).toEqual({ keepLast: 1 });
    await view('overview');

    // The job detail: its events timeline.
    await page.locator('[data-testid=job] [data-testid=job-title]').first().click();
    await page.locator('#detail-dialog[open] [data-testid=job-events] li').first().waitFor();
    expect(await page.locator('#detail-dialog [data-testid=job-events]').textContent()).toContain('SUCCEEDED');
    await page.click('#detail-dialog button[type=submit]');

    // Two days later, the same backup is outside the 24 h RPO: the banner turns red.
    const old = new Date(Date.now() - 2 * 86_400_000);
    await t.gateway.prisma.backup.updateMany({ data: { completedAt: old } });
    await page.click('#refresh-overview');
    await expect.poll(() => row.getAttribute('data-state')).toBe('OUTSIDE_RPO');
    expect(await page.locator('[data-testid=rpo-banner]').textContent()).toContain('Outside RPO: meili');
    await screenshot(page, 'console-overview-outside-rpo');
    await t.gateway.prisma.backup.updateMany({ data: { completedAt: new Date() } });
    await page.click('#refresh-overview');
    await expect.poll(() => row.getAttribute('data-state')).toBe('PROTECTED');
    await screenshot(page, 'console-overview', { fullPage: false });
  });

  it('pages through 500 backups with a filter, a label search and a sort', async () => {
    const engineId = (await t.gql('{ engines { id } }')).data!.engines[0].id;
    await t.gateway.prisma.backup.createMany({
      data: Array.from({ length: 500 }, (_, i) => ({
        name: `bulk-${String(i).padStart(3, '0')}`,
        engineId,
        plugin: 'meilisearch',
        strategy: i % 2 === 0 ? ('LOGICAL' as const) : ('NATIVE' as const),
        type: 'FULL' as const,
        status: i % 10 === 0 ? ('FAILED' as const) : ('COMPLETE' as const),
        location: `bulk/${i}`,
        sizeBytes: BigInt(1000 * (i + 1)),
        documentCount: BigInt(i),
        labels: { env: i < 100 ? 'prod' : 'staging' },
        createdAt: new Date(Date.UTC(2025, 0, 1) + i * 3600_000),
        completedAt: new Date(Date.UTC(2025, 0, 1) + i * 3600_000 + 60_000),
      })),
    });
    await view('catalog');
    const label = page.locator('[data-testid=catalog-page]');
    await page.fill('[data-testid=catalog-search]', 'bulk-');
    await expect.poll(() => label.getAttribute('data-total')).toBe('500');
    expect(await label.textContent()).toBe('Page 1 of 20 · 500 backups');
    expect(await page.locator('[data-testid=backup]').count()).toBe(25);
    expect(await page.locator('[data-testid=backup] .name').first().textContent()).toBe('bulk-499');
    await page.click('[data-testid=catalog-next]');
    await expect.poll(() => label.getAttribute('data-page')).toBe('2');
    expect(await page.locator('[data-testid=backup] .name').first().textContent()).toBe('bulk-474');
    await page.click('[data-testid=catalog-prev]');
    await expect.poll(() => label.getAttribute('data-page')).toBe('1');

    await page.selectOption('[data-testid=catalog-status]', 'FAILED');
    await expect.poll(() => label.getAttribute('data-total')).toBe('50');
    expect(await label.textContent()).toBe('Page 1 of 2 · 50 backups');
    await page.selectOption('[data-testid=catalog-status]', '');
    await page.fill('[data-testid=catalog-search]', 'env=prod');
    await expect.poll(() => label.getAttribute('data-total')).toBe('100');
    await page.selectOption('[data-testid=catalog-sort]', 'LARGEST');
    await expect.poll(() => page.locator('[data-testid=backup] .name').first().textContent()).toBe('bulk-099');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'console-catalog', { fullPage: false });
    await page.fill('[data-testid=catalog-search]', '');
    await page.selectOption('[data-testid=catalog-sort]', 'NEWEST');
    await expect.poll(() => label.getAttribute('data-total')).toBe('501');
  });

  it('restores through the wizard: REPLACE highlighted, refused until the engine name is typed, then followed live', async () => {
    await page.fill('[data-testid=catalog-search]', 'console-first');
    const item = page.locator('[data-testid=backup]').first();
    await expect.poll(() => item.locator('.name').textContent()).toBe('console-first');
    await item.locator('summary').click();
    await expect.poll(() => item.locator('[data-testid=artifact] .sha').first().textContent()).toMatch(/^[0-9a-f]{64}$/);
    await item.locator('[data-testid=restore-button]').click();
    await page.locator('#restore-dialog[open]').waitFor();
    await page.locator('[data-testid=restore-plan][data-verdict=REFUSED]').waitFor();
    // A suffix restores beside the live collections: nothing is replaced, no confirmation is asked.
    await page.fill('[data-testid=restore-suffix]', '_copy');
    await page.locator('[data-testid=restore-plan][data-verdict=OK]').waitFor();
    expect(await page.locator('[data-testid=plan-row][data-action=REPLACE]').count()).toBe(0);
    expect(await page.locator('[data-testid=restore-plan]').textContent()).toContain('movies_copy');
    expect(await page.isHidden('#restore-confirm')).toBe(true);
    await page.fill('[data-testid=restore-suffix]', '');
    await page.locator('[data-testid=restore-plan][data-verdict=REFUSED]').waitFor();
    await page.check('#restore-overwrite');
    await page.locator('[data-testid=restore-plan][data-verdict=OK]').waitFor();
    expect(await page.locator('[data-testid=plan-row][data-action=REPLACE]').count()).toBe(2);
    // The overwrite needs the engine name: start stays off with a wrong one.
    await page.locator('#restore-confirm:not([hidden])').waitFor();
    expect(await page.isDisabled('[data-testid=start-restore]')).toBe(true);
    await page.fill('[data-testid=restore-confirm-name]', 'meil');
    expect(await page.isDisabled('[data-testid=start-restore]')).toBe(true);
    await screenshot(page, 'console-restore', { fullPage: false });
    await page.fill('[data-testid=restore-confirm-name]', 'meili');
    expect(await page.isEnabled('[data-testid=start-restore]')).toBe(true);
    await page.click('[data-testid=start-restore]');
    await page.locator('#restore-dialog:not([open])').waitFor({ state: 'attached' });
    const row = page.locator('[data-testid=job]').first();
    expect(await row.textContent()).toContain('Restore');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('SUCCEEDED');

    // The job history finds it by kind, and its detail shows the events.
    await view('jobs');
    await page.selectOption('[data-testid=jobs-kind]', 'RESTORE');
    await expect.poll(() => page.locator('[data-testid=jobs-page]').getAttribute('data-total')).toBe('1');
    await page.locator('[data-testid=job-history-row]').first().click();
    await page.locator('#detail-dialog[open] [data-testid=job-events] li').first().waitFor();
    expect(await page.locator('#detail-dialog [data-testid=job-events]').textContent()).toContain('SUCCEEDED');
    await screenshot(page, 'console-job-detail');
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('shows settings to an admin, and a VIEWER key sees no write control anywhere', async () => {
    await view('settings');
    await page.click('[data-testid=add-key]');
    await page.fill('[data-testid=key-name]', 'read-only');
    await page.selectOption('[data-testid=key-scope]', 'VIEWER');
    await page.click('[data-testid=create-key]');
    const key = (await page.locator('[data-testid=new-key]').textContent())!.trim();
    expect(key.length).toBeGreaterThan(20);
    await page.click('#form-dialog .actions button.secondary');
    await expect.poll(() => page.locator('[data-testid=api-key][data-key-name=read-only]').count()).toBe(1);

    // A webhook added through the form, and "Send test": a real receiver gets the signed test event and the
    // delivery log shows it DELIVERED.
    const received: Array<{ body: string; signature: string | undefined }> = [];
    const receiver: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ body, signature: request.headers['x-gateway-signature'] as string | undefined });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      await page.click('#add-webhook');
      await page.fill('#form-dialog [name=url]', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
      await page.fill('#form-dialog [name=secret]', 'webhook-secret-0123456789');
      await page.click('#form-dialog .actions button:not(.secondary)');
      const webhook = page.locator('[data-testid=webhook]');
      await expect.poll(() => webhook.count()).toBe(1);
      await webhook.locator('[data-testid=send-test]').click();
      await expect.poll(() => webhook.locator('[data-testid=delivery][data-event="webhook.test"]').getAttribute('data-status'), { timeout: 15_000 }).toBe('DELIVERED');
      expect(JSON.parse(received[0]!.body)).toMatchObject({ event: 'webhook.test' });
      expect(received[0]!.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    } finally {
      receiver.close();
    }
    await screenshot(page, 'console-settings');

    const viewer = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const viewerPage = await viewer.newPage();
    const viewerProblems = recordPageProblems(viewerPage);
    await viewerPage.goto(`${server.url}/`);
    await viewerPage.locator('#key-dialog[open]').waitFor();
    await viewerPage.fill('#api-key', key);
    await viewerPage.click('[data-testid=use-key]');
    await viewerPage.locator('body[data-ready=true]').waitFor();
    expect(await viewerPage.locator('[data-testid=scope]').textContent()).toBe('viewer');
    for (const name of ['overview', 'engines', 'schedules', 'catalog', 'jobs', 'settings']) {
      await viewerPage.click(`[data-nav=${name}]`);
      await viewerPage.locator(`body[data-view=${name}]`).waitFor({ state: 'attached' });
      await viewerPage.waitForTimeout(300); // the view's list renders after its query
      const writable = await viewerPage.locator('[data-needs]').evaluateAll((els) => els.filter((el) => (el as HTMLElement).offsetParent !== null).map((el) => el.textContent));
      expect(writable, name).toEqual([]);
    }
    expect(await viewerPage.locator('[data-testid=backup-button]:visible').count()).toBe(0);
    expect(await viewerPage.locator('[data-testid=restore-button]:visible').count()).toBe(0);
    expect(await viewerPage.locator('#view-settings').textContent()).toContain('Only an ADMIN key can see API keys.');
    await screenshot(viewerPage, 'console-viewer');
    await viewer.close();
    expect([...problems, ...viewerProblems].filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });
});
