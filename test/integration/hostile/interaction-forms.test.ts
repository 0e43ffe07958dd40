import { describe, expect, it } from 'vitest';
import { hiddenInput, type Client } from '../../support/http-client.js';
import { slapdConnector } from '../../support/ldap-test-ou.js';
import { follow } from '../../support/oidc-flow.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import {
  authPathWith,
  expectClientError,
  expectSafe,
  form,
  INJECTIONS,
  LDAPI,
  NUL,
  SQLI,
  XSS,
  hostileSigil,
} from './support.js';

interface Page {
  uid: string;
  csrf: string;
  action: string;
}

/** The login, connector-choice, consent and abort forms of /interaction/:uid, LDAP behind them. */
describe('hostile input: interaction forms', () => {
  const s = hostileSigil('pglite', {
    connectors: [
      slapdConnector({ peopleDN: LDAP_FIXTURES.peopleDN, groupsDN: LDAP_FIXTURES.groupsDN }),
    ],
    // Dozens of wrong logins below: the lockout has its own tests.
    throttle: { enabled: false },
  });

  async function open(c: Client, connector = 'corp', clientId = 'kubectl'): Promise<Page> {
    const first = await follow(
      c,
      await c.get(
        authPathWith(
          clientId === 'web'
            ? { client_id: 'web', redirect_uri: 'https://app.example.com/callback' }
            : {},
        ),
      ),
    );
    expect(first.status).toBe(200);
    const uid = /\/interaction\/([^/?"]+)/.exec(first.text)![1]!;
    const page = await c.get(`/interaction/${uid}?connector=${connector}`);
    expect(page.status).toBe(200);
    return { uid, csrf: hiddenInput(page.text, 'csrf'), action: `/interaction/${uid}/login` };
  }

  it('answers unknown, malformed and foreign interaction ids with a 4xx page', async () => {
    const c = s.client();
    for (const uid of [
      'nope',
      encodeURIComponent(XSS),
      '%00',
      '%FF%FE',
      'x'.repeat(5000),
      encodeURIComponent(SQLI),
    ]) {
      expectClientError(await c.get(`/interaction/${uid}`), `GET ${uid.slice(0, 20)}`);
      for (const step of ['login', 'confirm', 'abort'])
        expectClientError(await form(c, `/interaction/${uid}/${step}`, 'csrf=x'), `POST ${step}`);
    }
    // Someone else's interaction: the cookie does not match the URL.
    const mine = await open(s.client());
    expectClientError(await s.client().get(`/interaction/${mine.uid}`), 'foreign');
    // A page of this interaction with a hostile connector choice.
    const c2 = s.client();
    const p = await open(c2);
    for (const conn of [XSS, NUL, 'nope', LDAPI])
      expectSafe(await c2.get(`/interaction/${p.uid}?connector=${encodeURIComponent(conn)}`), conn);
  });

  it('requires the CSRF token: missing, wrong, duplicated, oversized', async () => {
    const c = s.client();
    const p = await open(c);
    const body = 'connector=corp&username=alice&password=alice-pw';
    for (const [what, csrf] of [
      ['missing', ''],
      ['wrong', `&csrf=${'A'.repeat(43)}`],
      ['duplicated', `&csrf=${p.csrf}&csrf=${p.csrf}`],
      ['oversized', `&csrf=${'A'.repeat(10_000)}`],
      ['NUL', '&csrf=%00'],
    ] as const) {
      const r = await form(c, p.action, `${body}${csrf}`);
      expectClientError(r, what);
      expect(r.status, what).toBe(403);
    }
  });

  it('treats injections in username and password as a wrong password, and shows them escaped', async () => {
    const c = s.client();
    const p = await open(c);
    for (const payload of [...INJECTIONS, LDAPI, '*', 'alice)(|(uid=*', '\\2a', 'alice\u0000']) {
      for (const [u, pw] of [
        [payload, 'alice-pw'],
        ['alice', payload],
        [payload, payload],
      ]) {
        const r = await form(
          c,
          p.action,
          new URLSearchParams({
            csrf: p.csrf,
            connector: 'corp',
            username: u!,
            password: pw!,
          }).toString(),
        );
        expectSafe(r, `${JSON.stringify(u)} / ${JSON.stringify(pw)}`);
        expect(r.status, `${JSON.stringify(u)} / ${JSON.stringify(pw)}`).toBe(401);
        if (u === XSS) expect(r.text).toContain('&lt;script&gt;');
      }
    }
  });

  it('handles duplicate fields, wrong content types, non-UTF-8 and oversized bodies', async () => {
    const c = s.client();
    const p = await open(c);
    const dup = await form(
      c,
      p.action,
      `csrf=${p.csrf}&connector=corp&username=alice&username=bob&password=alice-pw`,
    );
    expectSafe(dup, 'duplicate username');
    expect(dup.status).toBe(401);
    const json = await c.request('POST', p.action, {
      body: JSON.stringify({
        csrf: p.csrf,
        connector: 'corp',
        username: 'alice',
        password: 'alice-pw',
      }),
      headers: { 'content-type': 'application/json' },
    });
    expectClientError(json, 'json');
    const bytes = Buffer.concat([
      Buffer.from(`csrf=${p.csrf}&connector=corp&username=`),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from('&password=x'),
    ]);
    expectSafe(await form(c, p.action, bytes), 'non-UTF-8');
    expectClientError(
      await form(
        c,
        p.action,
        `csrf=${p.csrf}&connector=${encodeURIComponent(XSS)}&username=a&password=b`,
      ),
      'bad connector',
    );
    const big = await form(
      c,
      p.action,
      `csrf=${p.csrf}&connector=corp&username=alice&password=${'x'.repeat(100 * 1024)}`,
    );
    expectClientError(big, '100 KB password');
    expect(big.status).toBe(413);
    const fiftyK = await form(
      c,
      p.action,
      `csrf=${p.csrf}&connector=corp&username=alice&password=${'x'.repeat(50 * 1024)}`,
    );
    expectSafe(fiftyK, '50 KB password');
    expect(fiftyK.status).toBe(401);
    const mega = await form(c, p.action, Buffer.alloc(1024 * 1024, 'a'));
    expect(mega.status).toBe(413);
    // After all that, the real password still works on the same form.
    const ok = await form(
      c,
      p.action,
      `csrf=${p.csrf}&connector=corp&username=alice&password=alice-pw`,
    );
    expect(ok.status, ok.text.slice(0, 300)).toBe(303);
  });

  it('consent and abort forms refuse hostile posts and escape what they show', async () => {
    const c = s.client();
    const other = s.client();
    const first = await follow(
      other,
      await other.get(
        authPathWith({
          client_id: 'web',
          redirect_uri: 'https://app.example.com/callback',
          scope: `openid ${XSS}`,
        }),
      ),
    );
    expectSafe(first, 'web with hostile scope');
    const p = await open(c, 'local', 'web');
    const login = await form(
      c,
      p.action,
      `csrf=${p.csrf}&connector=local&username=alice&password=${encodeURIComponent('correct horse battery staple')}`,
    );
    expect(login.status, login.text.slice(0, 400)).toBe(303);
    const consent = await follow(c, login);
    expect(consent.text).toContain('Allow access');
    // The consent step is a new interaction: its own uid and CSRF token.
    const cuid = /\/interaction\/([^/"]+)\/confirm/.exec(consent.text)![1]!;
    const ccsrf = hiddenInput(consent.text, 'csrf');
    expect(cuid).not.toBe(p.uid);
    expectClientError(
      await form(c, `/interaction/${cuid}/confirm`, 'csrf=nope'),
      'confirm without csrf',
    );
    expectClientError(
      await form(c, `/interaction/${cuid}/confirm`, `csrf=${p.csrf}`),
      'csrf of the login step',
    );
    expectClientError(
      await form(c, `/interaction/${cuid}/abort`, `csrf=${ccsrf}&csrf=x`),
      'abort dup csrf',
    );
    expectClientError(
      await form(c, `/interaction/${cuid}/login`, `csrf=${ccsrf}&username=a&password=b`),
      'login during consent',
    );
    expectClientError(
      await form(c, `/interaction/${p.uid}/confirm`, `csrf=${p.csrf}`),
      'finished interaction',
    );
    const deny = await form(
      c,
      `/interaction/${cuid}/abort`,
      `csrf=${ccsrf}&extra=${encodeURIComponent(XSS)}`,
    );
    expect(deny.status).toBe(303);
    const back = await follow(c, deny);
    expect(new URL(back.location!).searchParams.get('error')).toBe('access_denied');
  });
});
