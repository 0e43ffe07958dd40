import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { createTestOu, type TestOu, type TestUser } from '../../support/ldap-test-ou.js';
import { startTestSigil, type TestSigil } from '../../support/sigil.js';

/** Helpers of the browser suite (not a test file): Debian's chromium driven by playwright-core. */

export const SCREENSHOTS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'artifacts',
  'screenshots',
);

/**
 * The base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what Chromium's
 * --ignore-certificate-errors-spki-list takes to trust exactly that key (and nothing else),
 * so certificate checking stays on for every other host.
 */
export function spkiHash(certPemFile: string): string {
  const cert = new X509Certificate(readFileSync(certPemFile));
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** What a browser test file runs against: its own OU, a sigil on PostgreSQL, chromium. */
export interface BrowserSuite {
  readonly s: TestSigil;
  readonly browser: Browser;
}

/**
 * In the describe it is called in: before the tests, creates `ou=<ouName>` with `users`,
 * starts a sigil (PostgreSQL) with `config(ou)` and a chromium that trusts its certificate;
 * after them, closes chromium and sigil and removes the OU.
 */
export function browserSuite(
  ouName: string,
  users: readonly TestUser[],
  config: (ou: TestOu) => Partial<ConfigInput>,
  opts: { issuerPath?: string } = {},
): BrowserSuite {
  let started: (BrowserSuite & { ou: TestOu }) | undefined;
  beforeAll(async () => {
    const ou = await createTestOu(ouName, users);
    const s = await startTestSigil('postgres', config(ou), opts);
    started = { ou, s, browser: await launchChromium(s.config.web.tlsCert ?? '') };
  });
  afterAll(async () => {
    if (started === undefined) return;
    await started.browser.close();
    await started.s.close();
    await started.ou.cleanup();
  });
  const current = () => {
    if (started === undefined) throw new Error('the browser suite starts in beforeAll');
    return started;
  };
  return {
    get s() {
      return current().s;
    },
    get browser() {
      return current().browser;
    },
  };
}

/** The config of a sigil whose only way in is the test OU's LDAP connector. */
export function ldapOnly(ou: TestOu): Partial<ConfigInput> {
  return { enablePasswordDB: false, staticPasswords: [], connectors: [ou.connector()] };
}

/** Headless Debian chromium with a fresh profile, trusting only sigil's leaf key. */
async function launchChromium(trustCertFile: string): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--ignore-certificate-errors-spki-list=${spkiHash(trustCertFile)}`,
    ],
  });
}

export interface PageWatch {
  /** Every URL the page requested. */
  readonly requests: string[];
  /** Console errors and page errors (CSP refusals show up here). */
  readonly errors: string[];
}

/** A fresh context (no cookies), strict TLS, with request and console recording. */
export async function newPage(
  browser: Browser,
  opts: {
    colorScheme?: 'light' | 'dark';
    viewport?: { width: number; height: number };
  } = {},
): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: false,
    colorScheme: opts.colorScheme ?? 'light',
    viewport: opts.viewport ?? { width: 1024, height: 800 },
    locale: 'en-GB',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const watch: PageWatch = { requests: [], errors: [] };
  page.on('request', (r) => watch.requests.push(r.url()));
  page.on('console', (m) => {
    // A page sigil answers with 4xx on purpose (an error page) is not a page error.
    if (
      m.type() === 'error' &&
      !m.text().startsWith('Failed to load resource: the server responded')
    )
      watch.errors.push(m.text());
  });
  page.on('pageerror', (e) => watch.errors.push(e.message));
  return { context, page, watch };
}

/** Saves test/artifacts/screenshots/<name>.png (full page). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** axe-core on the page as it is: no serious or critical violations (WCAG 2.x A/AA and best practices). */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact ?? '?'}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  expect(bad, `accessibility of ${name}`).toEqual([]);
  // Contrast was actually checked (the rule ran on this page's text).
  const ran = [...result.passes, ...result.violations, ...result.incomplete].map((r) => r.id);
  expect(ran, `axe rules that ran on ${name}`).toContain('color-contrast');
}

/** Screenshot plus accessibility check: every page of the suite goes through this. */
export async function record(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  await screenshot(page, name);
  await expectAccessible(page, name);
}

/** A phone in the dark theme: the page options of the suite's small-screen checks. */
export const PHONE_DARK = {
  colorScheme: 'dark',
  viewport: { width: 360, height: 740 },
} as const;

/** How far the page is wider than the screen, in CSS pixels (0 or less: no sideways scroll). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return inPage<number>(
    page,
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
}

/**
 * Evaluates a JavaScript expression in the page. Expressions are strings because the test
 * program is compiled without the DOM library (it is Node code).
 */
export async function inPage<T>(page: Page, expression: string): Promise<T> {
  const value: unknown = await page.evaluate(expression);
  return value as T;
}

/** The id of the focused element ('' when none has one). */
export function focusedId(page: Page): Promise<string> {
  return inPage<string>(page, "document.activeElement?.id ?? ''");
}
