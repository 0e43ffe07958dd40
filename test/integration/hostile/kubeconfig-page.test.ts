import { describe, expect, it } from 'vitest';
import { type Client, type Res } from '../../support/http-client.js';
import { follow, submitLogin } from '../../support/oidc-flow.js';
import { ALICE } from '../../support/sigil.js';
import {
  CRLF,
  enc,
  expectClientError,
  expectSafe,
  INJECTIONS,
  NUL,
  SQLI,
  XSS,
  hostileSigil,
} from './support.js';

async function signIn(c: Client): Promise<Res> {
  const page = await follow(c, await c.get('/home'));
  return follow(c, await submitLogin(c, page, ALICE));
}

/** /home (kubeconfig page), its downloads, and the /callback of sigil's own sign-in. */
describe('hostile input: kubeconfig page', () => {
  const s = hostileSigil('pglite', {
    clusters: [{ name: 'prod', server: 'https://api.prod.example.com:6443', clientID: 'kubectl' }],
  });

  it('refuses hostile callbacks with a 4xx page', async () => {
    const c = s.client();
    for (const q of [
      '',
      `code=${encodeURIComponent(XSS)}&state=${encodeURIComponent(XSS)}`,
      'code=%00&state=%00',
      `code=a&state=b&code=c`,
      `error=${encodeURIComponent(XSS)}&error_description=${encodeURIComponent(XSS)}&state=x`,
      `state=${encodeURIComponent(CRLF)}`,
      `code=${'a'.repeat(8000)}&state=${'b'.repeat(4000)}`,
    ])
      expectClientError(await c.get(`/callback?${q}`), q.slice(0, 40));
    // A flow cookie that is not ours.
    const forged = new (c.constructor as typeof Client)(s.issuer, {
      ca: s.ca,
      headers: { cookie: `sigil_web_flow=${encodeURIComponent(XSS)}; sigil_web_session=${SQLI}` },
    });
    expectClientError(await forged.get('/callback?code=a&state=b'), 'forged flow cookie');
    const home = await forged.get('/home');
    expectSafe(home, 'forged session cookie');
    expect(home.status).toBe(303);
  });

  it('answers hostile cluster names with an escaped 404, signed in or not', async () => {
    const anonymous = s.client();
    const c = s.client();
    const page = await signIn(c);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    for (const name of [...INJECTIONS, '..%2f..%2fetc%2fpasswd', NUL, 'x'.repeat(3000)]) {
      const path = `/home/kubeconfig/${enc(name).replace(/%25/g, '%')}`;
      for (const who of [anonymous, c]) {
        const r = await who.get(path);
        expectSafe(r, name.slice(0, 20));
        expect([400, 404], name.slice(0, 20)).toContain(r.status);
      }
    }
    const ok = await c.get('/home/kubeconfig/prod');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-disposition']).toMatch(/^attachment; filename="[a-z0-9.-]+"$/);
    expect(ok.headers['cache-control']).toBe('no-store');
    expectSafe(await c.get(`/home?x=${encodeURIComponent(XSS)}`), 'home with a query');
    expectSafe(
      await c.request('POST', '/home', {
        body: 'a=b',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      'POST /home',
    );
  });
});
