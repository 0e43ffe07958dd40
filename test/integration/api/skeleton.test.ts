import { Validator } from '@seriousme/openapi-schema-validator';
import { flushAllAudit } from '../../support/sigil.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  apiConfig,
  ApiContract,
  BOB,
  clientToken,
  OPS,
  OTHER,
  personTokens,
} from '../../support/api.js';
import { tokenRequest } from '../../support/oidc-flow.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

describe('the /api/v1 skeleton: OpenAPI document, bearer principals, admin scope', () => {
  let s: TestSigil;
  let contract: ApiContract;
  beforeAll(async () => {
    s = await startTestSigil('pglite', await apiConfig());
    const doc = await s.client().get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.headers['content-type']).toMatch(/^application\/json/);
    contract = new ApiContract(doc.json());
  });
  afterAll(async () => {
    await s.close();
  });

  it('serves a valid OpenAPI 3.1 document whose server is the issuer’s /api/v1', async () => {
    const doc = (await s.client().get('/api/v1/openapi.json')).json();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc['openapi']).toBe('3.1.0');
    expect(doc['servers']).toEqual([{ url: `${s.issuer}/api/v1` }]);
  });

  it('answers no token with a 401 problem and a Bearer challenge', async () => {
    const r = await api(s.client(), 'GET', '/whoami');
    expect(r.status).toBe(401);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer realm="sigil"/);
    expect(r.json()['type']).toBe('urn:sigil:problem:unauthenticated');
    contract.check('GET', '/whoami', r);
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a JWT of nobody', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
    ['a NUL byte', 'abc%00def'],
    ['a huge token', 'a'.repeat(10_000)],
  ])('refuses %s as a bearer token with a 401 invalid_token problem', async (_name, token) => {
    const r = await api(s.client(), 'GET', '/whoami', token);
    expect(r.status).toBe(401);
    expect(r.json()['type']).toBe('urn:sigil:problem:unauthenticated');
    contract.check('GET', '/whoami', r);
  });

  it('grants sigil:admin to a person in admin.groups, and their token is an admin principal', async () => {
    const t = await personTokens(s.client(), ALICE);
    const r = await api(s.client(), 'GET', '/whoami', t.access_token);
    expect(r.status, r.text).toBe(200);
    contract.check('GET', '/whoami', r);
    expect(r.json()).toMatchObject({
      kind: 'person',
      username: 'alice',
      clientId: 'kubectl',
      admin: true,
    });
    expect(r.json()['scopes']).toContain('sigil:admin');
  });

  it('never grants sigil:admin to a person outside admin.groups', async () => {
    const t = await personTokens(s.client(), BOB);
    const r = await api(s.client(), 'GET', '/whoami', t.access_token);
    expect(r.status, r.text).toBe(200);
    contract.check('GET', '/whoami', r);
    expect(r.json()).toMatchObject({ kind: 'person', username: 'bob', admin: false });
    expect(r.json()['scopes']).not.toContain('sigil:admin');
  });

  it('gives an admin client sigil:admin through client credentials, and no other client the grant', async () => {
    const token = await clientToken(s.client(), OPS);
    const r = await api(s.client(), 'GET', '/whoami', token);
    expect(r.status, r.text).toBe(200);
    contract.check('GET', '/whoami', r);
    expect(r.json()).toEqual({
      kind: 'client',
      clientId: 'ops',
      scopes: ['sigil:admin'],
      admin: true,
    });
    const other = await tokenRequest(
      s.client(),
      { grant_type: 'client_credentials', scope: 'sigil:admin' },
      OTHER,
    );
    expect(other.status).toBe(400);
    expect(other.json()['error_description']).toBe(
      'requested grant type is not allowed for this client',
    );
  });

  it('answers an unknown path under /api/v1 with a 404 problem, and a wrong method with 405', async () => {
    const r = await api(s.client(), 'GET', '/nothing-here');
    expect(r.status).toBe(404);
    expect(r.json()['type']).toBe('urn:sigil:problem:not-found');
    const m = await api(s.client(), 'DELETE', '/whoami', await clientToken(s.client()));
    expect(m.status).toBe(405);
    expect(m.json()['type']).toBe('urn:sigil:problem:method-not-allowed');
  });

  it('records every call in the audit trail with its actor', async () => {
    const token = await clientToken(s.client(), OPS);
    await api(s.client(), 'GET', '/whoami', token);
    await flushAllAudit();
    const { rows } = await s.server.db.query<{ details: Record<string, unknown> }>(
      "SELECT details FROM audit_events WHERE event = 'api.called' AND client_id = 'ops' ORDER BY id DESC LIMIT 1",
    );
    expect(rows[0]?.details).toMatchObject({
      actor: { kind: 'client', id: 'ops' },
      method: 'GET',
      route: '/api/v1/whoami',
      status: 200,
    });
  });
});
