import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeloginTokens } from '../../support/oidc-flow.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

/** keys.algorithm: ES256 and EdDSA keys are generated, published and sign the id_tokens. */
describe.each([
  ['ES256', 'EC'],
  ['EdDSA', 'OKP'],
] as const)('signing with %s', (alg, kty) => {
  let s: TestSigil;
  beforeAll(async () => {
    s = await startTestSigil('postgres', { keys: { algorithm: alg } });
  });
  afterAll(async () => {
    await s.close();
  });

  it('publishes active and next keys of that type and signs id_tokens with the active one', async () => {
    const jwks = (await s.client().get('/jwks')).json<JSONWebKeySet>();
    expect(jwks.keys.map((k) => [k.kty, k.alg])).toEqual([
      [kty, alg],
      [kty, alg],
    ]);
    const disco = (await s.client().get('/.well-known/openid-configuration')).json();
    expect(disco['id_token_signing_alg_values_supported']).toContain(alg);
    const c = s.client();
    const tok = await kubeloginTokens(c, ALICE, { scope: 'openid groups' });
    const idToken = tok.id_token;
    expect(decodeProtectedHeader(idToken)).toMatchObject({ alg, kid: jwks.keys[0]!.kid });
    await jwtVerify(idToken, createLocalJWKSet(jwks), { issuer: s.issuer, audience: 'kubectl' });
  });
});
