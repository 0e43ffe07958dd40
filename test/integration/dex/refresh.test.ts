import { createLocalJWKSet, jwtVerify, SignJWT, decodeJwt, type JSONWebKeySet } from 'jose';
import { flushAllAudit } from '../../support/sigil.js';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveStorage } from '../../../src/config/index.js';
import { encodeDexRefreshToken } from '../../../src/lib/index.js';
import { openDb } from '../../../src/storage/index.js';
import {
  createDexDb,
  dexLdapConnectorData,
  dexSigningKey,
  type DexDb,
} from '../../support/dex-db.js';
import { verifyWithGo } from '../../support/go-verifier.js';
import { createTestOu, type TestOu } from '../../support/ldap-test-ou.js';
import { passwordGrant, refreshGrant, type Tokens } from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { KUBECTL_CLIENT, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { handEncodedDexSub, runImport } from './support.js';

/**
 * The switch from Dex as its users see it: a sigil that imported a Dex database (built from
 * Dex's v2.45.1 schema) serves Dex's keys in its JWKS, takes a Dex refresh token once and
 * answers with a sigil one, and with `subjectFormat: dex` issues the `sub` Dex issued.
 */
describe('after sigil import dex', () => {
  let ou: TestOu;
  let s: TestSigil;
  let dex: DexDb;
  let signing: Awaited<ReturnType<typeof dexSigningKey>>;
  let older: Awaited<ReturnType<typeof dexSigningKey>>;
  const tokens: Record<string, string> = {};
  let latest = '';
  const PAT = { email: 'pat@example.com', password: 'pat-dex-password', userID: 'pat-0001' };
  const CI = { clientId: 'ci', clientSecret: 'ci-secret-value-987' };

  beforeAll(async () => {
    ou = await createTestOu('DexImport', [{ uid: 'dora', name: 'Dora', groups: ['ops'] }]);
    s = await startTestSigil('postgres', {
      connectors: [
        {
          ...ou.connector('ldap', 'LDAP'),
          config: {
            ...(ou.connector('ldap', 'LDAP').config as object),
            userSearch: {
              baseDN: ou.peopleDN,
              filter: '(objectClass=inetOrgPerson)',
              username: 'uid',
              idAttr: 'uid',
            },
            subjectFormat: 'dex',
          },
        } as never,
      ],
      staticClients: [
        KUBECTL_CLIENT,
        {
          id: CI.clientId,
          secret: CI.clientSecret,
          redirectURIs: ['https://ci.example.com/cb'],
          passwordGrant: true,
        },
      ],
      oauth2: { passwordConnector: 'local' },
      // No grace window: a second use is a reuse at once (the default 5s forgives a retry).
      expiry: { refreshTokens: { reuseInterval: '0s' } },
    });
    dex = await createDexDb('postgres', { pgUrl: inject('pgUrl') });
    signing = await dexSigningKey();
    older = await dexSigningKey();
    await dex.addKeys({
      signingKey: signing.priv,
      signingKeyPub: signing.pub,
      verificationKeys: [{ publicKey: older.pub, expiry: new Date(Date.now() + 3_600_000) }],
      nextRotation: new Date(Date.now() + 6 * 3_600_000),
    });
    await dex.addClient({ id: 'dex-cli', secret: '', public: true, name: 'Dex CLI' });
    await dex.addPassword({
      email: PAT.email,
      hash: await bcrypt.hash(PAT.password, 10),
      username: 'pat',
      userID: PAT.userID,
      groups: ['devs'],
    });
    const dn = `uid=dora,${ou.peopleDN}`;
    const common = { connectorID: 'ldap', userID: 'dora', username: 'dora', groups: ['stale'] };
    tokens['dora'] = await dex.addRefreshToken({
      ...common,
      id: 'rt-dora',
      token: 'secret-dora',
      clientID: 'kubectl',
      connectorData: dexLdapConnectorData('dora', dn),
    });
    tokens['other'] = await dex.addRefreshToken({
      ...common,
      id: 'rt-other',
      token: 'secret-other',
      clientID: 'dex-cli',
    });
    tokens['ghost'] = await dex.addRefreshToken({
      ...common,
      id: 'rt-ghost',
      token: 'secret-ghost',
      clientID: 'kubectl',
      userID: 'ghost',
      username: 'ghost',
    });
    tokens['pat'] = await dex.addRefreshToken({
      id: 'rt-pat',
      token: 'secret-pat',
      clientID: 'kubectl',
      connectorID: 'local',
      userID: PAT.userID,
      username: 'pat',
    });
    await runImport(s.config, dex.from);
  }, 60_000);

  afterAll(async () => {
    await dex.close();
    await s.close();
    await ou.cleanup();
  });

  const jwks = async () => (await s.client().get('/jwks')).json<JSONWebKeySet>();

  it("publishes Dex's signing key and its unexpired verification key next to sigil's own", async () => {
    const set = await pollUntil(jwks, (j) => j.keys.some((k) => k.kid === older.pub.kid), {
      what: 'the imported keys in the JWKS',
    });
    const kids = set.keys.map((k) => k.kid);
    expect(kids).toContain(signing.pub.kid);
    expect(kids).toContain(older.pub.kid);
    for (const k of set.keys) expect(k).not.toHaveProperty('d');
  });

  it('an id_token Dex signed verifies against sigil (jose and go-oidc)', async () => {
    const set = await pollUntil(jwks, (j) => j.keys.some((k) => k.kid === older.pub.kid), {
      what: 'the imported keys in the JWKS',
    });
    for (const key of [signing, older]) {
      const dexToken = await new SignJWT({ email: 'dora@example.com' })
        .setProtectedHeader({ alg: 'RS256', kid: key.pub.kid! })
        .setIssuer(s.issuer)
        .setAudience('kubectl')
        .setSubject(handEncodedDexSub('dora', 'ldap'))
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key.privateKey);
      await jwtVerify(dexToken, createLocalJWKSet(set), { issuer: s.issuer, audience: 'kubectl' });
      const go = await verifyWithGo(s.issuer, s.config.web.tlsCA!, 'kubectl', dexToken);
      expect(go, JSON.stringify(go)).toMatchObject({ ok: true });
    }
  }, 120_000);

  it("a Dex refresh token refreshes once, re-checked against the directory, with Dex's sub", async () => {
    const first = await refreshGrant(s.client(), tokens['dora']!);
    expect(first.status, first.text).toBe(200);
    const t = first.json<Tokens & { refresh_token: string }>();
    expect(t.refresh_token).not.toBe(tokens['dora']);
    const claims = decodeJwt(t.id_token);
    expect(claims.sub).toBe(handEncodedDexSub('dora', 'ldap'));
    expect(claims.sub).toBe('CgRkb3JhEgRsZGFw');
    // Groups come from the directory now, not from Dex's copy.
    expect(claims['groups']).toEqual(['ops']);
    const again = await refreshGrant(s.client(), t.refresh_token);
    expect(again.status, again.text).toBe(200);
    expect(decodeJwt(again.json<Tokens>().id_token).sub).toBe('CgRkb3JhEgRsZGFw');
    latest = again.json<{ refresh_token: string }>().refresh_token;
  });

  it('a Dex refresh token used twice is refused like any reuse', async () => {
    const reuse = await refreshGrant(s.client(), tokens['dora']!);
    expect(reuse.status).toBe(400);
    expect(reuse.json()).toMatchObject({ error: 'invalid_grant' });
    // As with any reuse, the whole family it started is revoked.
    const family = await refreshGrant(s.client(), latest);
    expect(family.status).toBe(400);
  });

  it('another client, a user the directory no longer has, a malformed token: invalid_grant, audited', async () => {
    for (const value of [tokens['other']!, tokens['ghost']!, 'CgNmb28SA2Jhcg', 'not-a-token']) {
      const r = await refreshGrant(s.client(), value);
      expect(r.status, value).toBe(400);
      expect(r.json()).toMatchObject({ error: 'invalid_grant' });
    }
    // A Dex-shaped token with a NUL in its id: refused as a request, never a 500.
    const nul = await refreshGrant(
      s.client(),
      encodeDexRefreshToken({ refreshId: 'a\u0000b', token: 'x' }),
    );
    expect(nul.status).toBe(400);
    const db = await openDb(resolveStorage(s.config, {}));
    try {
      await flushAllAudit();
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE event = 'token.refresh_denied' AND client_id = 'kubectl'`,
      );
      expect(rows[0]!.n).toBeGreaterThanOrEqual(4);
    } finally {
      await db.close();
    }
  });

  it('an imported password user logs in with their Dex password and keeps their Dex sub', async () => {
    const r = await passwordGrant(
      s.client(),
      CI,
      { username: PAT.email, password: PAT.password },
      'openid groups',
    );
    expect(r.status, r.text).toBe(200);
    const claims = decodeJwt(r.json<Tokens>().id_token);
    expect(claims.sub).toBe(handEncodedDexSub(PAT.userID, 'local'));
    expect(claims['groups']).toEqual(['devs']);
    const wrong = await passwordGrant(s.client(), CI, { username: PAT.email, password: 'nope' });
    expect(wrong.status).toBe(400);
    const refreshed = await refreshGrant(s.client(), tokens['pat']!);
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(decodeJwt(refreshed.json<Tokens>().id_token).sub).toBe(
      handEncodedDexSub(PAT.userID, 'local'),
    );
  });
});
