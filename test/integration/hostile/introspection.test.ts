import { beforeAll, describe, expect, it } from 'vitest';
import type { RefreshableTokens } from '../../support/oidc-flow.js';
import { basicAuth } from '../../support/http-client.js';
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

/** The introspection endpoint: who may ask about which token, and malformed questions. */
describe('hostile input: introspection', () => {
  const s = hostileSigil('pglite');
  let kubectl: RefreshableTokens;
  let web: RefreshableTokens;
  beforeAll(async () => {
    kubectl = await tokensFor(s, 'kubectl');
    web = await tokensFor(s, 'web');
  });

  it('tells a client about its own tokens only', async () => {
    const c = s.client();
    const own = await c.post('/token/introspection', { token: web.access_token }, WEB);
    expect(own.json()).toMatchObject({ active: true, client_id: 'web' });
    // Another client's live token: no answer about it (not whose it is, not its scope).
    for (const token of [kubectl.access_token, kubectl.refresh_token]) {
      const other = await c.post('/token/introspection', { token }, WEB);
      expect(other.status).toBe(200);
      expect(other.json()).toEqual({ active: false });
    }
  });

  it('requires client authentication', async () => {
    const c = s.client();
    expectClientError(
      await c.post('/token/introspection', { token: web.access_token }),
      'no client',
    );
    expectClientError(
      await c.post(
        '/token/introspection',
        { token: web.access_token },
        { authorization: basicAuth('web', 'wrong') },
      ),
      'wrong secret',
    );
  });

  it('answers hostile tokens and hints as inactive or 4xx, never 500', async () => {
    const c = s.client();
    for (const p of [...INJECTIONS, LONG.slice(0, 40_000), '']) {
      const r = await c.post('/token/introspection', { token: p, token_type_hint: p }, WEB);
      expectSafe(r, JSON.stringify(p.slice(0, 30)));
      if (r.status === 200) expect(r.json()).toEqual({ active: false });
      else expectClientError(r, JSON.stringify(p.slice(0, 30)));
    }
    expectClientError(
      await form(c, '/token/introspection', `token=a&token=b`, WEB),
      'duplicate token',
    );
    expectClientError(
      await c.request('POST', '/token/introspection', {
        body: JSON.stringify({ token: web.access_token }),
        headers: { 'content-type': 'application/json', ...WEB },
      }),
      'json',
    );
    expect(
      (await form(c, '/token/introspection', Buffer.alloc(1024 * 1024, 'a'), WEB)).status,
    ).toBe(413);
  });
});
