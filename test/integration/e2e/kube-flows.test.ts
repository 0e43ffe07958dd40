import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backdateConsumption, freezeClock, thawClock } from '../../support/clock.js';
import { approveDeviceCode, pollDeviceToken, startDeviceFlow } from '../../support/device-page.js';
import { hiddenInput } from '../../support/http-client.js';
import {
  KUBECTL,
  kubeloginTokens,
  passwordGrant,
  refreshGrant,
  withRefreshToken,
  type Tokens,
} from '../../support/oidc-flow.js';
import {
  ALICE,
  KUBECTL_CLIENT,
  passwordGrantClient,
  startTestSigil,
  WEB_CLIENT,
  WEB_LOGIN,
  type TestSigil,
} from '../../support/sigil.js';
import { buildGoVerifier, verifyWithGo } from '../../support/go-verifier.js';
import { pollUntil } from '../../support/poll.js';

const CI = { clientId: 'ci', clientSecret: 'ci-secret-value-4567' };

/** alice logs in with kubectl (kubelogin) and gets a refresh token. */
const aliceLogin = async (s: TestSigil) =>
  withRefreshToken(await kubeloginTokens(s.client(), ALICE));

afterEach(() => {
  thawClock();
});

/** At the root of its origin, and under Dex's usual issuer path (https://host/dex). */
const ISSUER_PATHS = [
  { at: 'the root', issuerPath: '' },
  { at: 'the issuer path /dex', issuerPath: '/dex' },
];

describe.each(ISSUER_PATHS)(
  'kubectl paths at $at: device flow, password grant, refresh that survives kubectl',
  ({ issuerPath }) => {
    let s: TestSigil;
    let jwks: ReturnType<typeof createLocalJWKSet>;
    beforeAll(async () => {
      s = await startTestSigil(
        'postgres',
        {
          staticClients: [
            KUBECTL_CLIENT,
            WEB_CLIENT,
            passwordGrantClient(
              { id: CI.clientId, secret: CI.clientSecret },
              {
                redirectURIs: ['https://ci.example.com/unused'],
                idTokenTTL: '2m',
              },
            ),
          ],
          expiry: { refreshTokens: { reuseInterval: '2s' } },
        },
        { issuerPath },
      );
      jwks = createLocalJWKSet((await s.client().get('/jwks')).json<JSONWebKeySet>());
      await buildGoVerifier();
    });
    afterAll(async () => {
      await s.close();
    });

    /** kube-apiserver's verifier (go-oidc) must accept what every grant issues. */
    async function goAccepts(idToken: string, clientId: string): Promise<void> {
      const v = await verifyWithGo(s.issuer, s.config.web.tlsCA!, clientId, idToken);
      expect(v).toMatchObject({ ok: true });
      if (v.ok) expect(v.claims['groups']).toEqual(['developers', 'viewers']);
    }

    it('device flow for a public client: pending, slow_down, code entry, login, tokens', async () => {
      const clock = freezeClock();
      const c = s.client();
      const d = await startDeviceFlow(c, 'openid email groups');
      expect(d.verification_uri).toBe(`${s.issuer}/device`);
      expect(d.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      const poll = () => pollDeviceToken(c, d.device_code);
      const p1 = await poll();
      expect(p1.status).toBe(400);
      expect(p1.json()['error']).toBe('authorization_pending');
      const p2 = await poll();
      expect(p2.json()['error']).toBe('slow_down');

      const done = await approveDeviceCode(s.client(), d.user_code, ALICE);
      expect(done.text).toContain('Device signed in');

      clock.advance(4200); // kubectl waits the poll interval
      const tok = await poll();
      expect(tok.status, tok.text).toBe(200);
      const t = tok.json<Tokens>();
      const { payload } = await jwtVerify(t.id_token, jwks, {
        issuer: s.issuer,
        audience: 'kubectl',
      });
      expect(payload['groups']).toEqual(['developers', 'viewers']);
      expect(t.refresh_token).toBeTruthy();
      await goAccepts(t.id_token, 'kubectl');
      const again = await poll();
      expect(again.json()['error']).toBe('invalid_grant');
    });

    it('device flow: a wrong code is refused on the page, a cancelled code answers access_denied', async () => {
      const b = s.client();
      const page = await b.get('/device');
      const action = /action="([^"]+)"/.exec(page.text)![1]!;
      const wrong = await b.post(action, {
        xsrf: hiddenInput(page.text, 'xsrf'),
        user_code: 'BCDF-GHJK',
      });
      expect(wrong.status).toBeLessThan(500);
      expect(wrong.text).toContain('not valid');

      const d = await startDeviceFlow(s.client());
      await approveDeviceCode(s.client(), d.user_code, { ...ALICE, cancel: true });
      const tok = await pollDeviceToken(s.client(), d.device_code);
      expect(tok.status).toBe(400);
      expect(tok.json()['error']).toBe('access_denied');
    });

    it('password grant: only for clients that opted in (others: invalid_request, grant type not allowed), same generic failure as the login page', async () => {
      const ok = await passwordGrant(s.client(), CI, ALICE, 'openid email groups');
      expect(ok.status, ok.text).toBe(200);
      const t = ok.json<Tokens>();
      const { payload } = await jwtVerify(t.id_token, jwks, {
        issuer: s.issuer,
        audience: CI.clientId,
      });
      expect(payload.sub).toBe(ALICE.userID);
      expect(payload['groups']).toEqual(['developers', 'viewers']);
      expect(payload.exp! - payload.iat!).toBe(120); // per-client idTokenTTL
      expect(t.refresh_token).toBeTruthy();
      const ref = await refreshGrant(s.client(), t.refresh_token!, CI);
      expect(ref.status, ref.text).toBe(200);
      await goAccepts(t.id_token, CI.clientId);
      await goAccepts(ref.json<Tokens>().id_token, CI.clientId);

      const bad = await passwordGrant(
        s.client(),
        CI,
        { username: ALICE.username, password: 'nope' },
        'openid',
      );
      expect(bad.status).toBe(400);
      expect(bad.json()).toEqual({
        error: 'invalid_grant',
        error_description: 'grant request is invalid',
      });
      const unknown = await passwordGrant(
        s.client(),
        CI,
        { username: 'nobody', password: 'nope' },
        'openid',
      );
      expect(unknown.json()).toEqual(bad.json());

      const notEnabled = await passwordGrant(s.client(), WEB_LOGIN, ALICE);
      expect(notEnabled.status).toBe(400);
      // oidc-provider's answer for a grant type outside the client's grant_types.
      expect(notEnabled.json()).toEqual({
        error: 'invalid_request',
        error_description: 'requested grant type is not allowed for this client',
      });
      const publicClient = await passwordGrant(s.client(), KUBECTL, ALICE);
      expect(publicClient.json()).toEqual(notEnabled.json());
    });

    it('two concurrent refreshes with one refresh token inside the grace window both succeed', async () => {
      const t = await aliceLogin(s);
      const refresh = (rt: string) => refreshGrant(s.client(), rt);
      const [a, b] = await Promise.all([refresh(t.refresh_token), refresh(t.refresh_token)]);
      expect(a.status, a.text).toBe(200);
      expect(b.status, b.text).toBe(200);
      // A retry of a refresh whose answer was lost also works inside the window.
      const retry = await refresh(t.refresh_token);
      expect(retry.status, retry.text).toBe(200);
      for (const r of [a, b, retry])
        await jwtVerify(r.json<Tokens>().id_token, jwks, { issuer: s.issuer, audience: 'kubectl' });
    });

    it('reuse after the grace window revokes that token family only: the other laptop keeps working', async () => {
      const laptop1 = await aliceLogin(s);
      const laptop2 = await aliceLogin(s);
      const refresh = (rt: string) => refreshGrant(s.client(), rt);
      const rotated = await refresh(laptop1.refresh_token);
      expect(rotated.status).toBe(200);
      // 2.5 s pass for the spent token (the grace window is 2 s): its use is that long ago.
      expect(await backdateConsumption(s.server.db, 2500, laptop1.refresh_token)).toBe(1);
      const reused = await refresh(laptop1.refresh_token);
      expect(reused.status).toBe(400);
      expect(reused.json()['error']).toBe('invalid_grant');
      // Its id_tokens are refused by the clusters too: a deny entry for that login's sid only.
      const sid = decodeJwt(laptop1.id_token)['sid'];
      const denied = await pollUntil(
        async () =>
          (
            await s.server.db.query<{ kind: string; sid: string; sub: string; reason: string }>(
              `SELECT kind, sid, sub, reason FROM login_revocations WHERE reason = 'refresh_token_reuse'`,
            )
          ).rows,
        (rows) => rows.length > 0,
        { what: 'a deny entry for the reused login' },
      );
      expect(denied).toEqual([
        { kind: 'session', sid, sub: ALICE.userID, reason: 'refresh_token_reuse' },
      ]);
      expect(decodeJwt(laptop2.id_token)['sid']).not.toBe(sid);
      // The whole family of laptop 1 is revoked, including the token it was rotated to...
      const family = await refresh(rotated.json<Tokens>().refresh_token!);
      expect(family.json()['error']).toBe('invalid_grant');
      // ...but laptop 2's login is another family and still refreshes.
      const other = await refresh(laptop2.refresh_token);
      expect(other.status, other.text).toBe(200);
    });

    it('a refresh whose rotation never completed still works after the grace window; its family is not revoked', async () => {
      const t = await aliceLogin(s);
      // The state a database outage (or a crash) between oidc-provider's consume and its save of
      // the new token leaves behind: the token consumed, no successor. The client never got a
      // newer token, so its retry, however late, must work.
      expect(await backdateConsumption(s.server.db, 3_600_000, t.refresh_token)).toBe(1);
      const late = await refreshGrant(s.client(), t.refresh_token);
      expect(late.status, late.text).toBe(200);
      const next = late.json<Tokens>().refresh_token!;
      expect((await refreshGrant(s.client(), next)).status).toBe(200);
    });

    it('refuses refresh tokens from another client, garbage and empty ones with invalid_grant or invalid_request, never 500', async () => {
      const t = await aliceLogin(s);
      const stolen = await refreshGrant(s.client(), t.refresh_token, WEB_LOGIN);
      expect(stolen.status).toBe(400);
      expect(stolen.json()['error']).toBe('invalid_grant');
      const garbage = await refreshGrant(s.client(), 'x'.repeat(43));
      expect(garbage.json()['error']).toBe('invalid_grant');
      const empty = await refreshGrant(s.client(), '');
      expect(empty.status).toBe(400);
      expect(empty.json()['error']).toBe('invalid_request');
    });
  },
);

describe('lifetimes: device codes expire, idle refresh tokens expire', () => {
  let s: TestSigil;
  beforeAll(async () => {
    s = await startTestSigil('pglite', {
      expiry: { deviceRequests: '2s', refreshTokens: { validIfNotUsedFor: '2s' } },
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it('an unused device code expires: expired_token', async () => {
    const clock = freezeClock();
    const d = await startDeviceFlow(s.client());
    expect(d.expires_in).toBeLessThanOrEqual(2);
    clock.advance(2600);
    const tok = await pollDeviceToken(s.client(), d.device_code);
    expect(tok.status).toBe(400);
    expect(['expired_token', 'invalid_grant']).toContain(tok.json()['error']);
  });

  it('a refresh token unused for longer than validIfNotUsedFor is refused with invalid_grant', async () => {
    const clock = freezeClock();
    const t = await aliceLogin(s);
    clock.advance(2600);
    const r = await refreshGrant(s.client(), t.refresh_token);
    expect(r.status).toBe(400);
    expect(r.json()['error']).toBe('invalid_grant');
  });
});
