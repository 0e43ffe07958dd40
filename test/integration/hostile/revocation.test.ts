import { describe, expect, it } from 'vitest';
import { WEB_BASIC as WEB } from '../../support/sigil.js';
import {
  expectClientError,
  expectSafe,
  form,
  INJECTIONS,
  LONG,
  tokensFor,
  hostileSigil,
} from './support.js';

/**
 * The revocation endpoint. RFC 7009 answers 200 for a token it does not know, so hostile
 * tokens get a 200 that changes nothing; malformed requests get a 4xx.
 */
describe('hostile input: revocation', () => {
  const s = hostileSigil('pglite');

  it("cannot revoke another client's token", async () => {
    const kubectl = await tokensFor(s, 'kubectl');
    const r = await s.client().post('/token/revocation', { token: kubectl.refresh_token }, WEB);
    expect(r.status).toBe(200);
    const still = await s.client().post('/token', {
      grant_type: 'refresh_token',
      refresh_token: kubectl.refresh_token,
      client_id: 'kubectl',
    });
    expect(still.status, still.text).toBe(200);
  });

  it('changes nothing for hostile tokens and refuses malformed requests', async () => {
    const c = s.client();
    for (const p of [...INJECTIONS, LONG.slice(0, 40_000)]) {
      const r = await c.post('/token/revocation', { token: p }, WEB);
      expectSafe(r, JSON.stringify(p.slice(0, 30)));
      expect([200, 400]).toContain(r.status);
    }
    expectClientError(await c.post('/token/revocation', {}, WEB), 'no token');
    expectClientError(await c.post('/token/revocation', { token: 'x' }), 'no client');
    // An unknown hint is only a hint (RFC 7009 §2.1): ignored.
    const hint = await c.post(
      '/token/revocation',
      { token: 'x', token_type_hint: 'id_token' },
      WEB,
    );
    expectSafe(hint, 'bad hint');
    expect([200, 400]).toContain(hint.status);
    expectClientError(await form(c, '/token/revocation', 'token=a&token=b', WEB), 'duplicate');
    expectClientError(
      await c.request('POST', '/token/revocation', {
        body: '{"token":"x"}',
        headers: { 'content-type': 'application/json', ...WEB },
      }),
      'json',
    );
    expect((await form(c, '/token/revocation', Buffer.alloc(1024 * 1024, 'a'), WEB)).status).toBe(
      413,
    );
  });
});
