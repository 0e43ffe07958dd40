import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadKeySet,
  PLAINTEXT_SEALER,
  revokeKey,
  keyPolicyFromConfig,
} from '../../../src/keys/index.js';
import { authPath } from '../../support/auth-request.js';
import {
  follow,
  kubeloginTokens,
  LOOPBACK,
  refreshGrant,
  type Tokens,
} from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

/**
 * One real sigil (in process, PostgreSQL): the JWKS carries a Cache-Control no longer than the
 * lead time, the provider is rebuilt with the new key set when keys rotate (no restart), and
 * revocation unpublishes the key and makes the refresh tokens it covered fail.
 */

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid!;

async function login(s: TestSigil, c = s.client()): Promise<Tokens> {
  return kubeloginTokens(c, ALICE);
}

describe('key rotation inside one running sigil', () => {
  let s: TestSigil;
  beforeAll(async () => {
    s = await startTestSigil('postgres', {
      keys: { rotationPeriod: '2s', leadTime: '2s' },
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it('serves the JWKS with max-age no longer than the lead time, active and next keys, no private parts', async () => {
    const res = await s.client().get('/jwks');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=2');
    const { keys } = res.json<JSONWebKeySet>();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const k of keys) expect(k).not.toHaveProperty('d');
    // Other provider answers keep their own caching rules.
    const disco = await s.client().get('/.well-known/openid-configuration');
    expect(disco.headers['cache-control']).not.toBe('public, max-age=2');
  });

  it('picks up rotations without a restart: new tokens carry the new kid, old kids stay published', async () => {
    const browser = s.client();
    const first = await login(s, browser);
    const firstKid = kidOf(first.id_token);
    let rt = first.refresh_token!;
    const kids = new Set([firstKid]);
    const provider0 = s.server.provider();
    const refreshAndVerify = async () => {
      const r = await refreshGrant(s.client(), rt);
      expect(r.status, r.text).toBe(200);
      const t = r.json<Tokens>();
      rt = t.refresh_token!;
      // Verified against the JWKS as served right now: the signing key is always in it.
      const jwks = createLocalJWKSet((await s.client().get('/jwks')).json<JSONWebKeySet>());
      await jwtVerify(t.id_token, jwks, { issuer: s.issuer, audience: 'kubectl' });
      kids.add(kidOf(t.id_token));
      return kids.size;
    };
    await pollUntil(refreshAndVerify, (n) => n >= 3, {
      what: 'two rotations',
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    expect(s.server.provider()).not.toBe(provider0);
    // The browser session made on the first instance still holds on the rebuilt one: the
    // cookie keys come from the database, so /auth answers with a code and no login form.
    const sso = await browser.get(authPath({ clientId: 'kubectl', redirectUri: LOOPBACK }));
    const landed = await follow(browser, sso);
    expect(landed.status, landed.text.slice(0, 200)).toBe(303);
    expect(new URL(landed.location!).searchParams.get('code')).toBeTruthy();
    const published = (await s.client().get('/jwks')).json<JSONWebKeySet>().keys.map((k) => k.kid);
    for (const kid of kids) expect(published).toContain(kid); // retired, still published
    expect(s.logs.some((l) => l['msg'] === 'signing key event: key.activated')).toBe(true);
  });

  it('revocation: the key leaves the JWKS, refresh tokens it covered fail, a new login works with the next key', async () => {
    const t = await login(s);
    const db = s.server.db;
    const set = await loadKeySet(db, PLAINTEXT_SEALER);
    const revoked = set.active.kid;
    const next = set.published.find((k) => k.state === 'next')!.kid;
    const r = await revokeKey(db, PLAINTEXT_SEALER, keyPolicyFromConfig(s.config), revoked);
    expect(r.grantsRevoked).toBeGreaterThanOrEqual(1);

    const bad = await refreshGrant(s.client(), t.refresh_token!);
    expect(bad.status).toBe(400);
    expect(bad.json()['error']).toBe('invalid_grant');

    const published = async () =>
      (await s.client().get('/jwks')).json<JSONWebKeySet>().keys.map((k) => k.kid);
    await pollUntil(published, (kids) => !kids.includes(revoked), {
      what: 'the revoked key to leave the JWKS',
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    const again = await login(s);
    expect(kidOf(again.id_token)).not.toBe(revoked);
    expect([next, (await loadKeySet(db, PLAINTEXT_SEALER)).active.kid]).toContain(
      kidOf(again.id_token),
    );
  });
});
