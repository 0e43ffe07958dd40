import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveDeviceCode, pollDeviceToken, startDeviceFlow } from '../../support/device-page.js';
import { basicAuth } from '../../support/http-client.js';
import {
  authorize,
  codeGrant,
  KUBECTL,
  LOOPBACK,
  passwordGrant,
  refreshGrant,
  type Tokens,
} from '../../support/oidc-flow.js';
import {
  ALICE,
  KUBECTL_CLIENT,
  passwordGrantClient,
  startTestSigil,
  WEB_CLIENT,
  type TestSigil,
} from '../../support/sigil.js';
import { BOB, openLogin, submit, users } from './support.js';

const CI = { id: 'ci', secret: 'ci-secret-never-logged-77' };

/**
 * Runs every flow that moves a credential (logins right and wrong, the password grant, the
 * device flow, code exchange, refresh, revocation, introspection, credentials in the wrong
 * places), at debug level, then greps every log line for each password, code, token and
 * client secret that went over the wire.
 */
describe('no credential in any log line', () => {
  let s: TestSigil;
  const secrets = new Set<string>([
    ALICE.password,
    BOB.password,
    CI.secret,
    'web-secret-value-123',
  ]);
  const keep = (...values: (string | undefined)[]) => {
    for (const v of values) if (v !== undefined && v.length >= 8) secrets.add(v);
  };

  beforeAll(async () => {
    s = await startTestSigil('postgres', {
      staticPasswords: await users(),
      staticClients: [KUBECTL_CLIENT, WEB_CLIENT, passwordGrantClient(CI)],
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it('runs the flows', async () => {
    const ci = { authorization: basicAuth(CI.id, CI.secret) };
    const ciClient = { clientId: CI.id, clientSecret: CI.secret };
    // Wrong passwords, on the page and through the password grant.
    const c = s.client();
    const f = await openLogin(c);
    for (const pw of ['wrong-password-one-1', `${ALICE.password}x`]) {
      keep(pw);
      await submit(c, f, ALICE.username, pw);
    }
    const badGrant = 'wrong-grant-password-2';
    keep(badGrant);
    await passwordGrant(s.client(), ciClient, { username: 'bob', password: badGrant });
    // The password grant, then refresh and revoke.
    const pg = await passwordGrant(s.client(), ciClient, BOB, 'openid groups');
    expect(pg.status, pg.text).toBe(200);
    const p = pg.json<Tokens>();
    keep(p.access_token, p.id_token, p.refresh_token);
    // Code flow for kubectl, refresh, refresh with the spent token, introspection, revocation.
    const a = await authorize(s.client(), {
      clientId: 'kubectl',
      redirectUri: LOOPBACK,
      username: ALICE.username,
      password: ALICE.password,
    });
    keep(a.code, a.verifier);
    const kubectl = { ...KUBECTL, redirectUri: LOOPBACK };
    const tok = await codeGrant(s.client(), a, kubectl);
    const t = tok.json<Tokens & { refresh_token: string }>();
    keep(t.access_token, t.id_token, t.refresh_token);
    const again = await codeGrant(s.client(), a, kubectl);
    expect(again.status).toBe(400);
    const r1 = await refreshGrant(s.client(), t.refresh_token);
    const n = r1.json<Partial<Tokens>>();
    keep(n.access_token, n.id_token, n.refresh_token);
    await s
      .client()
      .post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: 'web' },
        { authorization: basicAuth('web', 'web-secret-value-123') },
      );
    await s.client().post('/token/introspection', { token: p.access_token }, ci);
    await s.client().post('/token/revocation', { token: p.refresh_token ?? 'x' }, ci);
    // Credentials where they do not belong: query strings, wrong endpoints, bad secrets.
    await s
      .client()
      .get(
        `/token?password=${encodeURIComponent(ALICE.password)}&refresh_token=${n.refresh_token ?? ''}`,
      );
    await s
      .client()
      .get(`/auth?client_id=kubectl&password=${encodeURIComponent(BOB.password)}&code=${a.code}`);
    await s.client().get(`/me?access_token=${t.access_token}`);
    await s
      .client()
      .post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: 'x' },
        { authorization: basicAuth(CI.id, `${CI.secret}-wrong`) },
      );
    keep(`${CI.secret}-wrong`);
    await s.client().post('/token', {
      grant_type: 'client_credentials',
      client_id: 'web',
      client_secret: 'web-secret-value-123',
    });
    // Device flow: the user code and device code.
    const d = await startDeviceFlow(s.client());
    keep(d.device_code);
    const done = await approveDeviceCode(s.client(), d.user_code, ALICE);
    expect(done.status).toBe(200);
    // The device login is audited as such.
    await s.server.flushAudit();
    const { rows } = await s.server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE event = 'login' AND outcome = 'success' AND details->>'channel' = 'device'",
    );
    expect(rows[0]?.n).toBe(1);
    const dt = await pollDeviceToken(s.client(), d.device_code);
    const dj = dt.json<Partial<Tokens>>();
    keep(dj.access_token, dj.id_token, dj.refresh_token);
  });

  it('finds none of them in the logs, nor any JWT', () => {
    const logs = s.rawLogs();
    expect(logs.split('\n').length).toBeGreaterThan(50);
    expect(secrets.size).toBeGreaterThan(15);
    for (const secret of secrets)
      expect(logs.includes(secret), `a log line contains ${secret.slice(0, 6)}…`).toBe(false);
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
