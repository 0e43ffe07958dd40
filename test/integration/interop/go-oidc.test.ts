import { importJWK, SignJWT, decodeJwt, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeloginTokens, refreshGrant, type Tokens } from '../../support/oidc-flow.js';
import { buildGoVerifier, verifyWithGo } from '../../support/go-verifier.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

/** Authorization code + PKCE as kubelogin runs it; the token answer. */
function codeFlow(s: TestSigil, clientId: string): Promise<Tokens> {
  return kubeloginTokens(s.client(), ALICE, {
    clientId,
    scope: 'openid email groups offline_access',
  });
}

/** The active signing key, straight from the database: for crafting tokens the verifier must refuse. */
async function activeKey(
  s: TestSigil,
): Promise<{ kid: string; alg: string; key: Awaited<ReturnType<typeof importJWK>> }> {
  const { rows } = await s.server.db.query<{ kid: string; alg: string; private_jwk: unknown }>(
    "SELECT kid, alg, private_jwk FROM signing_keys WHERE state = 'active'",
  );
  const row = rows[0]!;
  const jwk = (
    typeof row.private_jwk === 'string' ? JSON.parse(row.private_jwk) : row.private_jwk
  ) as JWK;
  return { kid: row.kid, alg: row.alg, key: await importJWK(jwk, row.alg) };
}

describe.each(['pglite', 'postgres'] as const)(
  'go-oidc (kube-apiserver) verifies sigil id_tokens (%s)',
  (backend) => {
    let s: TestSigil;
    let caFile: string;

    beforeAll(async () => {
      await buildGoVerifier();
      s = await startTestSigil(backend, {
        staticClients: [
          { id: 'kubectl', public: true, name: 'kubectl' },
          { id: 'other-cluster', public: true },
          { id: 'short', public: true, idTokenTTL: '1s' },
        ],
      });
      caFile = s.config.web.tlsCA!;
    }, 240_000);
    afterAll(async () => {
      await s.close();
    });

    it('accepts the id_token of the authorization code grant, with groups as an array of strings', async () => {
      const t = await codeFlow(s, 'kubectl');
      const v = await verifyWithGo(s.issuer, caFile, 'kubectl', t.id_token);
      expect(v).toMatchObject({ ok: true });
      if (!v.ok) return;
      expect(v.claims['iss']).toBe(s.issuer);
      expect(v.claims['aud']).toBe('kubectl');
      expect(v.claims['sub']).toBe(ALICE.userID);
      expect(v.claims['email']).toBe(ALICE.email);
      expect(v.claims['groups']).toEqual(['developers', 'viewers']);
    });

    it('accepts the id_token of a refresh', async () => {
      const t = await codeFlow(s, 'kubectl');
      expect(t.refresh_token).toBeDefined();
      const r = await refreshGrant(s.client(), t.refresh_token!);
      expect(r.status, r.text).toBe(200);
      const idToken = r.json<Tokens>().id_token;
      expect(idToken).not.toBe(t.id_token);
      const v = await verifyWithGo(s.issuer, caFile, 'kubectl', idToken);
      expect(v.ok, JSON.stringify(v)).toBe(true);
    });

    it('rejects a token for another audience', async () => {
      const t = await codeFlow(s, 'kubectl');
      const v = await verifyWithGo(s.issuer, caFile, 'other-cluster', t.id_token);
      expect(v).toEqual({
        ok: false,
        error: expect.stringMatching(/expected audience "other-cluster"/),
      });
    });

    it('rejects a tampered token (payload changed, signature kept)', async () => {
      const t = await codeFlow(s, 'kubectl');
      const [h, p, sig] = t.id_token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      claims['groups'] = ['system:masters'];
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
      const v = await verifyWithGo(s.issuer, caFile, 'kubectl', forged);
      expect(v).toEqual({ ok: false, error: expect.stringMatching(/signature/) });
      // and with the signature stripped (alg none)
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
      expect((await verifyWithGo(s.issuer, caFile, 'kubectl', none)).ok).toBe(false);
    });

    it('rejects an expired token from a client with a 1s idTokenTTL', async () => {
      const t = await codeFlow(s, 'short');
      const { exp, iat } = decodeJwt(t.id_token);
      expect(exp! - iat!).toBe(1);
      // go-oidc's clock set instead of waiting: valid when issued, expired a second after exp.
      const fresh = await verifyWithGo(s.issuer, caFile, 'short', t.id_token, { at: iat! });
      expect(fresh.ok, JSON.stringify(fresh)).toBe(true);
      const v = await verifyWithGo(s.issuer, caFile, 'short', t.id_token, { at: exp! + 1 });
      expect(v).toEqual({ ok: false, error: expect.stringMatching(/token is expired/) });
    });

    it('tokens signed with the active key: valid ones pass; expired, wrong issuer or wrong audience fail', async () => {
      const { kid, alg, key } = await activeKey(s);
      const now = Math.floor(Date.now() / 1000);
      const sign = (claims: Record<string, unknown>) =>
        new SignJWT({ sub: ALICE.userID, email: ALICE.email, groups: ['developers'], ...claims })
          .setProtectedHeader({ alg, kid, typ: 'JWT' })
          .sign(key);
      const good = await sign({ iss: s.issuer, aud: 'kubectl', iat: now, exp: now + 300 });
      expect((await verifyWithGo(s.issuer, caFile, 'kubectl', good)).ok).toBe(true);
      const expired = await sign({ iss: s.issuer, aud: 'kubectl', iat: now - 900, exp: now - 300 });
      expect(await verifyWithGo(s.issuer, caFile, 'kubectl', expired)).toEqual({
        ok: false,
        error: expect.stringMatching(/token is expired/),
      });
      const wrongIss = await sign({
        iss: `${s.issuer}/`,
        aud: 'kubectl',
        iat: now,
        exp: now + 300,
      });
      expect(await verifyWithGo(s.issuer, caFile, 'kubectl', wrongIss)).toEqual({
        ok: false,
        error: expect.stringMatching(/id token issued by a different provider/),
      });
      const wrongAud = await sign({
        iss: s.issuer,
        aud: 'somebody-else',
        iat: now,
        exp: now + 300,
      });
      expect((await verifyWithGo(s.issuer, caFile, 'kubectl', wrongAud)).ok).toBe(false);
    });

    it('refuses the issuer when the CA it is given did not sign sigil’s certificate', async () => {
      const t = await codeFlow(s, 'kubectl');
      const v = await verifyWithGo(
        s.issuer,
        '/etc/ssl/certs/ca-certificates.crt',
        'kubectl',
        t.id_token,
      );
      expect(v).toEqual({ ok: false, error: expect.stringMatching(/discovery: .*certificate/) });
    });
  },
);
