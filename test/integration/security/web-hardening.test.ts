import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  Client,
  hiddenInput,
  type RequestOptions,
  type Res,
} from '../../support/http-client.js';
import { authorize, follow, LOOPBACK, submitLogin } from '../../support/oidc-flow.js';
import {
  ALICE,
  KUBECTL_CLIENT,
  startTestSigil,
  WEB_CLIENT,
  type TestSigil,
} from '../../support/sigil.js';
import { openLogin, submit, users } from './support.js';

/** A client that keeps every answer it got, to check headers across whole flows. */
class Recording extends Client {
  readonly seen: { method: string; path: string; res: Res }[] = [];
  override async request(method: string, path: string, init: RequestOptions = {}): Promise<Res> {
    const res = await super.request(method, path, init);
    this.seen.push({ method, path: path.split('?')[0]!, res });
    return res;
  }
}

const isHtml = (r: Res) => (r.headers['content-type'] ?? '').includes('text/html');

/**
 * Web hardening, checked on what the server really sends during real flows: CSP and
 * frame-ancestors on every page, HSTS on https, cookie flags, no caching of pages and answers
 * that carry secrets, and a CSRF token in every form.
 */
describe('web hardening', () => {
  let s: TestSigil;
  const all: Recording[] = [];
  const browser = () => {
    const c = new Recording(s.issuer, { ca: s.ca });
    all.push(c);
    return c;
  };

  beforeAll(async () => {
    s = await startTestSigil('pglite', {
      staticPasswords: await users(),
      staticClients: [
        KUBECTL_CLIENT,
        { ...WEB_CLIENT, skipApprovalScreen: false },
        { id: 'ops-only', public: true, allowedGroups: ['ops'] },
      ],
      clusters: [
        { name: 'prod', server: 'https://api.prod.example.com:6443', clientID: 'kubectl' },
      ],
    });
    // Drive every page there is: login (wrong and right), consent, access denied, device,
    // logout, /home, errors.
    const b = browser();
    const f = await openLogin(b, 'web', 'https://app.example.com/callback');
    await submit(b, f, ALICE.username, 'wrong');
    await authorize(browser(), {
      clientId: 'web',
      redirectUri: 'https://app.example.com/callback',
      username: ALICE.username,
      password: ALICE.password,
      consent: true,
    });
    const d = browser();
    await submit(d, await openLogin(d, 'ops-only'), ALICE.username, ALICE.password);
    const k = browser();
    const a = await authorize(k, {
      clientId: 'kubectl',
      redirectUri: LOOPBACK,
      username: ALICE.username,
      password: ALICE.password,
    });
    const tok = await k.post('/token', {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: LOOPBACK,
      code_verifier: a.verifier,
      client_id: 'kubectl',
    });
    const t = tok.json<{ access_token: string; refresh_token: string }>();
    await k.get('/me', { authorization: `Bearer ${t.access_token}` });
    await k.post('/token', {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token,
      client_id: 'kubectl',
    });
    await k.post(
      '/token/introspection',
      { token: 'x' },
      { authorization: basicAuth('web', 'web-secret-value-123') },
    );
    await k.get('/session/end');
    const dev = browser();
    const start = await dev.post('/device/auth', { client_id: 'kubectl', scope: 'openid' });
    const code = start.json<{ user_code: string }>().user_code;
    const input = await dev.get('/device');
    await dev.post('/device', { xsrf: hiddenInput(input.text, 'xsrf'), user_code: code });
    const h = browser();
    const home = await follow(h, await h.get('/home'));
    await follow(h, await submitLogin(h, home, ALICE));
    await h.get('/home/kubeconfig/prod');
    await h.get('/home/access');
    await browser().get('/auth?client_id=nobody');
    await browser().get('/interaction/nope');
    await browser().get('/');
  });
  afterAll(async () => {
    await s.close();
  });

  const every = () => all.flatMap((c) => c.seen);

  it('drove every kind of page', () => {
    const paths = new Set(
      every().map((x) => x.path.replace(/\/interaction\/[^/]+/, '/interaction/:uid')),
    );
    for (const p of [
      '/interaction/:uid',
      '/interaction/:uid/login',
      '/interaction/:uid/confirm',
      '/token',
      '/me',
      '/session/end',
      '/device',
      '/home',
      '/home/kubeconfig/prod',
      '/home/access',
      '/auth',
      '/',
    ])
      expect(paths, p).toContain(p);
    expect(every().some((x) => x.res.status === 403 && x.res.text.includes('Access denied'))).toBe(
      true,
    );
  });

  it('sends a strict CSP, frame protection and HSTS with every answer', () => {
    for (const { method, path, res } of every()) {
      const what = `${method} ${path} ${res.status}`;
      const csp = String(res.headers['content-security-policy'] ?? '');
      expect(csp, what).toContain("default-src 'self'");
      expect(csp, what).toContain("frame-ancestors 'none'");
      expect(csp, what).toContain("object-src 'none'");
      expect(csp, what).toContain("base-uri 'none'");
      expect(csp, what).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*(;|$)/);
      expect(csp, what).not.toContain('unsafe-inline');
      expect(csp, what).not.toContain('unsafe-eval');
      expect(res.headers['x-frame-options'], what).toBe('DENY');
      expect(res.headers['x-content-type-options'], what).toBe('nosniff');
      expect(String(res.headers['strict-transport-security']), what).toMatch(/max-age=(\d{8,})/);
      expect(res.headers['referrer-policy'], what).toBe('no-referrer');
    }
  });

  it('marks every cookie Secure, HttpOnly and SameSite', () => {
    const cookies = every().flatMap(({ path, res }) =>
      (res.headers['set-cookie'] ?? []).map((c) => [path, c] as const),
    );
    expect(cookies.length).toBeGreaterThan(3);
    for (const [path, c] of cookies) {
      expect(c, path).toMatch(/;\s*secure/i);
      expect(c, path).toMatch(/;\s*httponly/i);
      expect(c, path).toMatch(/;\s*samesite=(lax|strict)/i);
    }
  });

  it('never lets a page or an answer with secrets be cached', () => {
    for (const { method, path, res } of every()) {
      const what = `${method} ${path} ${res.status}`;
      const secretBearing =
        isHtml(res) ||
        path === '/token' ||
        path === '/me' ||
        path.startsWith('/home') ||
        path.startsWith('/device') ||
        path === '/token/introspection';
      // Redirects (303) are not cacheable unless they say so (RFC 9111 §4.2.2).
      const redirect = res.status >= 300 && res.status < 400;
      if (secretBearing && path !== '/' && !redirect)
        expect(String(res.headers['cache-control']), what).toMatch(/no-store/);
    }
  });

  it('puts a CSRF token in every form', () => {
    let forms = 0;
    for (const { method, path, res } of every()) {
      if (!isHtml(res)) continue;
      for (const m of res.text.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/g)) {
        const tag = m[0].slice(0, m[0].indexOf('>') + 1);
        if (!/method="post"/i.test(tag)) continue;
        forms++;
        expect(m[1], `${method} ${path}: ${tag}`).toMatch(/name="(csrf|xsrf)" value="[^"]{16,}"/);
      }
      // oidc-provider's logout form keeps its xsrf input inside the form and the buttons outside.
      if (res.text.includes('id="op.logoutForm"'))
        expect(res.text).toMatch(/name="xsrf" value="[^"]{16,}"/);
    }
    expect(forms).toBeGreaterThan(5);
  });
});
