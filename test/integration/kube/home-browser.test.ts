import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderKubeconfig } from '../../../src/kube/index.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

/** Base64 SHA-256 of the certificate's SPKI: Chromium trusts exactly this key, nothing more. */
function spkiHash(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha256').update(spki).digest('base64');
}

describe('/home in chromium: sign-in, copy under a strict CSP, download, accessibility', () => {
  let s: TestSigil;
  let browser: Browser;

  beforeAll(async () => {
    s = await startTestSigil('pglite', {
      clusters: [
        { name: 'prod', server: 'https://api.prod.example.com:6443', clientID: 'kubectl' },
        {
          name: 'lab',
          server: 'https://api.lab.example.com:6443',
          clientID: 'kubectl',
          usernameClaim: 'upn',
        },
      ],
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        `--ignore-certificate-errors-spki-list=${spkiHash(s.config.web.tlsCert!)}`,
      ],
    });
  });
  afterAll(async () => {
    await browser.close();
    await s.close();
  });

  it('signs in, shows who-am-I, copies and downloads the kubeconfig, with no CSP error and no serious axe finding', async () => {
    const context = await browser.newContext({ acceptDownloads: true, locale: 'en-GB' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.issuer });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });

    await page.goto(`${s.issuer}/`);
    await page.getByRole('link', { name: /kubeconfig/i }).click();
    await page.getByLabel(/email|username/i).fill(ALICE.username);
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.issuer}/home`);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Your Kubernetes access');
    expect(await page.getByText('oidc:alice@example.com').count()).toBeGreaterThan(0);
    expect(await page.getByText('the token has no upn claim').count()).toBe(1);

    // The copy script ran under script-src 'self': the buttons are shown and work.
    const copy = page.locator('button[data-copy="kubeconfig-prod"]');
    await expect.poll(() => copy.isVisible()).toBe(true);
    await copy.click();
    await expect
      .poll(() => page.locator('[data-copy-status="kubeconfig-prod"]').textContent())
      .toBe('Copied to the clipboard.');
    const clip = await page.evaluate('navigator.clipboard.readText()');
    const cluster = s.config.clusters.find((c) => c.name === 'prod')!;
    const expected = renderKubeconfig({ issuer: s.issuer, cluster, issuerCaPem: s.ca });
    expect(clip).toBe(expected);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download kubeconfig-prod.yaml' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('kubeconfig-prod.yaml');
    expect(readFileSync(await download.path(), 'utf8')).toBe(expected);

    const axe = await new AxeBuilder({ page }).analyze();
    const bad = axe.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    expect(bad).toEqual([]);
    // Chromium asks for /favicon.ico on its own; nothing else may fail.
    expect(failed.filter((f) => f !== '404 /favicon.ico')).toEqual([]);
    expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    await context.close();
  });
});
