import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPath } from '../../support/auth-request.js';
import { Client } from '../../support/http-client.js';
import { startTestSigil, type TestSigil } from '../../support/sigil.js';

/**
 * Dex's usual issuer, https://host/dex: discovery and every endpoint, page, asset, redirect
 * and cookie under /dex; health and metrics at the root; nothing else outside /dex answers
 * but a 404 (the provider never sees it). The flows themselves run under /dex in
 * e2e/kube-flows.test.ts and browser/home.test.ts.
 */
describe('an issuer with a path (https://host/dex)', () => {
  let s: TestSigil;
  /** A client at the origin's root: paths are sent as they are, outside /dex. */
  let root: Client;
  beforeAll(async () => {
    s = await startTestSigil('pglite', {}, { issuerPath: '/dex' });
    root = new Client(new URL(s.issuer).origin, { ca: s.ca });
  });
  afterAll(async () => {
    await s.close();
  });

  it('publishes discovery under the path, with every endpoint under the issuer', async () => {
    const r = await root.get('/dex/.well-known/openid-configuration');
    expect(r.status).toBe(200);
    const d = r.json();
    expect(d['issuer']).toBe(s.issuer);
    const urls = Object.entries(d).filter(
      (e): e is [string, string] => e[0].endsWith('_endpoint') || e[0] === 'jwks_uri',
    );
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const [key, url] of urls) expect(`${key}=${url}`).toMatch(`${key}=${s.issuer}/`);
    const jwks = await root.get(new URL(d['jwks_uri'] as string).pathname);
    expect(jwks.status).toBe(200);
  });

  it.each([
    '/.well-known/openid-configuration',
    '/auth',
    '/jwks',
    '/token',
    '/home',
    '/assets/sigil.css',
    '/dexterity',
    '/dex..',
    '/dex%2Fauth',
    '/x/dex/auth',
    '/DEX/auth',
    '/',
  ])('answers %s, outside the path, with 404, not the provider', async (path) => {
    const r = await root.get(path, { accept: 'application/json' });
    expect(r.status).toBe(404);
    expect(r.json()['error']).toBe('not_found');
    const post = await root.post(path, { grant_type: 'client_credentials' });
    expect(post.status).toBe(404);
  });

  it('answers a path that climbs out of /dex with 404, never 500', async () => {
    for (const path of ['/dex/../auth', '/dex/./../jwks', '/dex/%2e%2e/auth', '/dex//auth']) {
      const r = await root.get(path, { accept: 'application/json' });
      expect(r.status, path).toBe(404);
    }
  });

  it('keeps health and metrics at the root', async () => {
    expect((await root.get('/healthz')).status).toBe(200);
    expect((await root.get('/readyz')).status).toBe(200);
    expect((await root.get('/metrics')).text).toMatch(/^# HELP /m);
  });

  it('links its assets, redirects and scopes its cookies under the path', async () => {
    const start = await root.get('/dex');
    expect(start.status).toBe(200);
    expect(start.text).toContain('href="/dex/assets/sigil.css"');
    expect(start.text).toContain('href="/dex/home"');
    expect((await root.get('/dex/assets/sigil.css')).status).toBe(200);

    const auth = await root.get(
      `/dex${authPath({ clientId: 'kubectl', redirectUri: 'http://127.0.0.1:8000' })}`,
    );
    expect(auth.status).toBe(303);
    expect(auth.location).toMatch(/^\/dex\/interaction\/[\w-]+$/);
    const cookies = auth.headers['set-cookie'] ?? [];
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c).toMatch(/; path=\/dex(\/|;|$)/);
    const page = await root.get(auth.location!);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/action="\/dex\/interaction\/[\w-]+\/login"/);

    const home = await root.get('/dex/home');
    expect(home.status).toBe(303);
    expect(home.location).toMatch(/^\/dex\/auth\?/);
    for (const c of home.headers['set-cookie'] ?? []) expect(c).toMatch(/; path=\/dex(;|$)/);
  });
});
