import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPath, pkce } from '../../support/auth-request.js';
import {
  browserSuite,
  horizontalOverflow,
  ldapOnly,
  newPage,
  PHONE_DARK,
  record,
  type PageWatch,
} from './browser.js';

/**
 * Multi-factor login in Chromium: enrolling an authenticator app from the page (the test reads
 * the secret off the page and computes codes with otpauth, as a phone would), logging in with
 * it, a replayed code refused, recovery codes used once, a passkey registered and used through
 * Chromium's virtual authenticator (CDP WebAuthn domain), axe on every page at desktop and
 * phone width.
 */

const USERS = [
  { uid: 'mf-alice', name: 'Alice Factor', groups: ['mf-admins'] },
  { uid: 'mf-bob', name: 'Bob Factor', groups: ['mf-admins'] },
  { uid: 'mf-dave', name: 'Dave Factor', groups: ['mf-devs'] },
];

const MFA_FAILED = 'That code or key was not accepted. Try again.';

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
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}

/** The code an authenticator app shows for `secret`, `stepsAhead` steps from now. */
function appCode(secret: string, stepsAhead = 0): string {
  const totp = new TOTP({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

describe('multi-factor login in chromium', { timeout: 240_000 }, () => {
  let lb: Awaited<ReturnType<typeof loopback>>;
  beforeAll(async () => {
    lb = await loopback();
  });
  afterAll(async () => {
    await lb.close();
  });
  const suite = browserSuite('TestMfaBrowser', USERS, (ou) => ({
    ...ldapOnly(ou),
    staticClients: [{ id: 'kubectl', public: true, name: 'kubectl' }],
    mfa: { required: { groups: ['mf-admins'] } },
  }));

  const state: { secret: string; codes: string[] } = { secret: '', codes: [] };

  function expectSelfContained(watch: PageWatch): void {
    const origins = new Set(watch.requests.map((u) => new URL(u).origin));
    for (const o of origins) expect([suite.s.issuer, lb.url], `request to ${o}`).toContain(o);
    expect(watch.errors).toEqual([]);
  }

  /** Opens /auth for kubectl and signs in with the password; the page after it. */
  async function signIn(page: Page, uid: string): Promise<string> {
    const { verifier, challenge } = pkce();
    const scope = 'openid profile groups offline_access';
    await page.goto(
      suite.s.issuer +
        authPath({ clientId: 'kubectl', redirectUri: lb.url, scope, challenge, state: 'st' }),
    );
    await page.getByLabel('Corporate username').fill(uid);
    await page.getByLabel('Password').fill(`${uid}-pw`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return verifier;
  }

  /** Exchanges the code the loopback got; the verified id_token's claims. */
  async function idToken(page: Page, verifier: string): Promise<JWTPayload> {
    const code = new URL(page.url()).searchParams.get('code') ?? '';
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
    return payload;
  }

  async function withPage(
    fn: (page: Page, watch: PageWatch, context: BrowserContext) => Promise<void>,
    opts: Parameters<typeof newPage>[1] = {},
  ): Promise<void> {
    const { context, page, watch } = await newPage(suite.browser, opts);
    try {
      await fn(page, watch, context);
    } finally {
      await context.close();
    }
  }

  it('enrolls an authenticator app at the first login: QR, key and URI on the page, recovery codes once', async () => {
    await withPage(async (page, watch) => {
      const verifier = await signIn(page, 'mf-alice');
      await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
      await record(page, 'mfa-enroll');
      const qr = page.getByRole('img', { name: /QR code/ });
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
      await page.getByText('Cannot scan? Enter the key by hand').click();
      const secret = await page.locator('#totp-secret').innerText();
      const uri = await page.locator('#totp-uri').innerText();
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(uri).toContain('otpauth://totp/');
      expect(uri).toContain(`secret=${secret}`);
      expect(uri).toContain('mf-alice');
      // A wrong code first: refused, the same secret stays on the page.
      await page.getByLabel('Code from the app').fill('000000');
      await page.getByRole('button', { name: 'Turn on' }).click();
      await expect.poll(() => page.getByRole('alert').innerText()).toBe(MFA_FAILED);
      await page.getByText('Cannot scan? Enter the key by hand').click();
      expect(await page.locator('#totp-secret').innerText()).toBe(secret);
      await page.getByLabel('Code from the app').fill(appCode(secret));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
      await record(page, 'mfa-recovery');
      const codes = await page
        .getByRole('list', { name: 'Recovery codes' })
        .locator('code')
        .allInnerTexts();
      expect(codes).toHaveLength(10);
      await Promise.all([
        page.waitForURL((u) => u.origin === lb.url),
        page.getByRole('button', { name: /continue/ }).click(),
      ]);
      const claims = await idToken(page, verifier);
      expect(claims['acr']).toBe('urn:sigil:mfa');
      expect(claims['amr']).toEqual(['pwd', 'otp', 'mfa']);
      expect(typeof claims['auth_time']).toBe('number');
      expectSelfContained(watch);
      state.secret = secret;
      state.codes = codes;
    });
  });

  it('asks for the code at the next login and refuses the same code a second time', async () => {
    // The next step's code (one step of skew is allowed): later than the one that confirmed
    // the enrollment, so fresh.
    const code = appCode(state.secret, 1);
    await withPage(async (page, watch) => {
      const verifier = await signIn(page, 'mf-alice');
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      await record(page, 'mfa-verify');
      await page.getByLabel('Code from your authenticator app').fill(code);
      await Promise.all([
        page.waitForURL((u) => u.origin === lb.url),
        page.getByRole('button', { name: 'Verify' }).click(),
      ]);
      expect((await idToken(page, verifier))['acr']).toBe('urn:sigil:mfa');
      expectSelfContained(watch);
    });
    await withPage(async (page) => {
      await signIn(page, 'mf-alice');
      await page.getByLabel('Code from your authenticator app').fill(code);
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect.poll(() => page.getByRole('alert').innerText()).toBe(MFA_FAILED);
      const field = page.getByLabel('Code from your authenticator app');
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      await record(page, 'mfa-verify-error');
    });
  });

  it('accepts a recovery code once', async () => {
    const code = state.codes[0] ?? '';
    await withPage(async (page) => {
      const verifier = await signIn(page, 'mf-alice');
      await page.getByText('Lost your device? Use a recovery code').click();
      await page.getByLabel('Recovery code').fill(code.toUpperCase());
      await Promise.all([
        page.waitForURL((u) => u.origin === lb.url),
        page.getByRole('button', { name: 'Use recovery code' }).click(),
      ]);
      expect((await idToken(page, verifier))['amr']).toEqual(['pwd', 'otp', 'mfa']);
    });
    await withPage(async (page) => {
      await signIn(page, 'mf-alice');
      await page.getByText('Lost your device? Use a recovery code').click();
      await page.getByLabel('Recovery code').fill(code);
      await page.getByRole('button', { name: 'Use recovery code' }).click();
      await expect.poll(() => page.getByRole('alert').innerText()).toBe(MFA_FAILED);
    });
  });

  it('registers a passkey at the first login and signs in with it (virtual authenticator)', async () => {
    await withPage(async (page, watch, context) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
        },
      });
      let verifier = await signIn(page, 'mf-bob');
      await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
      await page.getByRole('button', { name: 'Add a passkey or security key' }).click();
      await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
      await Promise.all([
        page.waitForURL((u) => u.origin === lb.url),
        page.getByRole('button', { name: /continue/ }).click(),
      ]);
      let claims = await idToken(page, verifier);
      expect(claims['acr']).toBe('urn:sigil:mfa');
      expect(claims['amr']).toContain('mfa');
      // Log out of the browser session's login by clearing cookies; the authenticator stays.
      await context.clearCookies();
      verifier = await signIn(page, 'mf-bob');
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      await Promise.all([
        page.waitForURL((u) => u.origin === lb.url),
        page.getByRole('button', { name: 'Use a passkey or security key' }).click(),
      ]);
      claims = await idToken(page, verifier);
      expect(claims['acr']).toBe('urn:sigil:mfa');
      expect(claims['amr']).toEqual(['pwd', expect.stringMatching(/^(hwk|swk)$/), 'mfa']);
      expectSelfContained(watch);
    });
  });

  it('fits a phone screen: second-factor and enrollment pages, dark theme, axe clean', async () => {
    await withPage(async (page) => {
      await signIn(page, 'mf-alice');
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await record(page, 'mfa-verify-phone');
    }, PHONE_DARK);
    await withPage(async (page) => {
      // A person in the required group with no factor yet: the enrollment page.
      await suite.s.client().get('/healthz');
      await signInAsNewAdmin(page);
      await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
      await page.getByText('Cannot scan? Enter the key by hand').click();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await record(page, 'mfa-enroll-phone');
    }, PHONE_DARK);
  });

  /** mf-alice and mf-bob have factors now; the enrollment page needs someone without: reset one. */
  async function signInAsNewAdmin(page: Page): Promise<void> {
    const { resetMfa } = await import('../../../src/security/index.js');
    const { identitiesNamed } = await import('../../../src/storage/index.js');
    const db = suite.s.server.db;
    const [who] = await identitiesNamed(db, 'mf-alice');
    if (who === undefined) throw new Error('mf-alice was never seen');
    await resetMfa(
      {
        db,
        audit: {
          record: async () => {},
          markRecorded: () => {},
          wasRecorded: () => false,
          flush: async () => {},
          close: async () => {},
        },
      },
      who,
      { kind: 'operator', id: 'test' },
    );
    await signIn(page, 'mf-alice');
  }

  it('logs in with the password alone where no second factor is required or enrolled', async () => {
    await withPage(async (page) => {
      const verifier = await signIn(page, 'mf-dave');
      await page.waitForURL((u) => u.origin === lb.url);
      const claims = await idToken(page, verifier);
      expect(claims['acr']).toBe('urn:sigil:pwd');
      expect(claims['amr']).toEqual(['pwd']);
    });
  });

  it('/home/security lists factors, adds an authenticator app, removes it only with a fresh code', async () => {
    await withPage(async (page, watch) => {
      await page.goto(`${suite.s.issuer}/home/security`);
      await page.getByLabel('Corporate username').fill('mf-dave');
      await page.getByLabel('Password').fill('mf-dave-pw');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Sign-in security' }).waitFor();
      expect(await page.getByText('No second factor yet').count()).toBe(1);
      await record(page, 'security');
      await page.getByRole('button', { name: 'Add an authenticator app' }).click();
      const secret = await page.locator('#totp-secret').innerText();
      await page.getByLabel('Code from the app').fill(appCode(secret));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await expect.poll(() => page.getByRole('status').first().innerText()).toContain('is on');
      const codes = page.getByRole('list', { name: 'Recovery codes' }).locator('code');
      expect(await codes.count()).toBe(10);
      const rows = page.getByRole('table', { name: 'Second factors' }).locator('tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().innerText()).toContain('Authenticator app');
      await record(page, 'security-with-factor');
      // Removing needs a fresh code: a wrong one is refused and nothing is removed.
      await page.getByLabel('Code from your app, or a recovery code').fill('123456');
      await page.getByRole('button', { name: 'Remove this factor' }).click();
      await expect.poll(() => page.getByRole('alert').innerText()).toBe(MFA_FAILED);
      expect(await rows.count()).toBe(1);
      await page.getByLabel('Code from your app, or a recovery code').fill(appCode(secret, 1));
      await page.getByRole('button', { name: 'Remove this factor' }).click();
      await expect.poll(() => page.getByRole('status').first().innerText()).toContain('removed');
      expect(await page.getByText('No second factor yet').count()).toBe(1);
      expectSelfContained(watch);
    });
    await withPage(async (page) => {
      await page.goto(`${suite.s.issuer}/home/security`);
      await page.getByLabel('Corporate username').fill('mf-dave');
      await page.getByLabel('Password').fill('mf-dave-pw');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Sign-in security' }).waitFor();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await record(page, 'security-phone');
    }, PHONE_DARK);
  });
});
