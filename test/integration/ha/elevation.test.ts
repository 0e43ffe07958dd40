import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, type JSONWebKeySet } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { api } from '../../support/api.js';
import { authPath, pkce } from '../../support/auth-request.js';
import { sigilAsync } from '../../support/cli.js';
import { hiddenInput, type Client, type Res } from '../../support/http-client.js';
import { createTestOu, type TestOu } from '../../support/ldap-test-ou.js';
import {
  codeGrant,
  follow,
  kubeloginTokens,
  LOOPBACK,
  refreshGrant,
  submitLogin,
  withRefreshToken,
  type RefreshableTokens,
  type Tokens,
} from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { createTestDatabase } from '../../support/postgres.js';
import { StandInApiServer } from '../../support/stand-in-apiserver.js';
import { startCluster, type Cluster } from './cluster.js';

/**
 * Just-in-time elevation end to end (issue 16): two sigil replicas behind a round-robin proxy
 * on one PostgreSQL, people from the test directory (real slapd): a requester, an approver, a
 * bystander, and an on-call person who must pass a second factor. Tokens are checked by the
 * stand-in API server (test/support/stand-in-apiserver.ts: signature, issuer, audience, expiry,
 * the deny rules sigil serves for the cluster) and a stand-in RBAC check (the elevated group
 * bound to cluster-admin: a stand-in, no kube-apiserver can be obtained here).
 */
const USERS = [
  { uid: 'el-req', name: 'Requester', groups: ['el-devs'] },
  { uid: 'el-appr', name: 'Approver', groups: ['el-sre'] },
  { uid: 'el-by', name: 'Bystander', groups: ['el-visitors'] },
  { uid: 'el-oncall', name: 'On Call', groups: ['el-oncall'] },
];
const GROUP = 'elevated:cluster-admin';
const SYNC_SECRET = 'sync-secret-for-elevation-0123456789';

/** The stand-in RBAC: a ClusterRoleBinding of cluster-admin to the elevated group, nothing else. */
const rbacAllows = (claims: Record<string, unknown>): boolean =>
  Array.isArray(claims['groups']) && claims['groups'].includes(GROUP);

const user = (uid: string) => ({ username: uid, password: `${uid}-pw` });
const claimsOf = (t: Tokens) => decodeJwt(t.id_token);

function appCode(secret: string): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate();
}

function action(page: Res, step: string): string {
  const m = new RegExp(`action="(/interaction/[^"]+/${step})"`).exec(page.text);
  if (m?.[1] === undefined) throw new Error(`no ${step} form on: ${page.text.slice(0, 400)}`);
  return m[1];
}

describe('just-in-time elevation across two replicas', { timeout: 240_000 }, () => {
  let ou: TestOu;
  let c: Cluster;
  let drop: () => Promise<void>;
  let dir: string;
  let apiserver: StandInApiServer;

  beforeAll(async () => {
    ou = await createTestOu('TestElevation', USERS);
    const db = await createTestDatabase(inject('pgUrl'), 'sigil_elevation');
    drop = db.drop;
    c = await startCluster({
      dbUrl: db.url,
      config: {
        enablePasswordDB: false,
        staticPasswords: [],
        connectors: [ou.connector()],
        staticClients: [{ id: 'kubectl', public: true, name: 'kubectl' }],
        clusters: [
          {
            name: 'prod',
            server: 'https://api.prod.example.com:6443',
            clientID: 'kubectl',
            // As in revocation-to-cluster: the stand-in's CEL lacks the optional syntax of
            // the email_verified rule.
            usernameClaim: 'sub',
            syncSecret: SYNC_SECRET,
          },
        ],
        mfa: { required: { groups: ['el-oncall'] } },
        elevation: {
          roles: [
            {
              name: 'cluster-admin',
              group: GROUP,
              eligible: ['el-devs'],
              maxDuration: '1h',
              approval: { approvers: ['el-sre'] },
              requireMFA: false,
              clusters: ['prod'],
            },
            {
              name: 'break-glass',
              group: 'elevated:break-glass',
              eligible: ['el-sre', 'el-oncall'],
              maxDuration: '15m',
              approval: 'self',
            },
          ],
        },
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'sigil-elevation-'));
    apiserver = new StandInApiServer(
      join(dir, 'authentication-config.yaml'),
      (await c.client().get('/jwks')).json<JSONWebKeySet>(),
    );
    await syncCluster();
    await apiserver.start();
    expect(apiserver.failures).toEqual([]);
  }, 180_000);
  afterAll(async () => {
    apiserver.stop();
    await c.close();
    await drop();
    await ou.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** What `sigil kube sync` does, once: the cluster's configuration with the live deny rules. */
  async function syncCluster(): Promise<void> {
    const r = await api(c.client(), 'GET', '/clusters/prod/authentication-config', SYNC_SECRET);
    expect(r.status, r.text).toBe(200);
    const config = r.json()['authenticationConfiguration'];
    await writeFile(join(dir, 'authentication-config.yaml'), stringify(config), { mode: 0o600 });
    await apiserver.reload();
  }

  /** The stand-in API server's answer for a token: authenticated, and allowed by RBAC. */
  async function kube(t: Tokens): Promise<'unauthenticated' | 'forbidden' | 'allowed'> {
    const v = await apiserver.authenticate(t.id_token);
    if (!v.ok) return 'unauthenticated';
    return rbacAllows(claimsOf(t)) ? 'allowed' : 'forbidden';
  }

  async function refresh(t: RefreshableTokens): Promise<RefreshableTokens> {
    const r = await refreshGrant(c.client(), t.refresh_token);
    expect(r.status, r.text).toBe(200);
    return withRefreshToken(r.json<Tokens>());
  }

  const login = async (uid: string) =>
    withRefreshToken(await kubeloginTokens(c.client(), user(uid)));

  it('forbidden before approval, allowed after approval and a refresh, forbidden again after the end; every step in sigil audit', async () => {
    let req = await login('el-req');
    const appr = await login('el-appr');
    const by = await login('el-by');
    expect(await kube(req)).toBe('forbidden');

    const asked = await api(c.client(), 'POST', '/elevations', req.access_token, {
      role: 'cluster-admin',
      duration: '30m',
      reason: 'INC-9 restore etcd',
    });
    expect(asked.status, asked.text).toBe(201);
    const id = String(asked.json()['id']);
    // Neither the bystander nor the requester can approve it; the approver sees it pending.
    const byTry = await api(c.client(), 'POST', `/elevations/${id}/approve`, by.access_token);
    expect([byTry.status, byTry.json()['reason']]).toEqual([404, 'not_found']);
    const own = await api(c.client(), 'POST', `/elevations/${id}/approve`, req.access_token);
    expect([own.status, own.json()['reason']]).toEqual([403, 'own_request']);
    req = await refresh(req);
    expect(await kube(req)).toBe('forbidden');

    const ok = await api(c.client(), 'POST', `/elevations/${id}/approve`, appr.access_token, {
      comment: 'approved for INC-9',
    });
    expect(ok.status, ok.text).toBe(200);
    const endsAt = Date.parse(String(ok.json()['ends']));
    // Two refreshes: one lands on each replica, both carry the group, capped at the grant.
    const elevated: RefreshableTokens[] = [];
    for (let i = 0; i < 2; i++) {
      req = await refresh(req);
      elevated.push(req);
      expect(claimsOf(req)['groups']).toContain(GROUP);
      expect(Number(claimsOf(req)['exp'])).toBeLessThanOrEqual(Math.floor(endsAt / 1000));
      expect(await kube(req)).toBe('allowed');
    }
    const early = elevated[0] as RefreshableTokens;

    // The approver ends it early: the next refresh lacks the group, and once the cluster has
    // the deny rules the elevated tokens stop working before their exp.
    const ended = await api(c.client(), 'POST', `/elevations/${id}/end`, appr.access_token);
    expect(ended.status, ended.text).toBe(200);
    req = await refresh(req);
    expect(claimsOf(req)['groups']).not.toContain(GROUP);
    expect(await kube(early)).toBe('allowed'); // the cluster has not synced yet
    await syncCluster();
    expect(await kube(early)).toBe('unauthenticated');
    expect(await apiserver.authenticate(early.id_token)).toMatchObject({
      reason: expect.stringContaining('elevation') as unknown,
    });
    // The refresh right after the end (even in the same second: sigil holds it back until
    // the next) is accepted by the cluster, and carries no elevated group.
    expect(await kube(req)).toBe('forbidden');
    req = await refresh(req);
    expect(await kube(req)).toBe('forbidden');

    const audit = await sigilAsync([
      'audit',
      '--config',
      c.configFile(0),
      '--event',
      'elevation.*',
      '--user',
      'el-req',
      '--json',
    ]);
    expect(audit.status, audit.stderr).toBe(0);
    const lines = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; details: Record<string, unknown> });
    const events = lines.map((l) => l.event);
    for (const e of ['requested', 'approved', 'activated', 'token', 'ended'])
      expect(events, e).toContain(`elevation.${e}`);
    expect(events.filter((e) => e === 'elevation.refused')).toHaveLength(1); // own approval
    const tokenLines = lines.filter((l) => l.event === 'elevation.token');
    expect(tokenLines.map((l) => l.details['jti'])).toEqual(
      expect.arrayContaining(elevated.map((t) => claimsOf(t)['jti'])),
    );
    const requested = lines.find((l) => l.event === 'elevation.requested');
    expect(requested?.details).toMatchObject({ reason: 'INC-9 restore etcd', durationSec: 1800 });

    const list = await sigilAsync([
      'elevations',
      'list',
      '--user',
      'el-req',
      '--config',
      c.configFile(1),
    ]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(`${id}  ended  user=el-req  role=cluster-admin`);
  });

  it('a grant that runs out: the group disappears from the next refresh on every replica', async () => {
    let req = await login('el-req');
    const appr = await login('el-appr');
    const asked = await api(c.client(), 'POST', '/elevations', req.access_token, {
      role: 'cluster-admin',
      duration: '4s',
      reason: 'short look',
    });
    const id = String(asked.json()['id']);
    expect(
      (await api(c.client(), 'POST', `/elevations/${id}/approve`, appr.access_token)).status,
    ).toBe(200);
    req = await refresh(req);
    expect(await kube(req)).toBe('allowed');
    await pollUntil(
      async () => (req = await refresh(req)),
      (t) => !(claimsOf(t)['groups'] as string[]).includes(GROUP),
      {
        what: 'a refresh without the group after the grant ran out',
        timeoutMs: 20_000,
        intervalMs: 500,
      },
    );
    req = await refresh(req);
    expect(await kube(req)).toBe('forbidden');
    const active = await sigilAsync([
      'elevations',
      'list',
      '--active',
      '--config',
      c.configFile(0),
    ]);
    expect(active.stdout).not.toContain(id);
  });

  it('self approval: refused without a fresh second factor, granted with one', async () => {
    const appr = await login('el-appr');
    const without = await api(c.client(), 'POST', '/elevations', appr.access_token, {
      role: 'break-glass',
      duration: '5m',
      reason: 'pager',
    });
    expect([without.status, without.json()['reason']]).toEqual([403, 'mfa_required']);

    const oncall = await mfaLogin(c.client(), 'el-oncall');
    expect(claimsOf(oncall)['acr']).toBe('urn:sigil:mfa');
    const granted = await api(c.client(), 'POST', '/elevations', oncall.access_token, {
      role: 'break-glass',
      duration: '5m',
      reason: 'pager: api server down',
    });
    expect(granted.status, granted.text).toBe(201);
    expect(granted.json()).toMatchObject({ state: 'active', decidedBy: { kind: 'person' } });
    const next = await refresh(oncall);
    expect(claimsOf(next)['groups']).toContain('elevated:break-glass');
  });

  it('the CLI answers bad input with one line, never a stack', async () => {
    for (const args of [
      ['elevations', 'end', "el_'; DROP TABLE login_elevations; --"],
      ['elevations', 'end', 'el_AAAAAAAAAAAAAAAAAAAAAA'],
      ['elevations', 'list', '--limit', '0'],
      ['elevations', 'list', '--limit', 'many'],
    ]) {
      const r = await sigilAsync([...args, '--config', c.configFile(0)]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^sigil: /);
    }
  });

  /** A kubelogin login of an on-call person: password, then enrollment of an authenticator app. */
  async function mfaLogin(client: Client, uid: string): Promise<RefreshableTokens> {
    const { verifier, challenge } = pkce();
    const path = authPath({
      clientId: 'kubectl',
      redirectUri: LOOPBACK,
      scope: 'openid groups offline_access',
      challenge,
      state: 'st',
    });
    const form = await follow(client, await client.get(path));
    const page = await follow(client, await submitLogin(client, form, user(uid)));
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.text)?.[1] ?? '';
    expect(secret, page.text.slice(0, 300)).not.toBe('');
    const recovery = await client.post(action(page, 'mfa-enroll'), {
      csrf: hiddenInput(page.text, 'csrf'),
      ticket: hiddenInput(page.text, 'ticket'),
      method: 'totp',
      factor: hiddenInput(page.text, 'factor'),
      code: appCode(secret),
    });
    expect(recovery.status, recovery.text.slice(0, 300)).toBe(200);
    const done = await follow(
      client,
      await client.post(action(recovery, 'mfa-done'), {
        csrf: hiddenInput(recovery.text, 'csrf'),
        ticket: hiddenInput(recovery.text, 'ticket'),
      }),
    );
    expect(done.status, done.text.slice(0, 300)).toBe(303);
    const code = new URL(done.location ?? '').searchParams.get('code') ?? '';
    const r = await codeGrant(
      c.client(),
      { code, verifier },
      { clientId: 'kubectl', redirectUri: LOOPBACK },
    );
    expect(r.status, r.text).toBe(200);
    return withRefreshToken(r.json<Tokens>());
  }
});
