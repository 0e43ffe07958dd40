import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAllAudit } from '../../support/sigil.js';
import {
  api,
  apiConfig,
  ApiContract,
  BOB,
  clientToken,
  OPS,
  personTokens,
} from '../../support/api.js';
import type { Res } from '../../support/http-client.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { CRLF, LDAPI, LONG, NUL, SQLI, TEMPLATE, XSS, expectSafe } from './support.js';

/** Every answer of the API to hostile input: a problem document, never data, never a 5xx. */
function expectProblem(r: Res, status: number, slug: string, what = ''): void {
  expectSafe(r, what);
  expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBe(status);
  expect(r.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  const body = r.json();
  expect(body['type'], what).toBe(`urn:sigil:problem:${slug}`);
  expect(body, what).not.toHaveProperty('items');
  expect(r.text, what).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

const ADMIN_CALLS: readonly [string, string, unknown?][] = [
  ['GET', '/sessions'],
  ['GET', '/sessions/AAAAAAAAAAAAAAAAAAAAAA'],
  ['DELETE', '/sessions/AAAAAAAAAAAAAAAAAAAAAA'],
  ['POST', '/sessions/revoke', { user: 'alice' }],
  ['GET', '/users'],
  ['GET', '/users/nobody/mfa'],
  ['DELETE', '/users/nobody/mfa'],
  ['GET', '/keys'],
  ['POST', '/keys/rotate', {}],
  ['POST', '/keys/nope/revoke', {}],
  ['GET', '/audit'],
];

describe('hostile input: the admin API', () => {
  let s: TestSigil;
  let contract: ApiContract;
  let admin: string;
  let bob: string;
  let aliceWithoutScope: string;

  beforeAll(async () => {
    s = await startTestSigil('pglite', await apiConfig());
    contract = new ApiContract((await s.client().get('/api/v1/openapi.json')).json());
    admin = await clientToken(s.client(), OPS);
    bob = (await personTokens(s.client(), BOB)).access_token;
    aliceWithoutScope = (await personTokens(s.client(), ALICE, 'openid groups')).access_token;
  });
  afterAll(async () => {
    await s.close();
  });

  it.each(ADMIN_CALLS)(
    '%s %s: no token is 401, a non-admin is 403, never data',
    async (m, p, b) => {
      const none = await api(s.client(), m, p, undefined, b);
      expectProblem(none, 401, 'unauthenticated', `${m} ${p} without a token`);
      contract.check(m, p, none);
      for (const [who, token] of [
        ['a person outside admin.groups', bob],
        ['an admin person whose token lacks sigil:admin', aliceWithoutScope],
      ] as const) {
        const r = await api(s.client(), m, p, token, b);
        expectProblem(r, 403, 'forbidden', `${m} ${p} as ${who}`);
        contract.check(m, p, r);
      }
    },
  );

  it('refuses expired, revoked and foreign tokens with 401', async () => {
    // Another issuer's token: a well-formed JWT signed by nobody sigil knows.
    const foreign =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6Im90aGVyIn0.eyJpc3MiOiJodHRwczovL290aGVyLmV4YW1wbGUuY29tIiwic2NvcGUiOiJzaWdpbDphZG1pbiJ9.c2lnbmF0dXJl';
    expectProblem(await api(s.client(), 'GET', '/sessions', foreign), 401, 'unauthenticated');
    // A revoked token: the admin person's own login, ended through the API.
    const alice = await personTokens(s.client(), ALICE);
    const ok = await api(s.client(), 'GET', '/whoami', alice.access_token);
    expect(ok.json()['admin']).toBe(true);
    const sid = JSON.parse(Buffer.from(alice.id_token.split('.')[1]!, 'base64url').toString())[
      'sid'
    ] as string;
    expect((await api(s.client(), 'DELETE', `/sessions/${sid}`, admin)).status).toBe(200);
    const revoked = await api(s.client(), 'GET', '/sessions', alice.access_token);
    expectProblem(revoked, 401, 'unauthenticated', 'a revoked token');
    expect(revoked.headers['www-authenticate']).toContain('invalid_token');
    // An expired token: its row past expiry (the adapter hides expired rows, like the GC).
    const old = await clientToken(s.client(), OPS);
    await s.server.db.query(
      "UPDATE oidc_payload SET expires_at = now() - interval '1 second' WHERE kind = 'ClientCredentials'",
    );
    expectProblem(
      await api(s.client(), 'GET', '/sessions', old),
      401,
      'unauthenticated',
      'expired',
    );
    admin = await clientToken(s.client(), OPS);
  });

  it('malformed JSON, unknown fields, wrong types and media types are 400/415 problems', async () => {
    const cases: [unknown, number, string][] = [
      ['{"user": ', 400, 'bad-request'],
      ['[1,2,3]', 400, 'bad-request'],
      ['"alice"', 400, 'bad-request'],
      [{ user: 'alice', admin: true }, 400, 'bad-request'],
      ['{"user":"alice","__proto__":{"polluted":1}}', 400, 'bad-request'],
      [{ user: 12 }, 400, 'bad-request'],
      [{}, 400, 'bad-request'],
      [{ user: 'alice', sub: 'x' }, 400, 'bad-request'],
      [{ user: 'alice', reason: XSS }, 400, 'bad-request'],
      [{ user: NUL }, 400, 'bad-request'],
    ];
    for (const [body, status, slug] of cases) {
      const r = await api(s.client(), 'POST', '/sessions/revoke', admin, body);
      expectProblem(r, status, slug, JSON.stringify(body));
      contract.check('POST', '/sessions/revoke', r);
    }
    const form = await s.client().request('POST', '/api/v1/sessions/revoke', {
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/plain' },
      body: 'user=alice',
    });
    expectProblem(form, 415, 'unsupported-media-type');
    const huge = await api(s.client(), 'POST', '/sessions/revoke', admin, {
      user: LONG.repeat(20),
    });
    expectSafe(huge, 'huge body');
    expect([400, 413]).toContain(huge.status);
    expect(huge.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('huge pages, unknown parameters and SQL-looking filters are refused or match nothing', async () => {
    for (const q of [
      'limit=100000',
      'limit=0',
      'limit=-1',
      'limit=abc',
      'nope=1',
      'user=a&user=b',
      'active=maybe',
      'cursor=%27%20OR%201%3D1',
    ])
      expectProblem(await api(s.client(), 'GET', `/sessions?${q}`, admin), 400, 'bad-request', q);
    for (const q of ['since=yesterday', 'outcome=pwned', 'cursor=abc', `event=${'A'.repeat(100)}`])
      expectProblem(await api(s.client(), 'GET', `/audit?${q}`, admin), 400, 'bad-request', q);
    for (const value of [SQLI, LDAPI, XSS, TEMPLATE, '%', '_', CRLF.replace(/\r\n/g, ' ')]) {
      const q = `user=${encodeURIComponent(value)}`;
      for (const path of ['/sessions', '/users', '/audit']) {
        const r = await api(s.client(), 'GET', `${path}?${q}`, admin);
        expectSafe(r, `${path} ${value}`);
        expect(r.status, `${path} ${value}`).toBe(200);
        contract.check('GET', path, r);
        expect(r.json<{ items: unknown[] }>().items, `${path} ${value}`).toEqual([]);
      }
      const revoke = await api(s.client(), 'POST', '/sessions/revoke', admin, { user: value });
      expectProblem(revoke, 404, 'not-found', `revoke ${value}`);
    }
    await flushAllAudit();
    const { rows } = await s.server.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_events',
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });

  it('an unknown or ended session is a 404 problem, not a 500', async () => {
    for (const id of [
      'AAAAAAAAAAAAAAAAAAAAAA',
      'short',
      encodeURIComponent(SQLI),
      'A'.repeat(300),
    ]) {
      for (const m of ['GET', 'DELETE']) {
        const r = await api(s.client(), m, `/sessions/${id}`, admin);
        expectProblem(r, 404, 'not-found', `${m} ${id}`);
        const mfa = await api(s.client(), m, `/users/${id}/mfa`, admin);
        expectProblem(mfa, 404, 'not-found', `${m} mfa of ${id}`);
        contract.check(m, '/users/{sub}/mfa', mfa);
      }
    }
    const key = await api(
      s.client(),
      'POST',
      `/keys/${encodeURIComponent(SQLI)}/revoke`,
      admin,
      {},
    );
    expectProblem(key, 404, 'not-found', 'revoke an unknown key');
    const unknownKid = await api(s.client(), 'POST', '/keys/no-such-kid/revoke', admin, {});
    expectProblem(unknownKid, 404, 'not-found', 'revoke a kid nobody has');
    contract.check('POST', '/keys/no-such-kid/revoke', unknownKid);
  });

  it('admin reads answer as the document says, and every call is audited with its actor', async () => {
    for (const p of ['/sessions?active=false', '/users', '/keys', '/audit?limit=5']) {
      const r = await api(s.client(), 'GET', p, admin);
      expect(r.status, `${p}: ${r.text}`).toBe(200);
      contract.check('GET', p, r);
    }
    const rotate = await api(s.client(), 'POST', '/keys/rotate', admin, { now: false });
    expect(rotate.status, rotate.text).toBe(200);
    contract.check('POST', '/keys/rotate', rotate);
    const page1 = await api(s.client(), 'GET', '/audit?event=api.called&limit=2', admin);
    const first = page1.json<{
      items: { id: string; details: Record<string, unknown> }[];
      next: string;
    }>();
    expect(first.items).toHaveLength(2);
    expect(first.items[0]?.details['actor']).toEqual({ kind: 'client', id: 'ops' });
    const page2 = await api(
      s.client(),
      'GET',
      `/audit?event=api.called&limit=2&cursor=${first.next}`,
      admin,
    );
    contract.check('GET', '/audit', page2);
    const second = page2.json<{ items: { id: string }[] }>();
    expect(Number(second.items[0]?.id)).toBeLessThan(Number(first.items[1]?.id));
  });
});
