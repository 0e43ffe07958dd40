import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, hiddenInput, type Client } from '../../support/http-client.js';
import { follow, loginTokens } from '../../support/oidc-flow.js';
import { hashId } from '../../../src/storage/index.js';
import {
  ALICE,
  KUBECTL_CLIENT,
  passwordGrantClient,
  startTestSigil,
  WEB_CLIENT,
  type TestSigil,
} from '../../support/sigil.js';
import { buildGoVerifier, verifyWithGo } from '../../support/go-verifier.js';

const LOOPBACK = 'http://127.0.0.1:8000';
const CI = { id: 'ci', secret: 'ci-secret-value-4567' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token?: string;
}
interface DeviceAuth {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function kubeloginTokens(s: TestSigil): Promise<Tokens> {
  return loginTokens(s.client(), {
    clientId: 'kubectl',
    redirectUri: LOOPBACK,
    scope: 'openid email groups',
    username: ALICE.username,
    password: ALICE.password,
  });
}

/** Drives the device page as a person would: enter the code, confirm (or cancel), log in. */
async function approveDevice(
  s: TestSigil,
  userCode: string,
  opts: { cancel?: boolean } = {},
): Promise<string> {
  const b: Client = s.client();
  const page = await b.get('/device');
  expect(page.status).toBe(200);
  expect(page.text).toContain('for="user_code"');
  const action = /action="([^"]+)"/.exec(page.text)![1]!;
  const confirm = await b.post(action, {
    xsrf: hiddenInput(page.text, 'xsrf'),
    user_code: userCode,
  });
  expect(confirm.status, confirm.text.slice(0, 300)).toBe(200);
  expect(confirm.text).toContain(userCode);
  const form = {
    xsrf: hiddenInput(confirm.text, 'xsrf'),
    user_code: userCode,
    ...(opts.cancel ? { abort: 'yes' } : { confirm: 'yes' }),
  };
  let r = await follow(b, await b.post(action, form));
  if (opts.cancel) return r.text;
  expect(r.text).toContain('name="password"');
  const login = /action="(\/interaction\/[^"]+\/login)"/.exec(r.text)![1]!;
  r = await follow(
    b,
    await b.post(login, {
      csrf: hiddenInput(r.text, 'csrf'),
      connector: 'local',
      username: ALICE.username,
      password: ALICE.password,
    }),
  );
  return r.text;
}

describe('kubectl paths: device flow, password grant, refresh that survives kubectl', () => {
  let s: TestSigil;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  beforeAll(async () => {
    s = await startTestSigil('postgres', {
      staticClients: [
        KUBECTL_CLIENT,
        WEB_CLIENT,
        passwordGrantClient(CI, {
          redirectURIs: ['https://ci.example.com/unused'],
          idTokenTTL: '2m',
        }),
      ],
      expiry: { refreshTokens: { reuseInterval: '2s' } },
    });
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
    const c = s.client();
    const start = await c.post('/device/auth', {
      client_id: 'kubectl',
      scope: 'openid email groups',
    });
    expect(start.status, start.text).toBe(200);
    const d = start.json<DeviceAuth>();
    expect(d.verification_uri).toBe(`${s.issuer}/device`);
    expect(d.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const poll = () =>
      c.post('/token', {
        grant_type: DEVICE_GRANT,
        device_code: d.device_code,
        client_id: 'kubectl',
      });
    const p1 = await poll();
    expect(p1.status).toBe(400);
    expect(p1.json()['error']).toBe('authorization_pending');
    const p2 = await poll();
    expect(p2.json()['error']).toBe('slow_down');

    const done = await approveDevice(s, d.user_code);
    expect(done).toContain('Device signed in');

    await sleep(4200);
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

    const start = await s.client().post('/device/auth', { client_id: 'kubectl', scope: 'openid' });
    const d = start.json<DeviceAuth>();
    await approveDevice(s, d.user_code, { cancel: true });
    const tok = await s.client().post('/token', {
      grant_type: DEVICE_GRANT,
      device_code: d.device_code,
      client_id: 'kubectl',
    });
    expect(tok.status).toBe(400);
    expect(tok.json()['error']).toBe('access_denied');
  });

  it('password grant: only for clients that opted in (others: invalid_request, grant type not allowed), same generic failure as the login page', async () => {
    const auth = { authorization: basicAuth(CI.id, CI.secret) };
    const ok = await s.client().post(
      '/token',
      {
        grant_type: 'password',
        username: ALICE.username,
        password: ALICE.password,
        scope: 'openid email groups',
      },
      auth,
    );
    expect(ok.status, ok.text).toBe(200);
    const t = ok.json<Tokens>();
    const { payload } = await jwtVerify(t.id_token, jwks, { issuer: s.issuer, audience: CI.id });
    expect(payload.sub).toBe(ALICE.userID);
    expect(payload['groups']).toEqual(['developers', 'viewers']);
    expect(payload.exp! - payload.iat!).toBe(120); // per-client idTokenTTL
    expect(t.refresh_token).toBeTruthy();
    const ref = await s
      .client()
      .post('/token', { grant_type: 'refresh_token', refresh_token: t.refresh_token! }, auth);
    expect(ref.status, ref.text).toBe(200);
    await goAccepts(t.id_token, CI.id);
    await goAccepts(ref.json<Tokens>().id_token, CI.id);

    const bad = await s
      .client()
      .post(
        '/token',
        { grant_type: 'password', username: ALICE.username, password: 'nope', scope: 'openid' },
        auth,
      );
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
    });
    const unknown = await s
      .client()
      .post(
        '/token',
        { grant_type: 'password', username: 'nobody', password: 'nope', scope: 'openid' },
        auth,
      );
    expect(unknown.json()).toEqual(bad.json());

    const notEnabled = await s
      .client()
      .post(
        '/token',
        { grant_type: 'password', username: ALICE.username, password: ALICE.password },
        { authorization: basicAuth('web', 'web-secret-value-123') },
      );
    expect(notEnabled.status).toBe(400);
    // oidc-provider's answer for a grant type outside the client's grant_types.
    expect(notEnabled.json()).toEqual({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
    const publicClient = await s.client().post('/token', {
      grant_type: 'password',
      username: ALICE.username,
      password: ALICE.password,
      client_id: 'kubectl',
    });
    expect(publicClient.json()).toEqual(notEnabled.json());
  });

  it('two concurrent refreshes with one refresh token inside the grace window both succeed', async () => {
    const t = await kubeloginTokens(s);
    const refresh = (rt: string) =>
      s
        .client()
        .post('/token', { grant_type: 'refresh_token', refresh_token: rt, client_id: 'kubectl' });
    const [a, b] = await Promise.all([refresh(t.refresh_token!), refresh(t.refresh_token!)]);
    expect(a.status, a.text).toBe(200);
    expect(b.status, b.text).toBe(200);
    // A retry of a refresh whose answer was lost also works inside the window.
    const retry = await refresh(t.refresh_token!);
    expect(retry.status, retry.text).toBe(200);
    for (const r of [a, b, retry])
      await jwtVerify(r.json<Tokens>().id_token, jwks, { issuer: s.issuer, audience: 'kubectl' });
  });

  it('reuse after the grace window revokes that token family only: the other laptop keeps working', async () => {
    const laptop1 = await kubeloginTokens(s);
    const laptop2 = await kubeloginTokens(s);
    const refresh = (rt: string) =>
      s
        .client()
        .post('/token', { grant_type: 'refresh_token', refresh_token: rt, client_id: 'kubectl' });
    const rotated = await refresh(laptop1.refresh_token!);
    expect(rotated.status).toBe(200);
    await sleep(2500);
    const reused = await refresh(laptop1.refresh_token!);
    expect(reused.status).toBe(400);
    expect(reused.json()['error']).toBe('invalid_grant');
    // The whole family of laptop 1 is revoked, including the token it was rotated to...
    const family = await refresh(rotated.json<Tokens>().refresh_token!);
    expect(family.json()['error']).toBe('invalid_grant');
    // ...but laptop 2's login is another family and still refreshes.
    const other = await refresh(laptop2.refresh_token!);
    expect(other.status, other.text).toBe(200);
  });

  it('a refresh whose rotation never completed still works after the grace window; its family is not revoked', async () => {
    const t = await kubeloginTokens(s);
    // The state a database outage (or a crash) between oidc-provider's consume and its save of
    // the new token leaves behind: the token consumed, no successor. The client never got a
    // newer token, so its retry, however late, must work.
    const consumed = await s.server.db.query(
      `UPDATE oidc_payload
          SET consumed_at = now() - interval '1 hour',
              payload = payload || jsonb_build_object('consumed', floor(extract(epoch FROM now() - interval '1 hour'))::bigint)
        WHERE kind = 'RefreshToken' AND id = $1`,
      [hashId(t.refresh_token!)],
    );
    expect(consumed.rowCount).toBe(1);
    const refresh = (rt: string) =>
      s
        .client()
        .post('/token', { grant_type: 'refresh_token', refresh_token: rt, client_id: 'kubectl' });
    const late = await refresh(t.refresh_token!);
    expect(late.status, late.text).toBe(200);
    const next = late.json<Tokens>().refresh_token!;
    expect((await refresh(next)).status).toBe(200);
  });

  it('refuses refresh tokens from another client, garbage and empty ones with invalid_grant or invalid_request, never 500', async () => {
    const t = await kubeloginTokens(s);
    const stolen = await s
      .client()
      .post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: t.refresh_token! },
        { authorization: basicAuth('web', 'web-secret-value-123') },
      );
    expect(stolen.status).toBe(400);
    expect(stolen.json()['error']).toBe('invalid_grant');
    const garbage = await s.client().post('/token', {
      grant_type: 'refresh_token',
      refresh_token: 'x'.repeat(43),
      client_id: 'kubectl',
    });
    expect(garbage.json()['error']).toBe('invalid_grant');
    const empty = await s
      .client()
      .post('/token', { grant_type: 'refresh_token', refresh_token: '', client_id: 'kubectl' });
    expect(empty.status).toBe(400);
    expect(empty.json()['error']).toBe('invalid_request');
  });
});

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
    const d = (
      await s.client().post('/device/auth', { client_id: 'kubectl', scope: 'openid' })
    ).json<DeviceAuth>();
    expect(d.expires_in).toBeLessThanOrEqual(2);
    await sleep(2600);
    const tok = await s.client().post('/token', {
      grant_type: DEVICE_GRANT,
      device_code: d.device_code,
      client_id: 'kubectl',
    });
    expect(tok.status).toBe(400);
    expect(['expired_token', 'invalid_grant']).toContain(tok.json()['error']);
  });

  it('a refresh token unused for longer than validIfNotUsedFor is refused with invalid_grant', async () => {
    const t = await kubeloginTokens(s);
    await sleep(2600);
    const r = await s.client().post('/token', {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token!,
      client_id: 'kubectl',
    });
    expect(r.status).toBe(400);
    expect(r.json()['error']).toBe('invalid_grant');
  });
});
