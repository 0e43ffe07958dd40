import { describe, expect, it } from 'vitest';
import { hiddenInput } from '../../support/http-client.js';
import { authorize } from '../../support/oidc-flow.js';
import { ALICE, KUBECTL_CLIENT, WEB_CLIENT } from '../../support/sigil.js';
import {
  CRLF,
  expectClientError,
  expectSafe,
  form,
  INJECTIONS,
  NUL,
  tokensFor,
  XSS,
  hostileSigil,
} from './support.js';

/** RP-initiated logout: /session/end and its confirmation form (oidc-provider's own xsrf). */
describe('hostile input: logout', () => {
  const s = hostileSigil('pglite', {
    staticClients: [
      KUBECTL_CLIENT,
      {
        ...WEB_CLIENT,
        postLogoutRedirectURIs: ['https://app.example.com/bye'],
        skipApprovalScreen: false,
      },
    ],
  });

  it('refuses hostile logout requests with an escaped error page', async () => {
    const c = s.client();
    const { id_token } = await tokensFor(s, 'web');
    const q = (p: Record<string, string>) => `/session/end?${new URLSearchParams(p).toString()}`;
    for (const [what, params] of [
      ['garbage id_token_hint', { id_token_hint: XSS }],
      ['NUL id_token_hint', { id_token_hint: NUL }],
      ['unknown client', { client_id: XSS }],
      [
        'unregistered redirect',
        { id_token_hint: id_token, post_logout_redirect_uri: 'https://evil.example/' },
      ],
      [
        'javascript: redirect',
        { client_id: 'web', post_logout_redirect_uri: 'javascript:alert(1)' },
      ],
      ['tampered hint', { id_token_hint: `${id_token.slice(0, -4)}AAAA` }],
    ] as const)
      expectClientError(await c.get(q(params)), what);
    expectClientError(
      await c.get('/session/end?client_id=web&client_id=kubectl'),
      'duplicate client_id',
    );
    // Without a session there is nothing to confirm: oidc-provider posts the logout form by
    // itself, with an inline script that the CSP admits by its hash (and only that script).
    const auto = await s
      .client()
      .get(q({ post_logout_redirect_uri: 'https://app.example.com/bye' }));
    expectSafe(auto, 'no session');
    expect(auto.status).toBe(200);
    expect(String(auto.headers['content-security-policy'])).toMatch(
      /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/,
    );
    expect(auto.text).not.toContain('app.example.com/bye');
    for (const p of INJECTIONS) {
      const r = await c.get(
        q({
          client_id: 'web',
          post_logout_redirect_uri: 'https://app.example.com/bye',
          state: p,
          ui_locales: p,
        }),
      );
      expectSafe(r, JSON.stringify(p));
      expect(r.location ?? '').not.toMatch(/[\r\n]/);
    }
    expect((await c.get(q({ state: CRLF }))).headers['x-injected']).toBeUndefined();
  });

  it('needs the xsrf token of the confirmation form', async () => {
    const c = s.client();
    await authorize(c, {
      clientId: 'kubectl',
      redirectUri: 'http://127.0.0.1:8000',
      username: ALICE.username,
      password: ALICE.password,
    });
    const page = await c.get('/session/end');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toMatch(/no-store/);
    const xsrf = hiddenInput(page.text, 'xsrf');
    for (const [what, body] of [
      ['none', 'logout=yes'],
      ['wrong', 'logout=yes&xsrf=nope'],
      ['duplicated', `logout=yes&xsrf=${xsrf}&xsrf=${xsrf}`],
      ['NUL', 'logout=yes&xsrf=%00'],
      ['injection', `logout=yes&xsrf=${encodeURIComponent(XSS)}`],
    ] as const)
      expectClientError(await form(c, '/session/end/confirm', body), what);
    expect((await form(c, '/session/end/confirm', Buffer.alloc(1024 * 1024, 'a'))).status).toBe(
      413,
    );
    expectClientError(
      await c.request('POST', '/session/end/confirm', {
        body: JSON.stringify({ xsrf, logout: 'yes' }),
        headers: { 'content-type': 'application/json' },
      }),
      'json',
    );
    // Still signed in: the real form works.
    const done = await form(c, '/session/end/confirm', `xsrf=${xsrf}&logout=yes`);
    expect(done.status).toBe(303);
  });
});
