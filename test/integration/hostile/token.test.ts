import { describe, expect, it } from 'vitest';
import { basicAuth } from '../../support/http-client.js';
import { KUBECTL_CLIENT, passwordGrantClient, WEB_CLIENT } from '../../support/sigil.js';
import {
  expectClientError,
  expectSafe,
  form,
  INJECTIONS,
  LDAPI,
  LONG,
  NUL,
  rawRequest,
  SQLI,
  XSS,
  hostileSigil,
} from './support.js';

const CI = { id: 'ci', secret: 'ci-secret-hostile-1' };

/** The token endpoint: every grant type, client authentication, bodies of every shape. */
describe('hostile input: token endpoint', () => {
  const s = hostileSigil('postgres', {
    staticClients: [KUBECTL_CLIENT, WEB_CLIENT, passwordGrantClient(CI)],
  });

  const auth = { authorization: basicAuth(CI.id, CI.secret) };

  it('answers back-channel errors in JSON even to a client that asks for HTML', async () => {
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    for (const [path, body] of [
      ['/token', { grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'kubectl' }],
      ['/device/auth', { client_id: 'nobody' }],
      ['/token/introspection', { token: 'x' }],
      ['/token/revocation', { token: 'x' }],
    ] as const) {
      const r = await s.client().post(path, body, html);
      expect(r.status, `${path}: ${r.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(r.headers['content-type'], path).toMatch(/^application\/json/);
      expect(r.json()['error'], path).toEqual(expect.any(String));
    }
  });

  it('answers malformed grants with OAuth errors', async () => {
    const c = s.client();
    const cases: [string, Record<string, string>][] = [
      ['empty', {}],
      ['unknown grant', { grant_type: XSS }],
      [
        'code: injection',
        { grant_type: 'authorization_code', code: SQLI, redirect_uri: 'https://ci.example.com/cb' },
      ],
      [
        'code: NUL',
        { grant_type: 'authorization_code', code: NUL, redirect_uri: 'https://ci.example.com/cb' },
      ],
      [
        'code: 40 KB',
        { grant_type: 'authorization_code', code: LONG.slice(0, 40_000), redirect_uri: 'x' },
      ],
      ['refresh: injection', { grant_type: 'refresh_token', refresh_token: LDAPI }],
      ['refresh: NUL', { grant_type: 'refresh_token', refresh_token: NUL }],
      ['refresh: bad scope', { grant_type: 'refresh_token', refresh_token: 'x', scope: XSS }],
      [
        'device code: NUL',
        { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: NUL },
      ],
      ['client_credentials', { grant_type: 'client_credentials' }],
      ['password: no password', { grant_type: 'password', username: 'alice' }],
      ['password: LDAP injection', { grant_type: 'password', username: LDAPI, password: '*' }],
      ['password: NUL', { grant_type: 'password', username: `alice${NUL}`, password: NUL }],
      [
        'password: SQL',
        { grant_type: 'password', username: SQLI, password: SQLI, scope: 'openid' },
      ],
      [
        'password: bad scope',
        { grant_type: 'password', username: 'alice', password: 'x', scope: XSS },
      ],
    ];
    for (const [what, body] of cases) expectClientError(await c.post('/token', body, auth), what);
  });

  it('refuses broken client authentication without a 500', async () => {
    const c = s.client();
    const body = { grant_type: 'refresh_token', refresh_token: 'x' };
    for (const [what, headers] of [
      ['garbage basic', { authorization: 'Basic %%%not-base64' }],
      ['basic without colon', { authorization: `Basic ${Buffer.from('ci').toString('base64')}` }],
      ['basic with NUL', { authorization: `Basic ${Buffer.from('ci:\u0000').toString('base64')}` }],
      [
        'basic, bad percent-encoding',
        { authorization: `Basic ${Buffer.from('c%zz:x%').toString('base64')}` },
      ],
      [
        'basic, non-UTF-8',
        { authorization: `Basic ${Buffer.from([0x63, 0xff, 0x3a, 0xfe]).toString('base64')}` },
      ],
      ['wrong secret', { authorization: basicAuth(CI.id, 'nope') }],
      ['unknown client', { authorization: basicAuth(XSS, 'x') }],
      ['bearer scheme', { authorization: 'Bearer abc' }],
    ] as const) {
      expectClientError(await c.post('/token', body, headers), what);
    }
    for (const [what, extra] of [
      ['client_id injection', { client_id: SQLI }],
      ['client_id NUL', { client_id: NUL }],
      ['both basic and body secret', { client_id: CI.id, client_secret: CI.secret }],
    ] as const) {
      const headers = what.startsWith('both') ? auth : undefined;
      expectClientError(await c.post('/token', { ...body, ...extra }, headers), what);
    }
  });

  it('reads an empty-secret Basic header of a public client as its client_id, and nothing more', async () => {
    const c = s.client();
    const kubectl = { authorization: basicAuth('kubectl', '') };
    const body = { grant_type: 'refresh_token', refresh_token: 'not-a-token' };
    // The client is known without authentication: the refresh token is what fails.
    const known = await c.post('/token', body, kubectl);
    expect(known.status, known.text).toBe(400);
    expect(known.json()).toMatchObject({ error: 'invalid_grant' });
    // A body that names another client is refused, not silently rewritten.
    const other = await c.post('/token', { ...body, client_id: 'web' }, kubectl);
    expect(other.status, other.text).toBe(400);
    expect(other.json()).toEqual({
      error: 'invalid_request',
      error_description: 'client_id does not match the Authorization header',
    });
    // A confidential client gets no such pass: oidc-provider still wants its secret.
    const web = await c.post('/token', body, { authorization: basicAuth('web', '') });
    expect(web.status, web.text).toBe(400);
    expect(web.json()).toEqual({
      error: 'invalid_request',
      error_description: 'client_secret must be provided in the Authorization header',
    });
    const mega = await form(c, '/token', Buffer.alloc(1024 * 1024, 'a'), kubectl);
    expect(mega.status).toBe(413);
  });

  it('refuses duplicate parameters, wrong content types, non-UTF-8 and oversized bodies', async () => {
    const c = s.client();
    expectClientError(
      await form(
        c,
        '/token',
        'grant_type=password&grant_type=refresh_token&username=a&password=b',
        auth,
      ),
      'duplicate grant_type',
    );
    expectClientError(
      await form(c, '/token', 'grant_type=password&username=a&username=b&password=b', auth),
      'duplicate username',
    );
    const json = await c.request('POST', '/token', {
      body: JSON.stringify({ grant_type: 'password', username: 'a', password: 'b' }),
      headers: { 'content-type': 'application/json', ...auth },
    });
    expectClientError(json, 'json');
    const multipart = await c.request('POST', '/token', {
      body: '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\npassword\r\n--x--',
      headers: { 'content-type': 'multipart/form-data; boundary=x', ...auth },
    });
    expectClientError(multipart, 'multipart');
    expectClientError(
      await form(c, '/token', Buffer.from([0x67, 0x3d, 0xff, 0xfe, 0xc3, 0x28]), auth),
      'non-UTF-8',
    );
    expectClientError(await form(c, '/token', '%', auth), 'lone percent');
    expectClientError(
      await form(c, '/token', `grant_type=password&username=${'a'.repeat(100 * 1024)}`, auth),
      '100 KB',
    );
    const mega = await form(c, '/token', Buffer.alloc(1024 * 1024, 'a'), auth);
    expect(mega.status).toBe(413);
    expectSafe(await c.get('/token'), 'GET /token');
    const raw = await rawRequest(
      s,
      'POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nConnection: close\r\n\r\ngrant_type=pass',
      15_000,
    );
    // A body shorter than its Content-Length: the server times out or refuses, never 500.
    expect(raw.status === 0 || (raw.status >= 400 && raw.status < 500)).toBe(true);
  });

  it('reflects nothing it is given in its JSON errors as markup', async () => {
    const c = s.client();
    for (const p of INJECTIONS) {
      const r = await c.post(
        '/token',
        { grant_type: 'password', username: p, password: p, scope: 'openid' },
        auth,
      );
      expectClientError(r, JSON.stringify(p));
      expect(r.headers['content-type']).toMatch(/application\/json/);
    }
  });
});
