import { describe, expect, it } from 'vitest';
import { hiddenInput } from '../../support/http-client.js';
import {
  expectClientError,
  expectSafe,
  form,
  INJECTIONS,
  LONG,
  NUL,
  XSS,
  hostileSigil,
} from './support.js';

/** The device flow: /device/auth for clients, /device for people entering a code. */
describe('hostile input: device flow', () => {
  const s = hostileSigil('pglite');

  it('refuses malformed device authorization requests', async () => {
    const c = s.client();
    for (const [what, body] of [
      ['no client', { scope: 'openid' }],
      ['unknown client', { client_id: XSS, scope: 'openid' }],
      ['NUL client', { client_id: NUL }],
      ['bad scope', { client_id: 'kubectl', scope: XSS }],
      ['confidential without secret', { client_id: 'web', scope: 'openid' }],
    ] as const)
      expectClientError(await c.post('/device/auth', body), what);
    expectClientError(
      await form(c, '/device/auth', 'client_id=kubectl&client_id=web'),
      'duplicate',
    );
    expect((await form(c, '/device/auth', Buffer.alloc(1024 * 1024, 'a'))).status).toBe(413);
    expectClientError(
      await c.request('POST', '/device/auth', {
        body: '{"client_id":"kubectl"}',
        headers: { 'content-type': 'application/json' },
      }),
      'json',
    );
  });

  it('shows hostile user codes escaped and refuses them', async () => {
    const c = s.client();
    for (const p of [...INJECTIONS, LONG.slice(0, 8000)]) {
      const r = await c.get(`/device?${new URLSearchParams({ user_code: p }).toString()}`);
      expectSafe(r, JSON.stringify(p.slice(0, 20)));
      if (p === XSS) expect(r.text).not.toContain('<script>alert');
    }
    const page = await c.get('/device');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toMatch(/no-store/);
    const xsrf = hiddenInput(page.text, 'xsrf');
    for (const p of [...INJECTIONS, 'AAAA-AAAA', '']) {
      const r = await c.post('/device', { xsrf, user_code: p });
      expectSafe(r, JSON.stringify(p));
      expect(r.status).toBeLessThan(500);
      expect(r.text).not.toContain('<script>alert');
    }
    for (const [what, body] of [
      ['no xsrf', 'user_code=AAAA-AAAA'],
      ['wrong xsrf', 'xsrf=nope&user_code=AAAA-AAAA'],
      ['duplicate xsrf', `xsrf=${xsrf}&xsrf=${xsrf}&user_code=AAAA-AAAA`],
    ] as const)
      expectClientError(await form(c, '/device', body), what);
    expect((await form(c, '/device', Buffer.alloc(1024 * 1024, 'a'))).status).toBe(413);
  });
});
