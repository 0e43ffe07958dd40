import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPath, pkce } from '../../support/auth-request.js';
import { pollDeviceToken, startDeviceFlow } from '../../support/device-page.js';
import { pollUntil } from '../../support/poll.js';
import {
  browserSuite,
  focusedId,
  horizontalOverflow,
  inPage,
  ldapOnly,
  newPage,
  type PageWatch,
  PHONE_DARK,
  record,
} from './browser.js';

/**
 * The pages in a real browser (Debian chromium, headless) against a running sigil over
 * verified TLS with the test slapd: each page is screenshotted to test/artifacts/screenshots
 * and checked with axe-core (no serious or critical violations).
 */

const USERS = [
  { uid: 'b-alice', name: 'Alice Browser', groups: ['b-developers', 'b-operators'] },
  { uid: 'b-bob', name: 'Bob Browser', groups: ['b-developers'] },
];

/** A loopback "kubelogin" that receives the redirect with the code. */
async function loopback(): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!doctype html><html lang="en"><title>kubelogin</title><main><h1>Done</h1></main></html>',
    );
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    // kubelogin's shape: a loopback origin on any port, no path.
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}

describe(
  'pages in chromium: login, errors, consent, logout, device flow',
  { timeout: 180_000 },
  () => {
    let lb: Awaited<ReturnType<typeof loopback>>;
    beforeAll(async () => {
      lb = await loopback();
    });
    afterAll(async () => {
      await lb.close();
    });
    const suite = browserSuite('TestBrowser', USERS, (ou) => ({
      ...ldapOnly(ou),
      staticClients: [
        { id: 'kubectl', public: true, name: 'kubectl' },
        {
          id: 'web',
          secret: 'web-secret-value-123',
          name: 'Web App',
          redirectURIs: [`${lb.url}/callback`],
          skipApprovalScreen: false,
        },
      ],
    }));

    function authUrl(clientId: string, redirectUri: string, challenge?: string): string {
      const scope = 'openid profile email groups';
      const given = challenge === undefined ? {} : { challenge };
      return suite.s.issuer + authPath({ clientId, redirectUri, scope, state: 'st4te', ...given });
    }

    /** Nothing left sigil's origin but the redirect we expect; no console or CSP errors. */
    function expectSelfContained(watch: PageWatch, allowed: readonly string[] = []): void {
      const origins = new Set(watch.requests.map((u) => new URL(u).origin));
      for (const o of origins) expect([suite.s.issuer, ...allowed], `request to ${o}`).toContain(o);
      expect(watch.errors).toEqual([]);
    }

    async function signIn(page: Page, username: string, password: string): Promise<void> {
      await page.getByLabel('Corporate username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }

    it('goes from /auth straight to the only connector, and logs in with the keyboard alone', async () => {
      const { context, page, watch } = await newPage(suite.browser);
      try {
        const { verifier, challenge } = pkce();
        const res = await page.goto(authUrl('kubectl', lb.url, challenge));
        expect(res?.status()).toBe(200);
        expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[^/]+$/);
        await expect.poll(() => page.title()).toBe('Sign in · sigil');
        expect(await page.locator('h1').innerText()).toBe('Sign in');
        expect(await page.getByText('kubectl').count()).toBeGreaterThan(0);
        // The username field has the focus: type, Tab, type, Enter.
        expect(await focusedId(page)).toBe('username');
        await record(page, 'login');
        await page.keyboard.type('b-alice');
        await page.keyboard.press('Tab');
        expect(await focusedId(page)).toBe('password');
        await page.keyboard.type('b-alice-pw');
        await Promise.all([
          page.waitForURL((u) => u.origin === lb.url),
          page.keyboard.press('Enter'),
        ]);
        const back = new URL(page.url());
        expect(back.searchParams.get('state')).toBe('st4te');
        const code = back.searchParams.get('code') ?? '';
        const tok = await suite.s.client().post('/token', {
          grant_type: 'authorization_code',
          code,
          redirect_uri: lb.url,
          code_verifier: verifier,
          client_id: 'kubectl',
        });
        expect(tok.status, tok.text).toBe(200);
        const jwks = createLocalJWKSet((await suite.s.client().get('/jwks')).json<JSONWebKeySet>());
        const { payload } = await jwtVerify(tok.json<{ id_token: string }>().id_token, jwks, {
          issuer: suite.s.issuer,
          audience: 'kubectl',
        });
        expect(payload['preferred_username']).toBe('b-alice');
        expect(payload['groups']).toEqual(['b-developers', 'b-operators']);
        expectSelfContained(watch, [new URL(lb.url).origin]);
      } finally {
        await context.close();
      }
    });

    it('shows one clear error for a wrong password, keeps the username and marks the fields', async () => {
      const { context, page, watch } = await newPage(suite.browser);
      try {
        await page.goto(authUrl('kubectl', lb.url));
        await signIn(page, 'b-bob', 'not-his-password');
        const alert = page.getByRole('alert');
        await expect.poll(() => alert.innerText()).toBe('Invalid username or password.');
        expect(await page.getByLabel('Corporate username').inputValue()).toBe('b-bob');
        expect(await page.getByLabel('Password').inputValue()).toBe('');
        expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
        expect(await page.getByLabel('Password').getAttribute('aria-describedby')).toBe(
          'login-error',
        );
        await record(page, 'login-error');
        // An unknown user gets the very same answer.
        await signIn(page, 'nobody-here', 'whatever');
        await expect
          .poll(() => page.getByRole('alert').innerText())
          .toBe('Invalid username or password.');
        expectSelfContained(watch);
      } finally {
        await context.close();
      }
    });

    it('fits a phone screen in the dark theme', async () => {
      const { context, page, watch } = await newPage(suite.browser, PHONE_DARK);
      try {
        await page.goto(authUrl('kubectl', lb.url));
        await signIn(page, 'b-bob', 'wrong');
        await page.getByRole('alert').waitFor();
        expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
        const bg = await inPage<string>(page, 'getComputedStyle(document.body).backgroundColor');
        expect(bg).toBe('rgb(17, 19, 24)');
        await record(page, 'login-mobile-dark');
        expectSelfContained(watch);
      } finally {
        await context.close();
      }
    });

    it('asks for consent for a client that needs it: Allow returns a code, Deny returns access_denied', async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const { context, page, watch } = await newPage(suite.browser, { colorScheme: scheme });
        try {
          await page.goto(authUrl('web', `${lb.url}/callback`));
          await signIn(page, 'b-alice', 'b-alice-pw');
          await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
          expect(await page.getByText('Web App').count()).toBeGreaterThan(0);
          expect(
            await page.getByRole('list', { name: 'What the application receives' }).innerText(),
          ).toContain('Your group memberships');
          await record(page, scheme === 'light' ? 'consent' : 'consent-dark');
          const button = scheme === 'light' ? 'Allow' : 'Deny';
          await Promise.all([
            page.waitForURL((u) => u.origin === lb.url),
            page.getByRole('button', { name: button }).click(),
          ]);
          const back = new URL(page.url());
          expect(back.pathname).toBe('/callback');
          if (scheme === 'light') expect(back.searchParams.get('code')).toBeTruthy();
          else expect(back.searchParams.get('error')).toBe('access_denied');
          expectSelfContained(watch, [lb.url]);
        } finally {
          await context.close();
        }
      }
    });

    it('signs out: asks first, then ends the session so the next sign-in asks for the password', async () => {
      const { context, page, watch } = await newPage(suite.browser);
      try {
        await page.goto(authUrl('kubectl', lb.url));
        await Promise.all([
          page.waitForURL((u) => u.origin === lb.url),
          signIn(page, 'b-alice', 'b-alice-pw'),
        ]);
        // Signed in: a second /auth needs no password.
        await page.goto(authUrl('kubectl', lb.url));
        expect(page.url().startsWith(lb.url)).toBe(true);

        await page.goto(`${suite.s.issuer}/session/end`);
        await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
        await record(page, 'logout');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('heading', { name: 'Signed out' }).waitFor();
        await record(page, 'logout-success');

        await page.goto(authUrl('kubectl', lb.url));
        await page.getByLabel('Password').waitFor();
        expectSelfContained(watch, [new URL(lb.url).origin]);
      } finally {
        await context.close();
      }
    });

    it('explains an error the provider cannot send back to the application', async () => {
      const { context, page, watch } = await newPage(suite.browser);
      try {
        const res = await page.goto(authUrl('no-such-client', lb.url));
        expect(res?.status()).toBe(400);
        await page.getByRole('heading', { name: 'Sign-in error' }).waitFor();
        expect(await page.getByRole('alert').innerText()).toContain(
          'not known to this sign-in service',
        );
        await record(page, 'error');
        expectSelfContained(watch);
      } finally {
        await context.close();
      }
    });

    it('device flow: code entry (a wrong code first), confirmation, sign-in, success, tokens for the device', async () => {
      const d = await startDeviceFlow(suite.s.client(), 'openid groups');
      const { context, page, watch } = await newPage(suite.browser);
      try {
        await page.goto(d.verification_uri);
        await page.getByRole('heading', { name: 'Sign in a device' }).waitFor();
        expect(await focusedId(page)).toBe('user_code');
        await record(page, 'device-input');
        await page.getByLabel('Code').fill('BCDF-GHJK');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('alert').waitFor();
        expect(await page.getByLabel('Code').getAttribute('aria-invalid')).toBe('true');
        await record(page, 'device-input-error');

        await page.getByLabel('Code').fill(d.user_code);
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('heading', { name: 'Confirm the device' }).waitFor();
        expect(await page.locator('p.code').innerText()).toBe(d.user_code);
        await record(page, 'device-confirm');
        await page.getByRole('button', { name: 'Continue' }).click();
        await signIn(page, 'b-bob', 'b-bob-pw');
        await page.getByRole('heading', { name: 'Device signed in' }).waitFor();
        await record(page, 'device-success');
        expectSelfContained(watch);
      } finally {
        await context.close();
      }
      const tok = await pollUntil(
        () => pollDeviceToken(suite.s.client(), d.device_code),
        (r) => r.status !== 400,
        { what: 'the device code answered with tokens', timeoutMs: 10_000, intervalMs: 1000 },
      );
      expect(tok.status, tok.text).toBe(200);
    });
  },
);
