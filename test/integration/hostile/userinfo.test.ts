import { beforeAll, describe, expect, it } from 'vitest';
import type { RefreshableTokens } from '../../support/oidc-flow.js';
import {
  CRLF,
  expectClientError,
  expectSafe,
  form,
  INJECTIONS,
  rawRequest,
  tokensFor,
  hostileSigil,
} from './support.js';

/** The userinfo endpoint (/me): bearer tokens of every wrong shape. */
describe('hostile input: userinfo', () => {
  const s = hostileSigil('pglite');
  let t: RefreshableTokens;
  beforeAll(async () => {
    t = await tokensFor(s, 'kubectl');
  });

  it('answers a valid token, uncached', async () => {
    const r = await s.client().get('/me', { authorization: `Bearer ${t.access_token}` });
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toMatch(/no-store/);
  });

  it('refuses missing, malformed and foreign tokens with 4xx invalid_token / invalid_request', async () => {
    const c = s.client();
    const cases: [string, Record<string, string> | undefined][] = [
      ['no token', undefined],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['basic scheme', { authorization: 'Basic YTpi' }],
      ['the id_token', { authorization: `Bearer ${t.id_token}` }],
      ['the refresh token', { authorization: `Bearer ${t.refresh_token}` }],
      ['two tokens', { authorization: `Bearer a b` }],
      ['8 KB token', { authorization: `Bearer ${'a'.repeat(8 * 1024)}` }],
      // eslint-disable-next-line no-control-regex -- NUL is one of the inputs being filtered out
      ...INJECTIONS.filter((p) => !/[\r\n\u0000\uD800\uFFFE😀]/u.test(p)).map(
        (p) => [`token ${p}`, { authorization: `Bearer ${p}` }] as [string, Record<string, string>],
      ),
    ];
    for (const [what, headers] of cases) {
      const r = await c.get('/me', headers);
      expectClientError(r, what);
      expect(r.headers['www-authenticate'] ?? '').not.toMatch(/[\r\n]/);
    }
    expectClientError(await c.get(`/me?access_token=${encodeURIComponent(CRLF)}`), 'query token');
    expectClientError(await c.get(`/me?access_token=%00`), 'NUL query token');
    expectClientError(
      await c.get(`/me?access_token=${t.access_token}`, {
        authorization: `Bearer ${t.access_token}`,
      }),
      'header and query',
    );
    expectClientError(
      await form(c, '/me', `access_token=${t.access_token}&access_token=x`),
      'duplicate body token',
    );
  });

  it('refuses oversized and malformed requests', async () => {
    const c = s.client();
    const big = await c.get('/me', { authorization: `Bearer ${'a'.repeat(100 * 1024)}` });
    expect([400, 413, 431]).toContain(big.status);
    const mega = await form(c, '/me', Buffer.alloc(1024 * 1024, 'a'));
    expect(mega.status).toBe(413);
    expectSafe(
      await c.request('POST', '/me', {
        body: '{"access_token":1}',
        headers: { 'content-type': 'application/json' },
      }),
      'json',
    );
    const raw = await rawRequest(
      s,
      'GET /me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n',
    );
    expect(raw.status).toBeGreaterThanOrEqual(400);
    expect(raw.status).toBeLessThan(500);
  });
});
