import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../../support/http-client.js';
import { authorize, follow, pkce } from '../../support/oidc-flow.js';
import { ALICE, startTestSigil, type Backend, type TestSigil } from '../../support/sigil.js';

const WEB = {
  id: 'web',
  secret: 'web-secret-value-123',
  redirect: 'https://app.example.com/callback',
};

interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
}

describe.each<Backend>(['pglite', 'postgres'])(
  'authorization code flow end to end (%s)',
  (backend) => {
    let s: TestSigil;
    let jwks: ReturnType<typeof createLocalJWKSet>;

    beforeAll(async () => {
      s = await startTestSigil(backend);
      const res = await s.client().get('/jwks');
      expect(res.status).toBe(200);
      jwks = createLocalJWKSet(res.json<JSONWebKeySet>());
    });
    afterAll(async () => {
      await s.close();
    });

    it('serves discovery with the configured https issuer, S256 PKCE and the groups scope', async () => {
      const res = await s.client().get('/.well-known/openid-configuration');
      expect(res.status).toBe(200);
      const d = res.json();
      expect(d['issuer']).toBe(s.issuer);
      expect(d['jwks_uri']).toBe(`${s.issuer}/jwks`);
      expect(d['code_challenge_methods_supported']).toEqual(['S256']);
      expect(d['scopes_supported']).toEqual(
        expect.arrayContaining(['openid', 'email', 'profile', 'groups', 'offline_access']),
      );
      expect(d['id_token_signing_alg_values_supported']).toContain('RS256');
      for (const ep of [
        'authorization_endpoint',
        'token_endpoint',
        'userinfo_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
        'end_session_endpoint',
      ]) {
        expect(String(d[ep])).toMatch(new RegExp(`^${s.issuer}/`));
      }
    });

    it('publishes RS256 keys, never oidc-provider development keys', async () => {
      const { keys } = (await s.client().get('/jwks')).json<JSONWebKeySet>();
      expect(keys.length).toBeGreaterThanOrEqual(2); // active + next
      for (const k of keys) {
        expect(k.kty).toBe('RSA');
        expect(k.alg).toBe('RS256');
        expect(k).not.toHaveProperty('d');
        expect(k.kid).not.toMatch(/keystore-CHANGE-ME/);
      }
    });

    it('rejects a wrong password with one generic message, then logs in, consents, exchanges the code, refreshes and revokes', async () => {
      const c = s.client();
      // A wrong password first: the same generic message, a 401, and the form again.
      const { challenge } = await import('../../support/oidc-flow.js').then((m) => m.pkce());
      const start = await follow(
        c,
        await c.get(
          `/auth?${new URLSearchParams({ client_id: WEB.id, response_type: 'code', scope: 'openid', redirect_uri: WEB.redirect, code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`,
        ),
      );
      expect(start.status).toBe(200);
      const csrf = /name="csrf" value="([^"]+)"/.exec(start.text)![1]!;
      const action = /action="(\/interaction\/[^"]+\/login)"/.exec(start.text)![1]!;
      const bad = await c.post(action, {
        csrf,
        connector: 'local',
        username: ALICE.username,
        password: 'wrong password',
      });
      expect(bad.status).toBe(401);
      expect(bad.text).toContain('Invalid username or password.');
      const unknown = await c.post(action, {
        csrf,
        connector: 'local',
        username: 'nobody',
        password: 'whatever',
      });
      expect(unknown.status).toBe(401);
      expect(unknown.text).toContain('Invalid username or password.');
      expect(unknown.text.replace(/value="nobody"/, '')).toBe(
        bad.text.replace(/value="alice"/, ''),
      );
      const noCsrf = await c.post(action, {
        connector: 'local',
        username: ALICE.username,
        password: ALICE.password,
      });
      expect(noCsrf.status).toBe(403);

      const a = await authorize(s.client(), {
        clientId: WEB.id,
        redirectUri: WEB.redirect,
        username: ALICE.username,
        password: ALICE.password,
        consent: true,
      });
      expect(a.redirect.origin + a.redirect.pathname).toBe(WEB.redirect);

      const tc = s.client();
      const auth = { authorization: basicAuth(WEB.id, WEB.secret) };
      const bad1 = await tc.post(
        '/token',
        {
          grant_type: 'authorization_code',
          code: a.code,
          redirect_uri: WEB.redirect,
          code_verifier: 'x'.repeat(43),
        },
        auth,
      );
      expect(bad1.status).toBe(400);
      expect(bad1.json()['error']).toBe('invalid_grant');

      // The failed attempt above consumed nothing; but oidc-provider treats the code as used
      // only after success, so start a fresh login for the real exchange.
      const b = await authorize(s.client(), {
        clientId: WEB.id,
        redirectUri: WEB.redirect,
        username: ALICE.username,
        password: ALICE.password,
        consent: true,
      });
      const tok = await tc.post(
        '/token',
        {
          grant_type: 'authorization_code',
          code: b.code,
          redirect_uri: WEB.redirect,
          code_verifier: b.verifier,
        },
        auth,
      );
      expect(tok.status, tok.text).toBe(200);
      const t = tok.json<Tokens>();
      expect(t.token_type).toBe('Bearer');
      expect(t.refresh_token).toBeTruthy();

      const { payload, protectedHeader } = await jwtVerify(t.id_token, jwks, {
        issuer: s.issuer,
        audience: WEB.id,
      });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload.sub).toBe(ALICE.userID);
      expect(payload['nonce']).toBe(b.nonce);
      expect(payload['email']).toBe(ALICE.email);
      expect(payload['email_verified']).toBe(true);
      expect(payload['name']).toBe('Alice Liddell');
      expect(payload['preferred_username']).toBe(ALICE.username);
      expect(payload['groups']).toEqual(['developers', 'viewers']);
      expect(payload.exp! - payload.iat!).toBe(600);

      // userinfo and introspection with the access token.
      const ui = await tc.get('/me', { authorization: `Bearer ${t.access_token}` });
      expect(ui.status, ui.text + JSON.stringify(ui.headers)).toBe(200);
      expect(ui.json()['sub']).toBe(ALICE.userID);
      const intro = await tc.post('/token/introspection', { token: t.access_token }, auth);
      expect(intro.json()['active']).toBe(true);

      // Refresh: a fresh id_token with the groups.
      const ref = await tc.post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: t.refresh_token! },
        auth,
      );
      expect(ref.status, ref.text).toBe(200);
      const r = ref.json<Tokens>();
      expect(r.id_token).toBeTruthy();
      const refreshed = await jwtVerify(r.id_token, jwks, { issuer: s.issuer, audience: WEB.id });
      expect(refreshed.payload['groups']).toEqual(['developers', 'viewers']);
      expect(decodeProtectedHeader(r.id_token).kid).toBe(protectedHeader.kid);

      // Revoke the refresh token: the next refresh fails with invalid_grant.
      const current = r.refresh_token ?? t.refresh_token!;
      const rev = await tc.post(
        '/token/revocation',
        { token: current, token_type_hint: 'refresh_token' },
        auth,
      );
      expect(rev.status).toBe(200);
      const after = await tc.post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: current },
        auth,
      );
      expect(after.status).toBe(400);
      expect(after.json()['error']).toBe('invalid_grant');
    });

    it('treats a code used twice as theft: invalid_grant, and the tokens of the first exchange stop working', async () => {
      const tc = s.client();
      const auth = { authorization: basicAuth(WEB.id, WEB.secret) };
      const a = await authorize(s.client(), {
        clientId: WEB.id,
        redirectUri: WEB.redirect,
        username: ALICE.username,
        password: ALICE.password,
        consent: true,
      });
      const first = await tc.post(
        '/token',
        {
          grant_type: 'authorization_code',
          code: a.code,
          redirect_uri: WEB.redirect,
          code_verifier: a.verifier,
        },
        auth,
      );
      expect(first.status).toBe(200);
      const t = first.json<Tokens>();
      expect((await tc.get('/me', { authorization: `Bearer ${t.access_token}` })).status).toBe(200);
      const again = await tc.post(
        '/token',
        {
          grant_type: 'authorization_code',
          code: a.code,
          redirect_uri: WEB.redirect,
          code_verifier: a.verifier,
        },
        auth,
      );
      expect(again.status).toBe(400);
      expect(again.json()['error']).toBe('invalid_grant');
      expect((await tc.get('/me', { authorization: `Bearer ${t.access_token}` })).status).toBe(401);
      const ref = await tc.post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: t.refresh_token! },
        auth,
      );
      expect(ref.json()['error']).toBe('invalid_grant');
    });

    it('lets kubelogin-style public clients use any loopback port and issues a refresh token without offline_access or consent', async () => {
      for (const redirectUri of ['http://localhost:8000', 'http://127.0.0.1:18000']) {
        const a = await authorize(s.client(), {
          clientId: 'kubectl',
          redirectUri,
          scope: 'openid email groups',
          username: ALICE.email,
          password: ALICE.password,
        });
        expect(a.redirect.origin).toBe(new URL(redirectUri).origin);
        const tok = await s.client().post('/token', {
          grant_type: 'authorization_code',
          code: a.code,
          redirect_uri: redirectUri,
          code_verifier: a.verifier,
          client_id: 'kubectl',
        });
        expect(tok.status, tok.text).toBe(200);
        const t = tok.json<Tokens>();
        expect(t.refresh_token).toBeTruthy();
        const { payload } = await jwtVerify(t.id_token, jwks, {
          issuer: s.issuer,
          audience: 'kubectl',
        });
        expect(payload['groups']).toEqual(['developers', 'viewers']);
        const ref = await s.client().post('/token', {
          grant_type: 'refresh_token',
          refresh_token: t.refresh_token!,
          client_id: 'kubectl',
        });
        expect(ref.status, ref.text).toBe(200);
        expect(ref.json<Tokens>().id_token).toBeTruthy();
      }
    });

    it('logs out with RP-initiated logout: a confirmation page, then the session is gone', async () => {
      const c = s.client();
      await authorize(c, {
        clientId: 'kubectl',
        redirectUri: 'http://localhost:8000',
        scope: 'openid',
        username: ALICE.username,
        password: ALICE.password,
      });
      const page = await c.get('/session/end');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Sign out?');
      const form = /<form[^>]*action="([^"]+)"[^>]*>[\s\S]*?name="xsrf" value="([^"]+)"/.exec(
        page.text,
      );
      expect(form).not.toBeNull();
      const done = await follow(
        c,
        await c.post(new URL(form![1]!, s.issuer).pathname, { xsrf: form![2]!, logout: 'yes' }),
      );
      expect(done.status).toBe(200);
      expect(done.text).toContain('Signed out');
      // The session is gone: a new authorization shows the login form again.
      const { challenge } = pkce();
      const again = await follow(
        c,
        await c.get(
          `/auth?${new URLSearchParams({ client_id: 'kubectl', response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:8000', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`,
        ),
      );
      expect(again.text).toContain('name="password"');
    });

    it('requires PKCE from public clients', async () => {
      const q = new URLSearchParams({
        client_id: 'kubectl',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: 'http://localhost:8000',
      });
      const res = await s.client().get(`/auth?${q.toString()}`);
      expect(res.status).toBe(303);
      const loc = new URL(res.location!);
      expect(loc.searchParams.get('error')).toBe('invalid_request');
      expect(loc.searchParams.get('error_description')).toMatch(/PKCE/);
    });

    it('answers an unknown client with a readable error page, not a redirect or a 500', async () => {
      const res = await s
        .client()
        .get(
          '/auth?client_id=nope&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fevil.example',
          { accept: 'text/html' },
        );
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/html/);
      expect(res.text).toContain('not known');
      expect(res.text).not.toMatch(/at .*\.js:\d+/);
    });

    it('never logs the password, the code or the tokens', () => {
      const raw = s.rawLogs();
      expect(raw).not.toContain(ALICE.password);
      expect(raw).not.toContain(WEB.secret);
      expect(raw).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
      expect(s.logs.some((l) => l['event'] === 'login.success')).toBe(true);
    });
  },
);
