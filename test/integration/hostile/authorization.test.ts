import { describe, expect, it } from 'vitest';
import { follow } from '../../support/oidc-flow.js';
import {
  authParams,
  authPathWith,
  CRLF,
  expectClientError,
  expectSafe,
  form,
  INJECTIONS,
  LONG,
  NUL,
  rawRequest,
  XSS,
  XSS_ATTR,
  hostileSigil,
} from './support.js';

/** The authorization endpoint (/auth), GET and POST, and the login page it leads to. */
describe('hostile input: authorization endpoint', () => {
  const s = hostileSigil('pglite');

  it('answers malformed requests with a 4xx error page', async () => {
    const c = s.client();
    const cases: [string, string][] = [
      ['no parameters', '/auth'],
      ['unknown client', authPathWith({ client_id: 'nobody' })],
      ['bad percent-encoding', '/auth?client_id=%zz&response_type=code'],
      ['non-UTF-8 bytes', '/auth?client_id=%FF%FE&response_type=code'],
      ['NUL in client_id', '/auth?client_id=%00&response_type=code&scope=openid'],
      ['unregistered redirect', authPathWith({ redirect_uri: 'https://evil.example/cb' })],
      ['javascript: redirect', authPathWith({ redirect_uri: 'javascript:alert(1)' })],
      ['duplicate client_id', `/auth?${authParams().toString()}&client_id=kubectl`],
      ['array syntax', `/auth?client_id[]=kubectl&response_type=code`],
    ];
    for (const [what, path] of cases) expectClientError(await c.get(path), what);
  });

  it('sends protocol errors back to a valid redirect_uri without reflecting markup', async () => {
    const c = s.client();
    for (const [what, over] of [
      ['unsupported response_type', { response_type: 'token' }],
      ['plain PKCE', { code_challenge_method: 'plain' }],
      ['no PKCE', { code_challenge: '' }],
      ['invalid scope', { scope: `openid ${XSS}` }],
      ['bad prompt', { prompt: XSS }],
      ['bad max_age', { max_age: '-1' }],
      ['garbage request object', { request: 'eyJ.not.a.jwt' }],
    ] as const) {
      const r = await c.get(authPathWith(over));
      expectSafe(r, what);
      if (r.status === 303) {
        const loc = new URL(r.location!, s.issuer);
        expect(`${what} → ${loc.origin}`).toBe(`${what} → http://127.0.0.1:8000`);
        // The error is in the query, or in the fragment for response types that use one.
        const params = new URLSearchParams(loc.search || loc.hash.slice(1));
        expect(
          params.get('error') ?? new URLSearchParams(loc.hash.slice(1)).get('error'),
          what,
        ).toBeTruthy();
      } else expectClientError(r, what);
    }
  });

  it('carries injection payloads in state and login_hint safely to the login page', async () => {
    for (const payload of INJECTIONS) {
      const c = s.client();
      const r = await follow(
        c,
        await c.get(authPathWith({ state: payload, login_hint: payload, nonce: payload })),
      );
      expectSafe(r, JSON.stringify(payload));
      if (r.status === 200) {
        // login_hint is shown in the username field: escaped.
        expect(r.text).toContain('name="username"');
        if (payload === XSS) expect(r.text).toContain('&lt;script&gt;');
        if (payload === XSS_ATTR) expect(r.text).toContain('&quot;&gt;&lt;img');
      }
    }
  });

  it('never turns CR/LF in a parameter into a response header', async () => {
    const c = s.client();
    const r = await c.get(authPathWith({ state: CRLF, response_type: 'token' }));
    expectSafe(r, 'crlf state');
    expect(r.location ?? '').not.toMatch(/[\r\n]/);
    const raw = await rawRequest(
      s,
      `GET /auth?state=a%0d%0aX-Injected:%201 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    );
    expect(raw.status).toBeGreaterThanOrEqual(300);
    expect(raw.status).toBeLessThan(500);
    expect(raw.head).not.toMatch(/^X-Injected/im);
  });

  it('refuses oversized requests: a 100 KB parameter and a 1 MB body', async () => {
    const c = s.client();
    const longQuery = await c.get(authPathWith({ state: LONG }));
    expect([400, 413, 414, 431]).toContain(longQuery.status);
    const longForm = await form(c, '/auth', authParams({ state: LONG }).toString());
    expectClientError(longForm, '100 KB form');
    expect(longForm.status).toBe(413);
    const mega = await form(c, '/auth', Buffer.alloc(1024 * 1024, 'a'));
    expect(mega.status).toBe(413);
    // Chunked, with no Content-Length to check up front (POST /auth is not a route: /token).
    const chunk = 'a'.repeat(64 * 1024);
    const chunks = Array.from(
      { length: 16 },
      () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    ).join('');
    const raw = await rawRequest(
      s,
      `POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`,
    );
    expect([400, 413]).toContain(raw.status);
  });

  it('answers an address nothing serves with a 404 page for people and a JSON error for programs', async () => {
    const c = s.client();
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/auth'],
      ['PUT', '/token'],
      ['DELETE', '/jwks'],
      ['GET', `/${encodeURIComponent(XSS)}`],
    ] as const) {
      const page = await c.request(method, path, { headers: { accept: 'text/html' } });
      expect(page.status, `${method} ${path}`).toBe(404);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('Not found');
      expectSafe(page, `${method} ${path} page`);
      const api = await c.request(method, path, { headers: { accept: 'application/json' } });
      expect(api.status).toBe(404);
      expect(api.json()).toEqual({
        error: 'not_found',
        error_description: 'There is no endpoint at this address.',
      });
    }
  });

  it('refuses the wrong content type and wrong methods', async () => {
    const c = s.client();
    const json = await c.request('POST', '/auth', {
      body: JSON.stringify(Object.fromEntries(authParams())),
      headers: { 'content-type': 'application/json' },
    });
    expectSafe(json, 'json body');
    expect(json.status).toBeGreaterThanOrEqual(400);
    const xml = await c.request('POST', '/auth', {
      body: '<a/>',
      headers: { 'content-type': 'text/xml' },
    });
    expectSafe(xml, 'xml body');
    expect(xml.status).toBeGreaterThanOrEqual(400);
    const nonUtf8 = await form(c, '/auth', Buffer.from([0x63, 0x6c, 0x69, 0x3d, 0xff, 0xfe, 0x80]));
    expectClientError(nonUtf8, 'non-UTF-8 body');
    for (const m of ['PUT', 'DELETE', 'PATCH']) {
      const r = await c.request(m, authPathWith());
      expectSafe(r, m);
      expect(r.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('survives NUL bytes anywhere in a valid request', async () => {
    const c = s.client();
    for (const key of [
      'state',
      'nonce',
      'login_hint',
      'ui_locales',
      'acr_values',
      'connector_id',
    ]) {
      const r = await follow(c, await c.get(authPathWith({ [key]: NUL })));
      expectSafe(r, key);
    }
  });
});
