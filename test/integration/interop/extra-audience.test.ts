import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildKubeconfig } from '../../../src/kube/index.js';
import { approveDeviceCode, pollDeviceToken, startDeviceFlow } from '../../support/device-page.js';
import { buildGoVerifier, verifyWithGo } from '../../support/go-verifier.js';
import { authPath } from '../../support/auth-request.js';
import {
  follow,
  kubeloginTokens,
  LOOPBACK,
  passwordGrant,
  refreshGrant,
  submitLogin,
  type Tokens,
} from '../../support/oidc-flow.js';
import { createTestDatabase } from '../../support/postgres.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

/**
 * Extra audiences (issue #4 item 5): one kubelogin client (`kubectl`) for every cluster, each
 * cluster's API server expecting its own audience. `prod` and `staging` trust `kubectl` (and
 * `prod` trusts the CI client); `kubectl` asks for `audience:server:client_id:prod`, as the
 * kubeconfig sigil generates tells kubelogin to. go-oidc, the verifier inside kube-apiserver,
 * is the judge: prod's API server must accept the token, staging's must not, and kubelogin
 * (which verifies against its own client id) must still accept it.
 */

const CI = { id: 'ci', secret: 'ci-secret-value-7788' };
const PROD_SCOPE = 'audience:server:client_id:prod';

describe('extra audiences: a shared kubelogin client gets tokens for one cluster at a time', () => {
  let s: TestSigil;
  let caFile: string;

  beforeAll(async () => {
    await buildGoVerifier();
    s = await startTestSigil('postgres', {
      staticClients: [
        { id: 'kubectl', public: true, name: 'kubectl' },
        { id: 'prod', public: true, trustedPeers: ['kubectl', CI.id, 'asks-consent'] },
        { id: 'asks-consent', public: true, skipApprovalScreen: false },
        { id: 'staging', public: true, trustedPeers: ['kubectl'] },
        { id: 'lab', public: true },
        {
          id: CI.id,
          secret: CI.secret,
          redirectURIs: ['https://ci.example.com/unused'],
          passwordGrant: true,
        },
      ],
      clusters: [
        {
          name: 'prod',
          server: 'https://prod.example.com:6443',
          clientID: 'prod',
          loginClientID: 'kubectl',
        },
      ],
    });
    caFile = s.config.web.tlsCA!;
  }, 240_000);
  afterAll(async () => {
    await s.close();
  });

  const go = (audience: string, idToken: string) =>
    verifyWithGo(s.issuer, caFile, audience, idToken);

  /** kubelogin's scope for a cluster: its `--oidc-extra-scope` values from the kubeconfig, then openid. */
  function kubeconfigScope(): { clientId: string; scope: string } {
    const kc = buildKubeconfig({ issuer: s.issuer, cluster: s.config.clusters[0]! });
    const args = kc.users[0]!.user.exec.args;
    const value = (flag: string) =>
      args.filter((a) => a.startsWith(`--${flag}=`)).map((a) => a.slice(flag.length + 3));
    return {
      clientId: value('oidc-client-id')[0]!,
      scope: [...value('oidc-extra-scope'), 'openid'].join(' '),
    };
  }

  const codeFlow = (clientId: string, scope: string) =>
    kubeloginTokens(s.client(), ALICE, { clientId, scope });

  /** The audience checks of the three verifiers: prod's API server, kubelogin, staging's API server. */
  async function expectProdOnly(idToken: string, client = 'kubectl'): Promise<void> {
    const claims = decodeJwt(idToken);
    expect(claims.aud).toEqual([client, 'prod']);
    expect(claims['azp']).toBe(client);
    const prod = await go('prod', idToken);
    expect(prod).toMatchObject({ ok: true });
    if (prod.ok) expect(prod.claims['groups']).toEqual(['developers', 'viewers']);
    expect(await go(client, idToken)).toMatchObject({ ok: true });
    expect(await go('staging', idToken)).toEqual({
      ok: false,
      error: expect.stringMatching(/expected audience "staging"/),
    });
  }

  it('the kubeconfig of a cluster with loginClientID logs in with the shared client and asks for the cluster audience', () => {
    const { clientId, scope } = kubeconfigScope();
    expect(clientId).toBe('kubectl');
    expect(scope.split(' ')).toEqual(['email', 'groups', 'offline_access', PROD_SCOPE, 'openid']);
  });

  it('authorization code: aud is [kubectl, prod]; prod and kubelogin accept it, staging does not', async () => {
    const { clientId, scope } = kubeconfigScope();
    const t = await codeFlow(clientId, scope);
    await expectProdOnly(t.id_token);
  });

  it('a refresh keeps the audience; a token without the scope is for kubectl alone', async () => {
    const t = await codeFlow('kubectl', `openid email groups ${PROD_SCOPE}`);
    const r = await refreshGrant(s.client(), t.refresh_token!);
    expect(r.status, r.text).toBe(200);
    await expectProdOnly(r.json<Tokens>().id_token);

    const plain = await codeFlow('kubectl', 'openid email groups');
    const claims = decodeJwt(plain.id_token);
    expect(claims.aud).toBe('kubectl');
    expect(claims['azp']).toBeUndefined();
    expect(await go('prod', plain.id_token)).toMatchObject({ ok: false });
  });

  it('a refresh cannot add an audience the login did not ask for: invalid_scope', async () => {
    const t = await codeFlow('kubectl', 'openid email groups');
    const r = await s.client().post('/token', {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token!,
      client_id: 'kubectl',
      scope: `openid ${PROD_SCOPE}`,
    });
    expect(r.status, r.text).toBe(400);
    expect(r.json()['error']).toBe('invalid_scope');
  });

  it('device flow: the audience scope rides on the device code', async () => {
    const c = s.client();
    const { device_code, user_code } = await startDeviceFlow(
      c,
      `openid email groups ${PROD_SCOPE}`,
    );
    const done = await approveDeviceCode(s.client(), user_code, ALICE);
    expect(done.text).toContain('Device signed in');
    const tok = await pollDeviceToken(c, device_code);
    expect(tok.status, tok.text).toBe(200);
    await expectProdOnly(tok.json<Tokens>().id_token);
  });

  it('password grant: a trusted client gets the audience, an untrusted audience is invalid_scope', async () => {
    const ci = { clientId: CI.id, clientSecret: CI.secret };
    const password = (scope: string) => passwordGrant(s.client(), ci, ALICE, scope);
    const ok = await password(`openid email groups ${PROD_SCOPE}`);
    expect(ok.status, ok.text).toBe(200);
    await expectProdOnly(ok.json<Tokens>().id_token, CI.id);

    const refused = await password('openid audience:server:client_id:staging');
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({
      error: 'invalid_scope',
      error_description: expect.stringContaining('trustedPeers'),
    });
  });

  describe('audiences the client may not ask for: invalid_scope, before any login', () => {
    for (const [what, audience] of [
      ['a client that does not trust kubectl', 'lab'],
      ['an audience that is no client at all', 'nosuch'],
    ] as const) {
      it(`authorization endpoint, ${what}: the error goes back to the loopback listener`, async () => {
        const auth = authPath({
          clientId: 'kubectl',
          redirectUri: LOOPBACK,
          scope: `openid audience:server:client_id:${audience}`,
          state: 'st4te',
        });
        const r = await s.client().get(auth);
        expect(r.status, r.text.slice(0, 300)).toBe(303);
        const back = new URL(r.location!);
        expect(back.origin).toBe(LOOPBACK);
        expect(back.searchParams.get('error')).toBe('invalid_scope');
        expect(back.searchParams.get('state')).toBe('st4te');
      });

      it(`device authorization endpoint, ${what}: 400 invalid_scope`, async () => {
        const r = await s.client().post('/device/auth', {
          client_id: 'kubectl',
          scope: `openid audience:server:client_id:${audience}`,
        });
        expect(r.status, r.text).toBe(400);
        expect(r.json()['error']).toBe('invalid_scope');
      });
    }
  });

  it('the consent page says which other audience the tokens are for', async () => {
    const c = s.client();
    const auth = authPath({
      clientId: 'asks-consent',
      redirectUri: LOOPBACK,
      scope: `openid ${PROD_SCOPE}`,
    });
    let r = await follow(c, await c.get(auth));
    r = await follow(c, await submitLogin(c, r, ALICE));
    expect(r.text).toContain('Allow access');
    expect(r.text).toContain('Tokens that prod accepts as well');
    expect(r.text).not.toContain(PROD_SCOPE);
  });

  it('asking for its own audience changes nothing', async () => {
    const t = await codeFlow('kubectl', 'openid audience:server:client_id:kubectl');
    expect(decodeJwt(t.id_token).aud).toBe('kubectl');
  });

  it('no server error was logged', () => {
    expect(s.logs.filter((l) => typeof l['level'] === 'number' && l['level'] >= 50)).toEqual([]);
  });
});

describe('extra audiences follow the config, not the refresh token', () => {
  it('after a restart without the trust, a refresh token that asked for prod still works, for kubectl alone', async () => {
    const db = await createTestDatabase(inject('pgUrl'));
    const clients = (trusted: boolean) => ({
      staticClients: [
        { id: 'kubectl', public: true },
        { id: 'prod', public: true, trustedPeers: trusted ? ['kubectl'] : [] },
      ],
    });
    try {
      const before = await startTestSigil('postgres', clients(true), { databaseUrl: db.url });
      let refreshToken: string;
      try {
        const t = await kubeloginTokens(before.client(), ALICE, {
          scope: `openid groups ${PROD_SCOPE}`,
        });
        expect(decodeJwt(t.id_token).aud).toEqual(['kubectl', 'prod']);
        refreshToken = t.refresh_token!;
      } finally {
        await before.close();
      }

      const after = await startTestSigil('postgres', clients(false), { databaseUrl: db.url });
      try {
        const r = await refreshGrant(after.client(), refreshToken);
        expect(r.status, r.text).toBe(200);
        const claims = decodeJwt(r.json<Tokens>().id_token);
        expect(claims.aud).toBe('kubectl');
        expect(claims['groups']).toEqual(['developers', 'viewers']);
      } finally {
        await after.close();
      }
    } finally {
      await db.drop();
    }
  }, 120_000);
});
