import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/connectors/static/index.js';
import { queryAuditEvents } from '../../../src/storage/index.js';
import { api, apiConfig, ApiContract, BOB, personTokens } from '../../support/api.js';
import type { Res } from '../../support/http-client.js';
import { pollUntil } from '../../support/poll.js';
import { flushAllAudit, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { CRLF, LDAPI, LONG, NUL, SQLI, TEMPLATE, XSS, expectSafe } from './support.js';

const CAROL = {
  username: 'carol',
  password: 'carol approves with a long passphrase',
  userID: '7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
};

/** A refusal: a problem document (with the service's reason when it has one), never a 5xx. */
function expectRefused(r: Res, status: number, reason: string | undefined, what: string): void {
  expectSafe(r, what);
  expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBe(status);
  expect(r.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  if (reason !== undefined) expect(r.json()['reason'], what).toBe(reason);
  expect(r.text, what).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

/**
 * Hostile input to /api/v1/elevations (issue 16): every bad request of the issue is refused
 * with a clear problem, audited (`elevation.refused` where the service decided), and nothing
 * is ever granted; no answer is a 5xx.
 */
describe('hostile input: elevations', { timeout: 120_000 }, () => {
  let s: TestSigil;
  let contract: ApiContract;
  let bob: string;
  let carol: string;

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const r = await api(s.client(), method, path, token, body);
    expectSafe(r, `${method} ${path}`);
    return r;
  };
  const activeGrants = async () =>
    (await s.server.db.query("SELECT id FROM login_elevations WHERE state = 'active'")).rows.length;
  const refusals = async () => {
    await flushAllAudit();
    return (await queryAuditEvents(s.server.db, { event: 'elevation.refused', limit: 1000 }))
      .length;
  };

  beforeAll(async () => {
    const base = await apiConfig();
    s = await startTestSigil('pglite', {
      ...base,
      staticPasswords: [
        ...(base.staticPasswords ?? []),
        {
          username: CAROL.username,
          email: 'carol@example.com',
          userID: CAROL.userID,
          hash: await hashPassword(CAROL.password),
          groups: ['sre', 'developers'],
        },
      ],
      elevation: {
        pendingTimeout: '2s',
        roles: [
          {
            name: 'cluster-admin',
            group: 'elevated:cluster-admin',
            eligible: ['developers'],
            maxDuration: '1h',
            approval: { approvers: ['sre'] },
            requireMFA: false,
          },
        ],
      },
    });
    contract = new ApiContract((await s.client().get('/api/v1/openapi.json')).json());
    bob = (await personTokens(s.client(), BOB, 'openid groups')).access_token;
    carol = (await personTokens(s.client(), CAROL, 'openid groups')).access_token;
  });
  afterAll(async () => {
    await s.close();
  });

  it.each([
    ['GET', '/elevations'],
    ['POST', '/elevations', { role: 'cluster-admin', duration: '5m', reason: 'x' }],
    ['GET', '/elevations/roles'],
    ['GET', '/elevations/el_AAAAAAAAAAAAAAAAAAAAAA'],
    ['POST', '/elevations/el_AAAAAAAAAAAAAAAAAAAAAA/approve', {}],
    ['POST', '/elevations/el_AAAAAAAAAAAAAAAAAAAAAA/deny', {}],
    ['POST', '/elevations/el_AAAAAAAAAAAAAAAAAAAAAA/end', {}],
  ] as const)('%s %s without a token: a 401 problem', async (m, p, b?: unknown) => {
    const r = await call(m, p, undefined, b);
    expectRefused(r, 401, undefined, `${m} ${p}`);
    contract.check(m, p, r);
  });

  it.each([
    ['not a duration', { duration: 'soon' }, 400, 'bad_duration'],
    ['a negative duration', { duration: '-5m' }, 400, 'bad_duration'],
    ['zero', { duration: 0 }, 400, 'bad_duration'],
    ['a fraction of a second', { duration: 0.5 }, 400, 'bad_duration'],
    ['over the maximum', { duration: '61m' }, 400, 'bad_duration'],
    ['a huge number', { duration: 1e308 }, 400, 'bad_duration'],
    ['a huge duration', { duration: '99999999999999h' }, 400, 'bad_duration'],
    ['an empty reason', { reason: '' }, 400, 'bad_reason'],
    ['a blank reason', { reason: ' \n\t ' }, 400, 'bad_reason'],
    ['a 10 kB reason', { reason: 'r'.repeat(10_240) }, 400, 'bad_reason'],
    ['a NUL in the reason', { reason: NUL }, 400, 'bad_reason'],
    ['an escape sequence in the reason', { reason: 'ok\u001b[31mred' }, 400, 'bad_reason'],
    ['an unknown role', { role: 'root' }, 404, 'unknown_role'],
    ['an injected role', { role: SQLI }, 404, 'unknown_role'],
    ['an LDAP filter as role', { role: LDAPI }, 404, 'unknown_role'],
  ] as const)('a request with %s is refused, audited, never a grant', async (_n, over, st, why) => {
    const before = await refusals();
    const body = { role: 'cluster-admin', duration: '5m', reason: 'INC-1', ...over };
    const r = await call('POST', '/elevations', bob, body);
    expectRefused(r, st, why, JSON.stringify(over).slice(0, 80));
    contract.check('POST', '/elevations', r);
    expect(await refusals()).toBe(before + 1);
    expect(await activeGrants()).toBe(0);
  });

  it.each([
    ['a role that is a number', { role: 7, duration: '5m', reason: 'x' }],
    ['a reason that is an object', { role: 'cluster-admin', duration: '5m', reason: { a: 1 } }],
    ['a duration that is a list', { role: 'cluster-admin', duration: ['5m'], reason: 'x' }],
    ['no reason', { role: 'cluster-admin', duration: '5m' }],
    ['an extra field', { role: 'cluster-admin', duration: '5m', reason: 'x', state: 'active' }],
    ['a list body', [{ role: 'cluster-admin' }]],
    ['a body that is not JSON', '{"role": "cluster-admin", '],
    ['a 100 kB role', { role: LONG, duration: '5m', reason: 'x' }],
  ])('a malformed request (%s) is a 4xx problem, never a grant', async (_n, body) => {
    const r = await call('POST', '/elevations', bob, body);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await activeGrants()).toBe(0);
  });

  it.each([SQLI, XSS, TEMPLATE, CRLF.replace(/\r\n/g, ''), 'el_', `el_${'A'.repeat(23)}`, LONG])(
    'a forged or hostile id (%#) is a 404 on every call',
    async (id) => {
      const path = `/elevations/${encodeURIComponent(id)}`;
      for (const [m, suffix] of [
        ['GET', ''],
        ['POST', '/approve'],
        ['POST', '/deny'],
        ['POST', '/end'],
      ] as const) {
        const r = await call(m, `${path}${suffix}`, carol);
        expect([404, 414, 431], `${m} ${suffix}`).toContain(r.status);
        if (r.status === 404) expect(r.headers['content-type']).toMatch(/problem\+json/);
      }
      expect(await activeGrants()).toBe(0);
    },
  );

  it.each([
    ['state=granted', 400],
    ['state=active&state=pending', 400],
    [`user=${encodeURIComponent(NUL)}`, 400],
    [`cursor=${encodeURIComponent(SQLI)}`, 400],
    ['limit=0', 400],
    ['limit=100000', 400],
    ['color=red', 400],
    [`user=${encodeURIComponent(SQLI)}`, 200],
  ] as const)('GET /elevations?%s is answered %i, never a 5xx', async (q, status) => {
    const r = await call('GET', `/elevations?${q}`, carol);
    expect(r.status, r.text).toBe(status);
    contract.check('GET', `/elevations?${q}`, r);
  });

  it('own approval, a second approval and an approval after expiry are refused and audited', async () => {
    const mine = await call('POST', '/elevations', carol, {
      role: 'cluster-admin',
      duration: '5m',
      reason: 'mine',
    });
    const id = String(mine.json()['id']);
    expect(mine.status, mine.text).toBe(201);
    const before = await refusals();
    expectRefused(
      await call('POST', `/elevations/${id}/approve`, carol),
      403,
      'own_request',
      'own',
    );
    const asked = await call('POST', '/elevations', bob, {
      role: 'cluster-admin',
      duration: '5m',
      reason: 'twice',
    });
    const bobs = String(asked.json()['id']);
    // Approving twice at once: one wins, the other is a 409.
    const both = await Promise.all([
      call('POST', `/elevations/${bobs}/approve`, carol),
      call('POST', `/elevations/${bobs}/approve`, carol),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)?.json()['reason']).toBe('not_pending');
    // The pending timeout is 2 s here: a request nobody decided expires; approving it is refused.
    const late = await call('POST', '/elevations', bob, {
      role: 'cluster-admin',
      duration: '5m',
      reason: 'late',
    });
    const lateId = String(late.json()['id']);
    await pollUntil(
      async () => (await call('GET', `/elevations/${lateId}`, bob)).json()['state'],
      (st) => st === 'expired',
      { what: 'the pending request to expire', timeoutMs: 10_000, intervalMs: 250 },
    );
    expectRefused(
      await call('POST', `/elevations/${lateId}/approve`, carol),
      409,
      'request_expired',
      'after expiry',
    );
    expect(await refusals()).toBe(before + 3);
    const { rows } = await s.server.db.query<{ id: string; state: string }>(
      "SELECT id, state FROM login_elevations WHERE state = 'active'",
    );
    expect(rows.map((r) => r.id)).toEqual([bobs]);
  });
});
