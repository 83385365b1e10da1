// Headless Debian Chromium driven by playwright-core, for the dashboard tests. Only loopback traffic.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/child-gateway.ts';
import { CHROMIUM_BINARY } from '../helpers/requirements.ts';

export const CHROMIUM = CHROMIUM_BINARY;
export const TEST_OUTPUT = path.join(REPO_ROOT, 'test-output');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** A screenshot in test-output/ (the full page unless asked for the viewport), named after the test; returns its path. */
export async function screenshot(page: Page, name: string, { fullPage = true }: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(TEST_OUTPUT, { recursive: true });
  const file = path.join(
    TEST_OUTPUT,
    `${name
      .replace(/[^a-z0-9]+/gi, '-')
      .replace(/^-|-$/g, '')
      .toLowerCase()}.png`,
  );
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Collects what the page logs and throws, so a failing test can say why. */
export function recordPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return problems;
}
