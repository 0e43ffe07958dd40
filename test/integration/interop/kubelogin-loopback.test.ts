import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basicAuth, type Client } from '../../support/http-client.js';
import {
  goOAuth2TokenRequest,
  kubeloginAuthQuery,
  kubeloginParams,
  type KubeloginParams,
} from '../../support/kubelogin.js';
import { browse, startLoopbackListener, type LoopbackListener } from '../../support/loopback.js';
import { submitLogin, type Tokens } from '../../support/oidc-flow.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

/**
 * kubelogin's browser login against sigil's built-in public `kubectl` client, request for
 * request (see test/support/kubelogin.ts): a loopback listener on a random port, the
 * authorization URL with PKCE S256, nonce and state, a browser that follows the redirects with
 * cookies until the listener really receives the code, the code exchange with the verifier,
 * the id_token checks go-oidc and kubelogin make, and a refresh.
 */

const EXTRA_SCOPES = ['email', 'groups', 'offline_access'];
const KUBECTL = { id: 'kubectl', secret: '' };

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  code_challenge_methods_supported: string[];
}

const path = (u: string) => {
  const url = new URL(u);
  return url.pathname + url.search;
};

describe('kubelogin-equivalent: loopback redirect, PKCE S256, nonce, refresh', () => {
  let s: TestSigil;
  let d: Discovery;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  let listener: LoopbackListener;

  beforeAll(async () => {
    s = await startTestSigil('pglite');
    const disc = await s.client().get('/.well-known/openid-configuration');
    expect(disc.status).toBe(200);
    d = disc.json<Discovery>();
    const keys = await s.client().get(path(d.jwks_uri));
    jwks = createLocalJWKSet(keys.json<JSONWebKeySet>());
  });
  afterAll(async () => {
    await s.close();
  });
  beforeEach(async () => {
    listener = await startLoopbackListener();
  });
  afterEach(async () => {
    await listener.close();
  });

  /** Nothing sigil did in this file may have been a server error. */
  function serverErrors(): unknown[] {
    return s.logs.filter((l) => typeof l['level'] === 'number' && l['level'] >= 50);
  }

  function authPath(redirectUri: string, p: KubeloginParams, extra: Record<string, string> = {}) {
    const q = kubeloginAuthQuery({
      clientId: KUBECTL.id,
      redirectUri,
      extraScopes: EXTRA_SCOPES,
      params: p,
    });
    for (const [k, v] of Object.entries(extra)) {
      if (v === '') q.delete(k);
      else q.set(k, v);
    }
    return `${path(d.authorization_endpoint)}?${q.toString()}`;
  }

  /** The browser: open the URL, log in on sigil's page, follow redirects to the listener. */
  async function loginInBrowser(browser: Client, authUrl: string): Promise<URL> {
    const start = browser.url(authUrl);
    let r = await browse(browser, await browser.get(authUrl), start);
    expect(r.res.status, r.res.text.slice(0, 300)).toBe(200);
    const posted = await submitLogin(browser, r.res, ALICE);
    r = await browse(browser, posted, r.url);
    expect(r.url.protocol, 'the browser ended on the loopback listener').toBe('http:');
    expect(r.url.port).toBe(String(listener.port));
    expect(r.res.status).toBe(200);
    expect(r.res.text).toContain('Authenticated');
    expect(listener.requests).toHaveLength(1);
    return listener.requests[0]!;
  }

  async function exchange(code: string, redirectUri: string, verifier: string) {
    return goOAuth2TokenRequest(
      s.client(),
      path(d.token_endpoint),
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      },
      KUBECTL,
    );
  }

  it('discovery advertises what kubelogin negotiates: S256 only, the endpoints on the issuer', () => {
    expect(d.issuer).toBe(s.issuer);
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    for (const e of [d.authorization_endpoint, d.token_endpoint, d.jwks_uri])
      expect(e.startsWith(`${s.issuer}/`)).toBe(true);
  });

  it.each(['127.0.0.1', 'localhost'])(
    'http://%s:<random port>: the listener receives code and state by GET, the code and the refresh token give verified id_tokens',
    async (host) => {
      const redirectUri = `http://${host}:${listener.port}`;
      const p = kubeloginParams();
      const received = await loginInBrowser(s.client(), authPath(redirectUri, p));
      expect(received.pathname).toBe('/');
      expect(received.searchParams.get('state')).toBe(p.state);
      expect(received.searchParams.get('iss')).toBe(s.issuer);
      expect(received.searchParams.get('error')).toBeNull();
      const code = received.searchParams.get('code');
      expect(code).toBeTruthy();

      const { res } = await exchange(code!, redirectUri, p.verifier);
      expect(res.status, res.text).toBe(200);
      const t = res.json<Tokens>();
      expect(t.token_type).toBe('Bearer');
      // go-oidc's verifier (iss, aud, exp, signature, RS256) and kubelogin's nonce check.
      const first = await jwtVerify(t.id_token, jwks, {
        issuer: s.issuer,
        audience: KUBECTL.id,
        algorithms: ['RS256'],
      });
      expect(first.payload['nonce']).toBe(p.nonce);
      expect(first.payload.sub).toBe(ALICE.userID);
      expect(first.payload['email']).toBe(ALICE.email);
      expect(first.payload['groups']).toEqual(['developers', 'viewers']);
      expect(first.payload.exp! - first.payload.iat!).toBe(600);
      // kubelogin asks for no prompt=consent: sigil still issues a refresh token.
      expect(t.refresh_token).toBeTruthy();

      // kubelogin's refresh: grant_type and refresh_token only, no scope.
      const refreshed = await goOAuth2TokenRequest(
        s.client(),
        path(d.token_endpoint),
        { grant_type: 'refresh_token', refresh_token: t.refresh_token! },
        KUBECTL,
      );
      expect(refreshed.res.status, refreshed.res.text).toBe(200);
      const r = refreshed.res.json<Tokens>();
      expect(r.id_token).toBeTruthy();
      expect(r.id_token).not.toBe(t.id_token);
      const second = await jwtVerify(r.id_token, jwks, {
        issuer: s.issuer,
        audience: KUBECTL.id,
        algorithms: ['RS256'],
      });
      expect(second.payload.sub).toBe(ALICE.userID);
      expect(second.payload['groups']).toEqual(['developers', 'viewers']);
      expect(second.payload.iat!).toBeGreaterThanOrEqual(first.payload.iat!);
      expect(second.payload['jti']).not.toBe(first.payload['jti']);
      // A public client's refresh token rotates.
      expect(r.refresh_token).toBeTruthy();
      expect(r.refresh_token).not.toBe(t.refresh_token);
      expect(serverErrors()).toEqual([]);
    },
  );

  describe('redirect URIs the kubectl client must refuse: an error page, never a redirect', () => {
    it.each([
      ['a non-loopback https URI', () => 'https://evil.example/callback'],
      ['a non-loopback http URI', () => 'http://evil.example:8000'],
      ['https on loopback', () => 'https://localhost:8000'],
      ['https on 127.0.0.1', () => 'https://127.0.0.1:8000'],
      // RFC 8252 §7.3 counts [::1] as loopback; sigil registers only http://localhost and
      // http://127.0.0.1 for kubectl, and oidc-provider compares hosts literally: refused.
      ['IPv6 loopback', () => 'http://[::1]:8000'],
      ['a fragment', () => 'http://127.0.0.1:8000#frag'],
      ['a fragment after a path', () => 'http://localhost:8000/#'],
      ['userinfo', () => 'http://user@127.0.0.1:8000'],
      ['userinfo with a password', () => 'http://user:pw@localhost:8000'],
      ['a look-alike host', () => 'http://127.0.0.1.evil.example:8000'],
    ])('%s', async (_name, uri) => {
      const p = kubeloginParams();
      const r = await s.client().get(authPath(uri(), p));
      expect(r.status, r.text.slice(0, 300)).toBe(400);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.location).toBeUndefined();
      expect(r.text).toContain('invalid_redirect_uri');
      expect(r.text).not.toContain(p.state);
      expect(listener.requests).toEqual([]);
      expect(serverErrors()).toEqual([]);
    });
  });

  describe('PKCE', () => {
    /** The authorization error comes back to the (valid) loopback redirect, as OAuth wants. */
    async function authorizationError(extra: Record<string, string>): Promise<URL> {
      const redirectUri = `http://127.0.0.1:${listener.port}`;
      const p = kubeloginParams();
      const b = s.client();
      const url = authPath(redirectUri, p, extra);
      const r = await browse(b, await b.get(url), b.url(url));
      expect(r.res.status).toBe(200);
      expect(listener.requests).toHaveLength(1);
      const got = listener.requests[0]!;
      expect(got.searchParams.get('code')).toBeNull();
      expect(got.searchParams.get('state')).toBe(p.state);
      return got;
    }

    it('no code_challenge: invalid_request back at the listener, before any login', async () => {
      const got = await authorizationError({ code_challenge: '', code_challenge_method: '' });
      expect(got.searchParams.get('error')).toBe('invalid_request');
      expect(got.searchParams.get('error_description')).toMatch(/PKCE/);
      expect(serverErrors()).toEqual([]);
    });

    it('code_challenge_method=plain: invalid_request back at the listener', async () => {
      const got = await authorizationError({
        code_challenge: kubeloginParams().verifier,
        code_challenge_method: 'plain',
      });
      expect(got.searchParams.get('error')).toBe('invalid_request');
      expect(got.searchParams.get('error_description')).toMatch(/code_challenge_method/);
      expect(serverErrors()).toEqual([]);
    });

    it('a wrong or missing code_verifier at the token endpoint: invalid_grant, no tokens', async () => {
      const redirectUri = `http://127.0.0.1:${listener.port}`;
      const p = kubeloginParams();
      const received = await loginInBrowser(s.client(), authPath(redirectUri, p));
      const code = received.searchParams.get('code')!;

      const wrong = await exchange(code, redirectUri, kubeloginParams().verifier);
      expect(wrong.res.status).toBe(400);
      expect(wrong.res.json()).toEqual({
        error: 'invalid_grant',
        error_description: 'grant request is invalid',
      });
      const missing = await s.client().post(path(d.token_endpoint), {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: KUBECTL.id,
      });
      expect(missing.status).toBe(400);
      expect(['invalid_grant', 'invalid_request']).toContain(missing.json()['error']);
      expect(missing.text).not.toContain('id_token');
      expect(serverErrors()).toEqual([]);
    });
  });

  // Known gap (see the report of this test's author). golang.org/x/oauth2's AuthStyleAutoDetect
  // (kubelogin) and oidc-agent first authenticate a public client with HTTP Basic
  // `kubectl:` (empty password). oidc-provider answers 400 invalid_request "client_secret must
  // be provided in the Authorization header"; kubelogin then retries with client_id in the
  // body (two requests per token call), oidc-agent gives up. Dex accepts the empty password for
  // public clients. Flip to `it` when sigil does too.
  it('a public client may authenticate with HTTP Basic and an empty secret', async () => {
    const r = await s
      .client()
      .post(
        path(d.token_endpoint),
        { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) },
        { authorization: basicAuth(KUBECTL.id, '') },
      );
    // The refresh token is garbage: the right answer is invalid_grant, after client auth.
    expect(r.json()['error']).toBe('invalid_grant');
  });

  it('logs carry no code, token or verifier', async () => {
    const redirectUri = `http://localhost:${listener.port}`;
    const p = kubeloginParams();
    const received = await loginInBrowser(s.client(), authPath(redirectUri, p));
    const code = received.searchParams.get('code')!;
    const { res } = await exchange(code, redirectUri, p.verifier);
    const t = res.json<Tokens>();
    const logs = s.rawLogs();
    for (const secret of [code, p.verifier, t.access_token, t.refresh_token!, t.id_token])
      expect(logs).not.toContain(secret);
    expect(decodeJwt(t.id_token)['nonce']).toBe(p.nonce);
  });
});
