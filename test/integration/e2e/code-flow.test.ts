import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPath } from '../../support/auth-request.js';
import {
  authorize,
  codeGrant,
  exchangeCode,
  follow,
  KUBECTL,
  refreshGrant,
  signOut,
  type Tokens,
} from '../../support/oidc-flow.js';
import {
  ALICE,
  startTestSigil,
  WEB_BASIC,
  WEB_LOGIN,
  type Backend,
  type TestSigil,
} from '../../support/sigil.js';

const WEB = WEB_LOGIN;

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
      const start = await follow(c, await c.get(authPath(WEB)));
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
        ...WEB,
        username: ALICE.username,
        password: ALICE.password,
        consent: true,
      });
      expect(a.redirect.origin + a.redirect.pathname).toBe(WEB.redirectUri);

      const tc = s.client();
      const bad1 = await codeGrant(tc, { code: a.code, verifier: 'x'.repeat(43) }, WEB);
      expect(bad1.status).toBe(400);
      expect(bad1.json()['error']).toBe('invalid_grant');

      // The failed attempt above consumed nothing; but oidc-provider treats the code as used
      // only after success, so start a fresh login for the real exchange.
      const b = await authorize(s.client(), {
        ...WEB,
        username: ALICE.username,
        password: ALICE.password,
        consent: true,
      });
      const t = await exchangeCode(tc, b, WEB);
      expect(t.token_type).toBe('Bearer');
      expect(t.refresh_token).toBeTruthy();

      const { payload, protectedHeader } = await jwtVerify(t.id_token, jwks, {
        issuer: s.issuer,
        audience: WEB.clientId,
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
      const auth = WEB_BASIC;
      const intro = await tc.post('/token/introspection', { token: t.access_token }, auth);
      expect(intro.json()['active']).toBe(true);

      // Refresh: a fresh id_token with the groups.
      const ref = await refreshGrant(tc, t.refresh_token!, WEB);
      expect(ref.status, ref.text).toBe(200);
      const r = ref.json<Tokens>();
      expect(r.id_token).toBeTruthy();
      const refreshed = await jwtVerify(r.id_token, jwks, {
        issuer: s.issuer,
        audience: WEB.clientId,
      });
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
      const after = await refreshGrant(tc, current, WEB);
      expect(after.status).toBe(400);
      expect(after.json()['error']).toBe('invalid_grant');
    });

    it('treats a code used twice as theft: invalid_grant, and the tokens of the first exchange stop working', async () => {
      const tc = s.client();
      const a = await authorize(s.client(), {
        ...WEB,
        username: ALICE.username,
        password: ALICE.password,
        consent: true,
      });
      const first = await codeGrant(tc, a, WEB);
      expect(first.status).toBe(200);
      const t = first.json<Tokens>();
      expect((await tc.get('/me', { authorization: `Bearer ${t.access_token}` })).status).toBe(200);
      const again = await codeGrant(tc, a, WEB);
      expect(again.status).toBe(400);
      expect(again.json()['error']).toBe('invalid_grant');
      expect((await tc.get('/me', { authorization: `Bearer ${t.access_token}` })).status).toBe(401);
      const ref = await refreshGrant(tc, t.refresh_token!, WEB);
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
        const t = await exchangeCode(s.client(), a, { ...KUBECTL, redirectUri });
        expect(t.refresh_token).toBeTruthy();
        const { payload } = await jwtVerify(t.id_token, jwks, {
          issuer: s.issuer,
          audience: 'kubectl',
        });
        expect(payload['groups']).toEqual(['developers', 'viewers']);
        const ref = await refreshGrant(s.client(), t.refresh_token!);
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
      const { page, done } = await signOut(c);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Sign out?');
      expect(done.status).toBe(200);
      expect(done.text).toContain('Signed out');
      // The session is gone: a new authorization shows the login form again.
      const again = await follow(
        c,
        await c.get(authPath({ ...KUBECTL, redirectUri: 'http://localhost:8000' })),
      );
      expect(again.text).toContain('name="password"');
    });

    it('requires PKCE from public clients', async () => {
      const res = await s
        .client()
        .get(authPath({ ...KUBECTL, redirectUri: 'http://localhost:8000', challenge: null }));
      expect(res.status).toBe(303);
      const loc = new URL(res.location!);
      expect(loc.searchParams.get('error')).toBe('invalid_request');
      expect(loc.searchParams.get('error_description')).toMatch(/PKCE/);
    });

    it('answers an unknown client with a readable error page, not a redirect or a 500', async () => {
      const res = await s
        .client()
        .get(authPath({ clientId: 'nope', redirectUri: 'https://evil.example', challenge: null }), {
          accept: 'text/html',
        });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/html/);
      expect(res.text).toContain('not known');
      expect(res.text).not.toMatch(/at .*\.js:\d+/);
    });

    it('never logs the password, the code or the tokens', () => {
      const raw = s.rawLogs();
      expect(raw).not.toContain(ALICE.password);
      expect(raw).not.toContain(WEB.clientSecret);
      expect(raw).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
      expect(s.logs.some((l) => l['event'] === 'login.success')).toBe(true);
    });
  },
);
