import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/connectors/static/index.js';
import { queryAuditEvents } from '../../../src/storage/index.js';
import { api, apiConfig, ApiContract, BOB, clientToken, OPS } from '../../support/api.js';
import {
  kubeloginTokens,
  refreshGrant,
  withRefreshToken,
  type RefreshableTokens,
  type Tokens,
} from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { flushAllAudit, startTestSigil, type TestSigil } from '../../support/sigil.js';

/** The approver (sre, and a developer too: she may ask for what she approves). */
const CAROL = {
  username: 'carol',
  password: 'carol approves with a long passphrase',
  userID: '7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
};
/** A bystander: in no group any role names. */
const DAVE = {
  username: 'dave',
  password: 'dave watches with a long passphrase',
  userID: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
};
const GROUP = 'elevated:cluster-admin';

const groupsOf = (t: Tokens): string[] => {
  const g = decodeJwt(t.id_token)['groups'];
  return Array.isArray(g) ? g.map(String) : [];
};

/**
 * The elevation API (issue 16) against a real sigil (PGlite): requests, approvals, ends, the
 * group in the next id_token and gone after the end, every answer checked against the
 * OpenAPI document, every refusal a problem with a reason, audited, and never a grant.
 */
describe('/api/v1/elevations', { timeout: 120_000 }, () => {
  let s: TestSigil;
  let contract: ApiContract;
  let bob: RefreshableTokens;
  let carol: Tokens;
  let dave: Tokens;
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const r = await api(s.client(), method, path, token, body);
    contract.check(method, path, r);
    return r;
  };
  const refreshBob = async (): Promise<RefreshableTokens> => {
    const r = await refreshGrant(s.client(), bob.refresh_token);
    expect(r.status, r.text).toBe(200);
    bob = withRefreshToken(r.json<Tokens>());
    return bob;
  };

  beforeAll(async () => {
    const base = await apiConfig();
    const person = async (u: typeof CAROL, groups: string[]) => ({
      username: u.username,
      email: `${u.username}@example.com`,
      userID: u.userID,
      hash: await hashPassword(u.password),
      groups,
    });
    s = await startTestSigil('pglite', {
      ...base,
      staticPasswords: [
        ...(base.staticPasswords ?? []),
        await person(CAROL, ['sre', 'developers']),
        await person(DAVE, ['visitors']),
      ],
      clusters: [
        { name: 'prod', server: 'https://api.prod.example.com:6443', clientID: 'kubectl' },
      ],
      elevation: {
        roles: [
          {
            name: 'cluster-admin',
            group: GROUP,
            eligible: ['developers'],
            maxDuration: '1h',
            approval: { approvers: ['sre'] },
            requireMFA: false,
            clusters: ['prod'],
          },
          {
            name: 'quick',
            group: 'elevated:quick',
            eligible: ['developers'],
            maxDuration: '10m',
            approval: 'self',
            requireMFA: false,
          },
          {
            name: 'break-glass',
            group: 'elevated:break-glass',
            eligible: ['sre'],
            maxDuration: '30m',
            approval: 'self',
          },
        ],
      },
    });
    contract = new ApiContract((await s.client().get('/api/v1/openapi.json')).json());
    bob = withRefreshToken(await kubeloginTokens(s.client(), { ...BOB, username: 'bob' }));
    carol = await kubeloginTokens(s.client(), CAROL);
    dave = await kubeloginTokens(s.client(), DAVE);
  });
  afterAll(async () => {
    await s.close();
  });

  it('a request, its approval, the group in the next refresh capped at the grant, and gone after an early end', async () => {
    const roles = await call('GET', '/elevations/roles', bob.access_token);
    expect(roles.json<{ items: { name: string }[] }>().items.map((r) => r.name)).toEqual([
      'cluster-admin',
      'quick',
    ]);
    const asked = await call('POST', '/elevations', bob.access_token, {
      role: 'cluster-admin',
      duration: '30m',
      reason: 'INC-4711 etcd restore',
    });
    expect(asked.status, asked.text).toBe(201);
    const id = String(asked.json()['id']);
    expect(asked.json()).toMatchObject({ state: 'pending', user: 'bob', group: GROUP });
    expect(asked.headers['location']).toBe(`/api/v1/elevations/${id}`);
    expect(groupsOf(await refreshBob())).not.toContain(GROUP);

    // Who sees what: bob his own, carol (an approver) everyone's, dave nothing of bob's.
    const own = await call('GET', '/elevations', bob.access_token);
    expect(own.json<{ items: { id: string }[] }>().items.map((e) => e.id)).toEqual([id]);
    const all = await call('GET', '/elevations?state=pending', carol.access_token);
    expect(all.json<{ items: { id: string }[] }>().items.map((e) => e.id)).toContain(id);
    const none = await call('GET', '/elevations', dave.access_token);
    expect(none.json<{ items: unknown[] }>().items).toEqual([]);
    expect((await call('GET', `/elevations/${id}`, dave.access_token)).status).toBe(404);

    const approved = await call('POST', `/elevations/${id}/approve`, carol.access_token, {
      comment: 'go',
    });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json()).toMatchObject({ state: 'active', comment: 'go' });
    const ends = Date.parse(String(approved.json()['ends']));

    // A new login carries it as well as the next refresh of an existing one.
    const fresh = await kubeloginTokens(s.client(), BOB);
    expect(groupsOf(fresh)).toContain(GROUP);
    expect(decodeJwt(fresh.id_token)['exp']).toBeLessThanOrEqual(Math.floor(ends / 1000));
    const elevated = await refreshBob();
    const claims = decodeJwt(elevated.id_token);
    expect(claims['groups']).toContain(GROUP);
    expect(claims['exp']).toBeLessThanOrEqual(Math.floor(ends / 1000));
    await flushAllAudit();
    const issued = await queryAuditEvents(s.server.db, { event: 'elevation.token', limit: 10 });
    expect(issued.map((e) => e.details['jti'])).toContain(claims['jti']);
    expect(issued[issued.length - 1]?.details).toMatchObject({
      elevations: [id],
      sid: claims['sid'],
    });

    const ended = await call('POST', `/elevations/${id}/end`, bob.access_token, {
      comment: 'done',
    });
    expect(ended.status, ended.text).toBe(200);
    expect(ended.json()['state']).toBe('ended');
    expect(groupsOf(await refreshBob())).not.toContain(GROUP);
    const { rows } = await s.server.db.query<{ sid: string; not_before: Date | null }>(
      "SELECT sid, not_before FROM login_revocations WHERE reason = 'elevation_ended'",
    );
    // Both logins that carried the group: the refreshed one and the new one.
    expect(rows.map((r) => r.sid).sort()).toEqual(
      [claims['sid'], decodeJwt(fresh.id_token)['sid']].sort(),
    );
    expect(rows[0]?.not_before).not.toBeNull();
    await flushAllAudit();
    for (const event of ['requested', 'approved', 'activated', 'ended'])
      expect(
        await queryAuditEvents(s.server.db, { event: `elevation.${event}`, limit: 10 }),
        event,
      ).not.toHaveLength(0);
  });

  it('a short self-approved grant: the group is in the next token, and absent once the grant is over', async () => {
    const asked = await call('POST', '/elevations', bob.access_token, {
      role: 'quick',
      duration: 3,
      reason: 'a three second look',
    });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.json()['state']).toBe('active');
    const t = await refreshBob();
    expect(groupsOf(t)).toContain('elevated:quick');
    const exp = Number(decodeJwt(t.id_token)['exp']);
    expect(exp).toBeLessThanOrEqual(Math.floor(Date.parse(String(asked.json()['ends'])) / 1000));
    await pollUntil(
      async () => groupsOf(await refreshBob()),
      (g) => !g.includes('elevated:quick'),
      { what: 'a refresh without the expired group', timeoutMs: 15_000, intervalMs: 500 },
    );
  });

  it.each([
    [
      'an unknown role',
      () => bob,
      { role: 'root', duration: '5m', reason: 'x' },
      404,
      'unknown_role',
    ],
    [
      'a role one is not eligible for',
      () => dave,
      { role: 'cluster-admin', duration: '5m', reason: 'x' },
      403,
      'not_eligible',
    ],
    [
      'a duration over the maximum',
      () => bob,
      { role: 'cluster-admin', duration: '2h', reason: 'x' },
      400,
      'bad_duration',
    ],
    [
      'a negative duration',
      () => bob,
      { role: 'cluster-admin', duration: '-30m', reason: 'x' },
      400,
      'bad_duration',
    ],
    [
      'a duration that is not one',
      () => bob,
      { role: 'cluster-admin', duration: '30 minutes', reason: 'x' },
      400,
      'bad_duration',
    ],
    [
      'an empty reason',
      () => bob,
      { role: 'cluster-admin', duration: '5m', reason: '' },
      400,
      'bad_reason',
    ],
    [
      'a 10 kB reason',
      () => bob,
      { role: 'cluster-admin', duration: '5m', reason: 'r'.repeat(10_240) },
      400,
      'bad_reason',
    ],
    [
      'a self approval without a fresh second factor',
      () => carol,
      { role: 'break-glass', duration: '5m', reason: 'x' },
      403,
      'mfa_required',
    ],
  ])(
    'refuses %s with a problem and its reason, audited, never a grant',
    async (_n, who, body, status, reason) => {
      const before = await s.server.db.query('SELECT id FROM login_elevations');
      const r = await call('POST', '/elevations', who().access_token, body);
      expect(r.status, r.text).toBe(status);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json()['reason']).toBe(reason);
      expect(String(r.json()['detail'])).not.toBe('');
      const after = await s.server.db.query('SELECT id FROM login_elevations');
      expect(after.rows).toHaveLength(before.rows.length);
      await flushAllAudit();
      const refused = await queryAuditEvents(s.server.db, { event: 'elevation.refused', limit: 1 });
      expect(refused[0]?.reason).toBe(reason);
    },
  );

  it('refuses an own approval, a second approval, a bystander, a forged id, a client’s request', async () => {
    const mine = await call('POST', '/elevations', carol.access_token, {
      role: 'cluster-admin',
      duration: '5m',
      reason: 'mine',
    });
    const id = String(mine.json()['id']);
    const own = await call('POST', `/elevations/${id}/approve`, carol.access_token);
    expect([own.status, own.json()['reason']]).toEqual([403, 'own_request']);
    const asked = await call('POST', '/elevations', bob.access_token, {
      role: 'cluster-admin',
      duration: '5m',
      reason: 'twice',
    });
    const bobs = String(asked.json()['id']);
    const bystander = await call('POST', `/elevations/${bobs}/approve`, dave.access_token);
    expect([bystander.status, bystander.json()['reason']]).toEqual([404, 'not_found']);
    expect(
      (await call('POST', `/elevations/${bobs}/deny`, carol.access_token, { comment: 'no' }))
        .status,
    ).toBe(200);
    const again = await call('POST', `/elevations/${bobs}/approve`, carol.access_token);
    expect([again.status, again.json()['reason']]).toEqual([409, 'not_pending']);
    const forged = await call(
      'POST',
      '/elevations/el_AAAAAAAAAAAAAAAAAAAAAA/approve',
      carol.access_token,
    );
    expect([forged.status, forged.json()['reason']]).toEqual([404, 'not_found']);
    const junk = await call('POST', "/elevations/'%20OR%201=1/approve", carol.access_token);
    expect(junk.status).toBe(404);
    const ops = await clientToken(s.client(), OPS);
    const byClient = await call('POST', '/elevations', ops, {
      role: 'quick',
      duration: '1m',
      reason: 'x',
    });
    expect(byClient.status).toBe(403);
    const extra = await call('POST', '/elevations', bob.access_token, {
      role: 'quick',
      duration: '1m',
      reason: 'x',
      approve: true,
    });
    expect(extra.status).toBe(400);
    // An admin client lists everyone's and ends a grant.
    const list = await call('GET', '/elevations?state=pending', ops);
    expect(list.json<{ items: { id: string }[] }>().items.map((e) => e.id)).toContain(id);
    const withdrawn = await call('POST', `/elevations/${id}/end`, carol.access_token);
    expect(withdrawn.json()['state']).toBe('ended');
    const { rows } = await s.server.db.query<{ state: string }>(
      'SELECT state FROM login_elevations WHERE id = ANY($1)',
      [[id, bobs]],
    );
    expect(rows.map((r) => r.state).sort()).toEqual(['denied', 'ended']);
  });
});
