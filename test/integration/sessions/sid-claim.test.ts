import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFor, SESSION_ID_SECRET } from '../../../src/oidc/index.js';
import { sharedSecret } from '../../../src/storage/index.js';
import { approveDeviceCode, pollDeviceToken, startDeviceFlow } from '../../support/device-page.js';
import {
  kubeloginTokens,
  passwordGrant,
  refreshGrant,
  withRefreshToken,
  type Tokens,
} from '../../support/oidc-flow.js';
import { ALICE, passwordGrantClient, startTestSigil, type TestSigil } from '../../support/sigil.js';

const CI = { id: 'ci', secret: 'ci-secret-value-456' };

const sidOf = (t: Tokens): unknown => decodeJwt(t.id_token)['sid'];

describe('the session id (sid) claim', () => {
  let s: TestSigil;
  beforeAll(async () => {
    s = await startTestSigil('pglite', {
      staticClients: [{ id: 'kubectl', public: true, name: 'kubectl' }, passwordGrantClient(CI)],
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it('is 22 base64url characters, the same on every refresh of a family, different per login', async () => {
    const c = s.client();
    const first = withRefreshToken(await kubeloginTokens(c, ALICE));
    const sid = sidOf(first);
    expect(sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    let rt = first.refresh_token;
    for (let i = 0; i < 2; i++) {
      const r = await refreshGrant(c, rt);
      expect(r.status, r.text).toBe(200);
      const next = withRefreshToken(r.json<Tokens>());
      expect(sidOf(next)).toBe(sid);
      rt = next.refresh_token;
    }
    const second = await kubeloginTokens(s.client(), ALICE);
    expect(sidOf(second)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sidOf(second)).not.toBe(sid);
  });

  it('is HMAC-SHA256 of the grant id under the shared session-id secret', async () => {
    const c = s.client();
    const t = withRefreshToken(await kubeloginTokens(c, ALICE));
    const db = s.server.db;
    const key = await sharedSecret(db, SESSION_ID_SECRET);
    const { rows } = await db.query<{ grant_id: string }>(
      "SELECT DISTINCT grant_id FROM oidc_payload WHERE kind = 'RefreshToken'",
    );
    const sids = rows.map((r) => sessionIdFor(key, r.grant_id));
    expect(sids).toContain(sidOf(t));
    expect(sessionIdFor('k', 'g')).toBe(sessionIdFor('k', 'g'));
    expect(sessionIdFor('k', 'g')).not.toBe(sessionIdFor('k2', 'g'));
  });

  it('is in the id_tokens of the device flow and the password grant too', async () => {
    const c = s.client();
    const device = await startDeviceFlow(c, 'openid');
    await approveDeviceCode(s.client(), device.user_code, ALICE);
    const polled = await pollDeviceToken(c, device.device_code);
    expect(polled.status, polled.text).toBe(200);
    expect(sidOf(polled.json<Tokens>())).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const pw = await passwordGrant(c, { clientId: CI.id, clientSecret: CI.secret }, ALICE);
    expect(pw.status, pw.text).toBe(200);
    const tokens = withRefreshToken(pw.json<Tokens>());
    const sid = sidOf(tokens);
    expect(sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const again = await refreshGrant(c, tokens.refresh_token, {
      clientId: CI.id,
      clientSecret: CI.secret,
    });
    expect(again.status, again.text).toBe(200);
    expect(sidOf(again.json<Tokens>())).toBe(sid);
    // Every login path records its session under the same id.
    const { rows } = await s.server.db.query<{ id: string; grant_type: string; client_id: string }>(
      'SELECT id, grant_type, client_id FROM login_sessions ORDER BY created_at',
    );
    expect(rows.map((r) => [r.grant_type, r.client_id])).toEqual(
      expect.arrayContaining([
        ['authorization_code', 'kubectl'],
        ['urn:ietf:params:oauth:grant-type:device_code', 'kubectl'],
        ['password', 'ci'],
      ]),
    );
    expect(rows.map((r) => r.id)).toContain(sid);
  });
});
