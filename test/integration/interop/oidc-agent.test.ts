import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backdateConsumption } from '../../support/clock.js';
import { approveDeviceCode, DEVICE_GRANT } from '../../support/device-page.js';
import { startOidcAgent, type OidcAgent, type RunningTool } from '../../support/oidc-agent.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

/**
 * oidc-agent (Debian oidc-agent-cli 4.x) is a third-party OIDC client: oidc-gen logs in with
 * the device flow, the agent keeps the refresh token and oidc-token gets access tokens by
 * refreshing. Everything here goes through sigil's real TLS, device page and token endpoint.
 */

const AGENT_CLIENT = { id: 'oidc-agent', secret: 'oidc-agent-secret-0123456789' };
const SCOPE = 'openid email groups offline_access';

interface Grant {
  grantType: unknown;
  clientId: string | undefined;
}

describe('oidc-agent: device-flow login and refresh as a real third-party client', () => {
  let s: TestSigil;
  let agent: OidcAgent;
  let caFile: string;
  const grants: Grant[] = [];
  const running: RunningTool[] = [];

  beforeAll(async () => {
    s = await startTestSigil('postgres', {
      staticClients: [
        { id: 'kubectl', public: true, name: 'kubectl' },
        {
          id: AGENT_CLIENT.id,
          secret: AGENT_CLIENT.secret,
          name: 'oidc-agent',
          // oidc-agent's own code-flow default; unused by the device flow but required by sigil.
          redirectURIs: ['http://localhost:4242'],
        },
      ],
      // Short, so the second refresh below happens after the reuse window of the first.
      expiry: { refreshTokens: { reuseInterval: '1s' } },
    });
    s.server.provider().on('grant.success', (ctx: KoaContextWithOIDC) => {
      grants.push({
        grantType: (ctx.oidc.params as Record<string, unknown> | undefined)?.['grant_type'],
        clientId: ctx.oidc.client?.clientId,
      });
    });
    agent = await startOidcAgent({ alwaysAllowIdToken: true });
    caFile = agent.writeCa(s.ca);
  });
  afterAll(async () => {
    for (const t of running) t.kill();
    await agent.stop();
    await s.close();
  });

  function oidcGen(shortname: string, clientId: string, clientSecret: string): RunningTool {
    const t = agent.start('oidc-gen', [
      shortname,
      `--issuer=${s.issuer}`,
      `--client-id=${clientId}`,
      `--client-secret=${clientSecret}`,
      '--flow=device',
      `--scope=${SCOPE}`,
      `--cert-path=${caFile}`,
      '--pw-cmd=echo test-encryption-pw',
      '--confirm-yes',
      '--prompt=none',
      '--no-url-call',
    ]);
    running.push(t);
    return t;
  }

  /** oidc-gen prints the verification URI and the user code, then polls until approved. */
  async function loginWithDeviceFlow(gen: RunningTool): Promise<void> {
    const uri = (await gen.waitFor(/visit:\s*(https:\/\/\S+)/, 20_000))[1];
    const userCode = (await gen.waitFor(/enter the code:\s*([A-Z]{4}-[A-Z]{4})/, 5_000))[1]!;
    expect(uri).toBe(`${s.issuer}/device`);
    const page = await approveDeviceCode(s.client(), userCode, ALICE);
    expect(page.text).toContain('Device signed in');
    const result = await Promise.race([
      gen.done,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`oidc-gen still polling:\n${gen.output()}`)), 30_000),
      ),
    ]);
    expect(result.code, gen.output()).toBe(0);
  }

  async function me(accessToken: string): Promise<Record<string, unknown>> {
    const r = await s.client().get('/me', { authorization: `Bearer ${accessToken}` });
    expect(r.status, r.text).toBe(200);
    return r.json();
  }

  async function token(args: string[]): Promise<string> {
    const r = await agent.run('oidc-token', args);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const value = r.stdout.trim();
    expect(value).not.toBe('');
    return value;
  }

  it('oidc-gen logs in through the device flow (code typed on sigil device page) and stores the account in the agent', async () => {
    const before = grants.length;
    await loginWithDeviceFlow(oidcGen('sigil', AGENT_CLIENT.id, AGENT_CLIENT.secret));
    expect(grants.slice(before)).toContainEqual({
      grantType: DEVICE_GRANT,
      clientId: AGENT_CLIENT.id,
    });
    const list = await agent.run('oidc-add', ['--loaded']);
    expect(list.stdout).toContain('sigil');
  });

  it('oidc-token gets access tokens by refreshing: new tokens each time, accepted by /me, id_token verifies', async () => {
    const cached = await token(['sigil']);
    expect((await me(cached))['sub']).toBe(ALICE.userID);

    const before = grants.length;
    const refreshed = await token(['--force-new', 'sigil']);
    expect(refreshed).not.toBe(cached);
    expect(grants.slice(before)).toEqual([
      { grantType: 'refresh_token', clientId: AGENT_CLIENT.id },
    ]);
    const claims = await me(refreshed);
    expect(claims['sub']).toBe(ALICE.userID);
    expect(claims['email']).toBe(ALICE.email);
    expect(claims['groups']).toEqual(['developers', 'viewers']);

    // Past the reuse window (1 s) of the first refresh: every spent refresh token is made
    // 1.5 s old (a confidential client's rotates only late in its life, so there may be none).
    // oidc-agent must use the refresh token it holds now, or this refresh revokes the login.
    await backdateConsumption(s.server.db, 1500);
    const again = await token(['--force-new', 'sigil']);
    expect(again).not.toBe(refreshed);
    expect(grants.slice(before).map((g) => g.grantType)).toEqual([
      'refresh_token',
      'refresh_token',
    ]);
    expect((await me(again))['sub']).toBe(ALICE.userID);

    // The id_token oidc-agent holds (from its last refresh) is sigil's, for this client.
    const idToken = await token(['--id-token', 'sigil']);
    const jwks = createLocalJWKSet((await s.client().get('/jwks')).json<JSONWebKeySet>());
    const { payload } = await jwtVerify(idToken, jwks, {
      issuer: s.issuer,
      audience: AGENT_CLIENT.id,
      algorithms: ['RS256'],
    });
    expect(payload.sub).toBe(ALICE.userID);
    expect(payload['groups']).toEqual(['developers', 'viewers']);

    const logs = s.rawLogs();
    for (const t of [cached, refreshed, again, idToken]) expect(logs).not.toContain(t);
  });

  // Known gap (see the report of this test's author): oidc-agent sends every request with
  // HTTP Basic `client_id:` and an EMPTY password when the client has no secret (the way
  // Dex's public clients are used). oidc-provider refuses that with `invalid_request:
  // client_secret must be provided in the Authorization header` at /device/auth, so oidc-agent
  // cannot use sigil's public `kubectl` client. Flip to `it` when sigil treats an empty-password
  // Basic header from a public client as `none` authentication.
  it('oidc-agent with the public kubectl client (no secret) logs in with the device flow', async () => {
    await loginWithDeviceFlow(oidcGen('sigil-public', 'kubectl', ''));
    const at = await token(['--force-new', 'sigil-public']);
    expect((await me(at))['sub']).toBe(ALICE.userID);
  });
});
