import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAdapterClass } from '../../../src/oidc/index.js';
import { createPgDb, hashId, migrate, type Db } from '../../../src/storage/index.js';
import { createTestDatabase } from '../../support/postgres.js';

/**
 * The adapter behind a real oidc-provider: NUL bytes in a request become 400 invalid_request
 * (not a 500), and an opaque token is stored under its hash yet still works.
 */
const CLIENT = { id: 'ci-job', secret: 'a-long-enough-client-secret-for-tests' };

let db: Db;
let drop: () => Promise<void>;
let provider: Provider;
const adapterErrors: unknown[] = [];

beforeAll(async () => {
  const created = await createTestDatabase(inject('pgUrl'), 'sigil_adapter');
  drop = created.drop;
  db = createPgDb({
    url: created.url,
    maxConnections: 4,
    connectionTimeoutMs: 5000,
    statementTimeoutMs: 10_000,
  });
  await migrate(db);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test', alg: 'RS256', use: 'sig' };
  provider = new Provider('https://sigil.test', {
    adapter: createAdapterClass(db, { onError: (err) => adapterErrors.push(err) }),
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    jwks: { keys: [jwk] },
    cookies: { keys: ['cookie-key-for-tests'] },
  });
});

afterAll(async () => {
  await db.close();
  await drop();
});

const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;

describe('adapter under oidc-provider', () => {
  it('answers a NUL byte in client_id with 400 invalid_request at the token endpoint', async () => {
    const res = await request(provider.callback())
      .post('/token')
      .type('form')
      .send('grant_type=client_credentials&client_id=%00&client_secret=x');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request' });
    expect(adapterErrors).toEqual([]);
  });

  it('answers a NUL byte in client_id with 400 invalid_request at the authorization endpoint', async () => {
    const res = await request(provider.callback()).get('/auth').query({
      client_id: '\u0000',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'http://localhost/cb',
    });
    expect(res.status).toBe(400);
    // The default error page (the http layer replaces it) names the error.
    expect(res.text).toContain('invalid_request');
    expect(res.text).not.toContain('server_error');
  });

  it('stores an issued access token under its hash; introspection and revocation still find it', async () => {
    const issued = await request(provider.callback())
      .post('/token')
      .set('Authorization', basic)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(issued.status).toBe(200);
    const token = (issued.body as { access_token: string }).access_token;
    expect(typeof token).toBe('string');

    const { rows } = await db.query<{ kind: string; id: string; payload: string }>(
      'SELECT kind, id, payload::text AS payload FROM oidc_payload',
    );
    expect(rows.map((r) => [r.kind, r.id])).toEqual([['ClientCredentials', hashId(token)]]);
    expect(rows[0]?.payload).not.toContain(token);

    const introspect = () =>
      request(provider.callback())
        .post('/token/introspection')
        .set('Authorization', basic)
        .type('form')
        .send({ token });
    const live = await introspect();
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ active: true, client_id: CLIENT.id });

    const revoked = await request(provider.callback())
      .post('/token/revocation')
      .set('Authorization', basic)
      .type('form')
      .send({ token });
    expect(revoked.status).toBe(200);
    expect((await db.query('SELECT 1 FROM oidc_payload')).rowCount).toBe(0);
    expect((await introspect()).body).toEqual({ active: false });
  });
});
