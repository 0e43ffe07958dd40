import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { accentFor, THEME_BACKGROUNDS } from '../../../src/http/shared/brand-colors.js';
import { authPath } from '../../support/auth-request.js';
import { browserSuite, inPage, newPage, record } from './browser.js';

const LOGO = fileURLToPath(new URL('../../fixtures/branding/acme-logo.svg', import.meta.url));

describe(
  'branding from config and the connector chooser, in chromium',
  { timeout: 180_000 },
  () => {
    const suite = browserSuite(
      'TestBrowserBrand',
      [{ uid: 'br-carol', name: 'Carol Brand' }],
      (ou) => ({
        connectors: [ou.connector('corp', 'ACME directory')],
        frontend: {
          issuer: 'ACME Kubernetes',
          logoFile: LOGO,
          theme: 'auto',
          primaryColor: '#e60073',
        },
      }),
    );

    const authUrl = () =>
      suite.s.issuer + authPath({ clientId: 'kubectl', redirectUri: 'http://127.0.0.1:8000' });

    it('offers a choice of connectors (several configured), reachable by keyboard, in both themes', async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const { context, page, watch } = await newPage(suite.browser, { colorScheme: scheme });
        try {
          await page.goto(authUrl());
          await page.getByRole('heading', { name: 'Sign in' }).waitFor();
          expect(await page.title()).toBe('Sign in · ACME Kubernetes');
          const choices = page.locator('.choices a');
          expect(await choices.allInnerTexts()).toEqual(['ACME directory', 'Email']);
          await record(page, scheme === 'light' ? 'connectors' : 'connectors-dark');
          // Keyboard: the skip link first, then the first choice, with a visible focus ring.
          await page.keyboard.press('Tab');
          expect(await inPage<string>(page, 'document.activeElement?.textContent')).toBe(
            'Skip to content',
          );
          await page.keyboard.press('Tab');
          expect(await inPage<string>(page, 'document.activeElement?.textContent')).toBe(
            'ACME directory',
          );
          const outline = await inPage<string>(
            page,
            'getComputedStyle(document.activeElement).outlineStyle',
          );
          expect(outline).toBe('solid');
          await Promise.all([page.waitForURL(/\/interaction\//), page.keyboard.press('Enter')]);
          await page.getByLabel('Corporate username').waitFor();
          expect(await page.getByRole('link', { name: 'Use another sign-in method' }).count()).toBe(
            1,
          );
          if (scheme === 'light') await record(page, 'login-branded');
          expect(watch.errors).toEqual([]);
          expect(new Set(watch.requests.map((u) => new URL(u).origin))).toEqual(
            new Set([suite.s.issuer]),
          );
        } finally {
          await context.close();
        }
      }
    });

    it('shows the configured name, logo and colour, all served by sigil', async () => {
      const { context, page } = await newPage(suite.browser);
      try {
        await page.goto(authUrl());
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        expect(await page.locator('header .brand').innerText()).toBe('ACME Kubernetes');
        const logo = page.locator('header img.logo');
        expect(await logo.getAttribute('src')).toBe('/assets/logo');
        expect(
          await inPage<boolean>(
            page,
            "(() => { const i = document.querySelector('header img.logo'); return i.complete && i.naturalWidth > 0; })()",
          ),
        ).toBe(true);
        // The accent is primaryColor, shaded just enough for 4.5:1 on the light page.
        const { accent } = accentFor('#e60073', THEME_BACKGROUNDS.light);
        const [r, g, b] = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16));
        await page.getByRole('link', { name: 'ACME directory' }).focus();
        expect(
          await inPage<string>(page, 'getComputedStyle(document.activeElement).outlineColor'),
        ).toBe(`rgb(${String(r)}, ${String(g)}, ${String(b)})`);
      } finally {
        await context.close();
      }
      const r = await suite.s.client().get('/assets/logo');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('image/svg+xml');
      expect(r.headers['content-security-policy']).toContain('sandbox');
      const css = await suite.s.client().get('/assets/sigil.css');
      expect(css.text).toContain('/* frontend.primaryColor */');
      expect(css.headers['etag']).toBeTruthy();
    });
  },
);
