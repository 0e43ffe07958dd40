import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { basicAuth } from '../../support/http-client.js';
import { KUBECTL_CLIENT, passwordGrantClient } from '../../support/sigil.js';
import { expectSafe, hostileSigil, INJECTIONS } from './support.js';

const CI = { id: 'ci', secret: 'ci-secret-prop-1' };

const TOKEN_KEYS = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'client_id',
  'client_secret',
  'scope',
  'username',
  'password',
  'device_code',
  'resource',
  'audience',
];
const AUTH_KEYS = [
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'prompt',
  'max_age',
  'code_challenge',
  'code_challenge_method',
  'login_hint',
  'ui_locales',
  'response_mode',
  'request',
  'request_uri',
  'claims',
  'connector_id',
];

/** Any string: ASCII, full Unicode (lone surrogates included), the payloads, long runs. */
const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...INJECTIONS, '', 'openid', 'code', 'kubectl', 'http://127.0.0.1:8000', 'S256'),
  fc.string({ minLength: 500, maxLength: 3000 }),
);
const key = (known: string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, fc.string({ maxLength: 12 }));
const params = (known: string[]) => fc.array(fc.tuple(key(known), value), { maxLength: 12 });

function encode(pairs: [string, string][]): string {
  return pairs
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))}`,
    )
    .join('&');
}

/**
 * Property: whatever parameters /token and /auth receive (known and unknown names, duplicates,
 * any Unicode, long values), the answer is never a 5xx, never carries an injected header and
 * never reflects markup, and the server logs no error.
 */
describe('property: /token and /auth never fail on any input', () => {
  const s = hostileSigil('pglite', {
    staticClients: [KUBECTL_CLIENT, passwordGrantClient(CI)],
    // Generated logins must not be slowed down by the lockout they cause.
    throttle: { enabled: false },
  });

  it('POST /token', async () => {
    const c = s.client();
    await fc.assert(
      fc.asyncProperty(params(TOKEN_KEYS), fc.boolean(), async (pairs, authenticate) => {
        const r = await c.request('POST', '/token', {
          body: encode(pairs),
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(authenticate ? { authorization: basicAuth(CI.id, CI.secret) } : {}),
          },
        });
        expectSafe(r, encode(pairs).slice(0, 200));
        expect(r.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 200 },
    );
  });

  it('GET /auth', async () => {
    const c = s.client();
    await fc.assert(
      fc.asyncProperty(params(AUTH_KEYS), async (pairs) => {
        const r = await c.get(`/auth?${encode(pairs)}`);
        expectSafe(r, encode(pairs).slice(0, 200));
      }),
      { numRuns: 200 },
    );
  });
});
